"""The reseller console's world: two branded resellers who sign in on their own hosts, an
agency under each, and browsers on the app over the test's rolled-back connection."""

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from decimal import Decimal

from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient, Response
from pydantic import SecretStr
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from panel.accounts import service as accounts
from panel.config import Settings, WebSettings
from panel.ledger import service as ledger
from panel.models import Account, AccountKind, Entry, Journal
from panel.web import brand_book, passwords
from tests.factories import World, build_world

PASSWORD = "correct horse battery"
HOST = "a.example"  # the reseller's brand
OTHER_HOST = "b.example"  # the other reseller's


@dataclass
class Console:
    world: World
    other_agency: Account  # an agency of the other reseller

    @property
    def reseller(self) -> Account:
        return self.world.reseller

    @property
    def agency(self) -> Account:
        return self.world.agency


async def build_console(session: AsyncSession) -> Console:
    world = await build_world(session)
    other_agency = await accounts.create(
        session, kind=AccountKind.agency, name="Foreign Agency", parent_id=world.other_reseller.id
    )
    await ledger.fund_agency(session, other_agency.id, Decimal(20), "float", None)
    for account, email in (
        (world.reseller, "r1@example.com"),
        (world.agency, "a1@example.com"),
        (world.other_reseller, "r2@example.com"),
        (other_agency, "b1@example.com"),
    ):
        account.email = email
        await passwords.set_password(session, account, PASSWORD)
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
            accent_color="#111111",
            whatsapp_url=None,
            payment_instructions="",
        )
    await session.flush()
    return Console(world, other_agency)


@asynccontextmanager
async def browsers(
    app: FastAPI, settings: Settings
) -> AsyncIterator[Callable[[], Awaitable[AsyncClient]]]:
    """A maker of browsers on `app`, each with its own cookies; all closed at the end."""
    web = WebSettings(secret=SecretStr("test-secret-" + "x" * 32), login_attempts=3)
    app.state.runtime.settings = settings.model_copy(update={"web": web})
    async with AsyncExitStack() as stack:

        async def browser() -> AsyncClient:
            client = AsyncClient(transport=ASGITransport(app=app), base_url=f"http://{HOST}")
            return await stack.enter_async_context(client)

        yield browser


def csrf_of(page: Response) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found, page.text
    return found.group(1)


async def sign_in(browser: AsyncClient, email: str, host: str = HOST) -> Response:
    form = await browser.get(f"http://{host}/login")
    return await browser.post(
        f"http://{host}/login",
        data={"email": email, "password": PASSWORD, "csrf": csrf_of(form)},
    )


async def token(browser: AsyncClient, path: str = "/console/agencies") -> str:
    """The CSRF token of the signed-in visit, read off one of its pages."""
    page = await browser.get(path)
    assert page.status_code == 200, page.text
    return csrf_of(page)


def row(page: Response, row_id: str) -> str:
    """The text of one table row, by its id."""
    found = re.search(rf'<tr id="{row_id}">(.*?)</tr>', page.text, re.S)
    assert found, f"no row {row_id}"
    return found.group(1)


def shown(row_text: str, css_class: str) -> str:
    """The text of the first element of `css_class` in a row."""
    found = re.search(rf'class="{css_class}">([^<]*)<', row_text)
    assert found, f"no {css_class} in {row_text}"
    return found.group(1).strip()


async def wallets(session: AsyncSession, *accounts_: Account) -> list[Decimal]:
    """Wallet balances as the database holds them now, not as this session last saw them."""
    found = await ledger.balances(session, [account.id for account in accounts_])
    return [found[account.id] for account in accounts_]


async def ledger_size(session: AsyncSession) -> tuple[int, int]:
    journals = await session.scalar(select(func.count()).select_from(Journal))
    entries = await session.scalar(select(func.count()).select_from(Entry))
    return journals or 0, entries or 0
