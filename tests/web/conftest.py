"""What the web page tests over HTTP share: two resellers with a brand each (`a.example` and
`b.example`), the agency of the first with a password, a client on the app with the web panel
configured, signing in, and reading a page's CSRF token."""

import re
from collections.abc import AsyncIterator

import pytest
from httpx import ASGITransport, AsyncClient, Response
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from panel.config import Settings, WebSettings
from panel.models import Account
from panel.web import brand_book, passwords
from tests.conftest import AppFor
from tests.factories import World, build_world

PASSWORD = "correct horse battery"
AGENCY_EMAIL = "a1@example.com"
LOGIN_ATTEMPTS = 3


@pytest.fixture
async def world(session: AsyncSession) -> World:
    world = await build_world(session)
    for reseller, name, host in (
        (world.reseller, "Toko Sosmed", "a.example"),
        (world.other_reseller, "Panel Murah", "b.example"),
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


async def give_password(session: AsyncSession, account: Account, email: str) -> None:
    account.email = email
    await passwords.set_password(session, account, PASSWORD)


@pytest.fixture
async def web(
    app_for: AppFor, sessionmaker: async_sessionmaker[AsyncSession], settings: Settings
) -> AsyncIterator[AsyncClient]:
    """A visitor of `a.example` (any host can be named in a URL), not yet signed in."""
    app = app_for(sessionmaker)
    secret = SecretStr("test-secret-" + "x" * 32)
    web = WebSettings(secret=secret, login_attempts=LOGIN_ATTEMPTS)
    app.state.runtime.settings = settings.model_copy(update={"web": web})
    transport = ASGITransport(app=app)
    async with AsyncClient(transport=transport, base_url="http://a.example") as client:
        yield client


def csrf_of(page: Response) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found, page.text
    return found.group(1)


async def sign_in(
    web: AsyncClient, email: str = AGENCY_EMAIL, host: str = "a.example", password: str = PASSWORD
) -> Response:
    form = await web.get(f"http://{host}/login")
    return await web.post(
        f"http://{host}/login",
        data={"email": email, "password": password, "csrf": csrf_of(form)},
    )
