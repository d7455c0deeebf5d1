"""What the web page tests over HTTP share: two resellers with a brand each (`a.example` and
`b.example`), the agency of the first with a password, clients on the app with the web panel
configured, signing in, and reading a page's CSRF token, table rows and wallets."""

import re
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from decimal import Decimal
from typing import Protocol

import pytest
from httpx import ASGITransport, AsyncClient, Response
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from panel.accounts import passwords
from panel.accounts import service as accounts
from panel.brands import brand_book
from panel.config import Settings, WebSettings
from panel.ledger import service as ledger
from panel.models import Account, AccountKind
from tests.conftest import AppFor
from tests.fixtures.factories import World, build_world

PASSWORD = "correct horse battery"
HOST = "a.example"  # the first reseller's brand
OTHER_HOST = "b.example"  # the other reseller's
AGENCY_EMAIL = "a1@example.com"
RESELLER_EMAIL = "reseller@example.com"
LOGIN_ATTEMPTS = 3


@pytest.fixture
async def world(session: AsyncSession) -> World:
    world = await build_world(session)
    for reseller, name, host in (
        (world.reseller, "Toko Sosmed", HOST),
        (world.other_reseller, "Panel Murah", OTHER_HOST),
    ):
        await brand_book.set_brand(
            session,
            reseller,
            name=name,
            hosts=[host],
            logo_url=None,
            primary_color="#aa0000",
            accent_color="#0e1116",
            whatsapp_url="https://wa.me/628123",
            payment_instructions=f"Transfer to {name}'s bank account",
        )
    await give_password(session, world.agency, AGENCY_EMAIL)
    return world


@pytest.fixture
async def other_agency(world: World, session: AsyncSession) -> Account:
    """An agency of the other reseller, with money of its own: what the first must never see."""
    return await funded_agency(session, world.other_reseller, "Foreign Agency", Decimal(20))


async def funded_agency(
    session: AsyncSession, reseller: Account, name: str, amount: Decimal
) -> Account:
    """A new agency of `reseller`, with `amount` in its wallet to order with."""
    agency = await accounts.create(
        session, kind=AccountKind.agency, name=name, parent_id=reseller.id
    )
    await ledger.fund_agency(session, agency.id, amount, "float", None)
    return agency


async def give_password(session: AsyncSession, account: Account, email: str) -> None:
    account.email = email
    await passwords.set_password(session, account, PASSWORD)


class Visitor(Protocol):
    async def __call__(self, host: str = HOST, *, english: bool = False) -> AsyncClient: ...


@pytest.fixture
async def visitor(
    app_for: AppFor, sessionmaker: async_sessionmaker[AsyncSession], settings: Settings
) -> AsyncIterator[Visitor]:
    """A maker of visitors of one app, each with cookies of its own, for tests where several
    people are signed in at once; all are closed at the end. With no language asked for, pages
    come in Indonesian."""
    app = app_for(sessionmaker)
    secret = SecretStr("test-secret-" + "x" * 32)
    web = WebSettings(secret=secret, login_attempts=LOGIN_ATTEMPTS)
    app.state.runtime.settings = settings.model_copy(update={"web": web})
    async with AsyncExitStack() as stack:

        async def visit(host: str = HOST, *, english: bool = False) -> AsyncClient:
            client = AsyncClient(
                transport=ASGITransport(app=app),
                base_url=f"http://{host}",
                headers={"Accept-Language": "en"} if english else {},
            )
            return await stack.enter_async_context(client)

        yield visit


@pytest.fixture
async def web(visitor: Visitor) -> AsyncClient:
    """A visitor of `a.example` (any host can be named in a URL), not yet signed in."""
    return await visitor()


@pytest.fixture
async def reseller_web(world: World, web: AsyncClient, session: AsyncSession) -> AsyncClient:
    """The shared `web`, signed in as the first reseller on its own host."""
    await give_password(session, world.reseller, RESELLER_EMAIL)
    signed_in = await sign_in(web, RESELLER_EMAIL)
    assert (signed_in.status_code, signed_in.headers["location"]) == (303, "/")
    return web


def csrf_of(page: Response) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found, page.text
    return found.group(1)


async def token(web: AsyncClient, path: str) -> str:
    """The CSRF token of a signed-in visit, read off one of its pages."""
    page = await web.get(path)
    assert page.status_code == 200, page.text
    return csrf_of(page)


async def sign_in(
    web: AsyncClient, email: str = AGENCY_EMAIL, host: str = HOST, password: str = PASSWORD
) -> Response:
    form = await web.get(f"http://{host}/login")
    return await web.post(
        f"http://{host}/login",
        data={"email": email, "password": password, "csrf": csrf_of(form)},
    )


def row(page: Response, row_id: str) -> str:
    """The text of one table row or list item, by its id."""
    found = re.search(rf'<(tr|li) id="{row_id}">(.*?)</\1>', page.text, re.S)
    assert found, f"no row {row_id} in {page.text}"
    return found.group(2)


def shown(row_text: str, css_class: str) -> str:
    """The text of the first element of `css_class` in a row."""
    found = re.search(rf'class="{css_class}">([^<]*)<', row_text)
    assert found, f"no {css_class} in {row_text}"
    return found.group(1).strip()


async def wallets(session: AsyncSession, *accounts_: Account) -> list[Decimal]:
    """Wallet balances as the database holds them now, not as this session last saw them: the
    app wrote through sessions of its own."""
    found = await ledger.balances(session, [account.id for account in accounts_])
    return [found[account.id] for account in accounts_]
