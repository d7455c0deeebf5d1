"""The mass order page and the API page over HTTP: lines placed or refused one by one, keys
issued, shown once and revoked, and the brand's own API address and documentation."""

import re
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest
from httpx import ASGITransport, AsyncClient, Response
from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from panel.accounts import service as accounts
from panel.config import Settings, WebSettings
from panel.keys import service as keys
from panel.models import AccountKind, ApiKey, Brand, BrandHost, LedgerAccount, Order
from panel.web import passwords
from tests.conftest import AppFor
from tests.factories import World, build_world

PASSWORD = "correct horse battery"
LINK = "https://instagram.com/agency-a1"
SITE = "http://a.example"
ENGLISH = {"Accept-Language": "en"}


@pytest.fixture
async def world(session: AsyncSession) -> World:
    world = await build_world(session)
    brand = Brand(reseller_id=world.reseller.id, name="Toko Sosmed", primary_color="#aa0000")
    session.add(brand)
    await session.flush()
    session.add(BrandHost(host="a.example", brand_id=brand.id))
    world.agency.email = "a1@example.com"
    await passwords.set_password(session, world.agency, PASSWORD)
    await session.flush()
    return world


@pytest.fixture
async def browser(
    app_for: AppFor,
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    world: World,
) -> AsyncIterator[AsyncClient]:
    """The agency, signed in on its reseller's brand."""
    app = app_for(sessionmaker)
    web = WebSettings(secret=SecretStr("test-secret-" + "x" * 32))
    app.state.runtime.settings = settings.model_copy(update={"web": web})
    async with AsyncClient(
        transport=ASGITransport(app=app), base_url=SITE, headers=ENGLISH
    ) as client:
        form = await client.get("/login")
        signed_in = await client.post(
            "/login", data={"email": "a1@example.com", "password": PASSWORD, "csrf": _csrf(form)}
        )
        assert signed_in.status_code == 303
        yield client


def _csrf(page: Response) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found, page.text
    return found.group(1)


def _row(page: Response, line: int) -> str:
    found = re.search(rf'<tr id="line-{line}">(.*?)</tr>', page.text, re.S)
    assert found, page.text
    return found.group(1)


async def _orders_of(session: AsyncSession, account_id: int) -> list[Order]:
    rows = await session.scalars(
        select(Order)
        .where(Order.account_id == account_id)
        .execution_options(populate_existing=True)
    )
    return list(rows)


async def _balance(session: AsyncSession, account_id: int) -> Decimal:
    # A column, not the row: the app wrote through sessions of its own, and a row this session
    # already holds would be answered from memory.
    balance = await session.scalar(
        select(LedgerAccount.balance).where(LedgerAccount.owner_id == account_id)
    )
    assert balance is not None
    return balance


async def _api_balance(browser: AsyncClient, key: str) -> dict[str, str]:
    answer = await browser.post("/api/v2", data={"key": key, "action": "balance"})
    assert answer.status_code == 200
    body: dict[str, str] = answer.json()
    return body


async def _issue(browser: AsyncClient, label: str) -> tuple[Response, str]:
    token = _csrf(await browser.get("/api-access"))
    issued = await browser.post("/api-access/keys", data={"label": label, "csrf": token})
    assert issued.status_code == 200, issued.text
    found = re.search(r'<pre id="plaintext"[^>]*>([0-9a-f]{64})</pre>', issued.text)
    assert found, issued.text
    return issued, found.group(1)


async def test_a_mass_order_places_the_good_lines_and_shows_the_refused_ones(
    world: World, browser: AsyncClient, session: AsyncSession
) -> None:
    before = await _balance(session, world.agency.id)
    form = await browser.get("/orders/mass")
    assert form.status_code == 200
    assert 'href="/services"' in form.text
    followers = world.services["followers"].id
    text = f"{followers}|{LINK}|100\n\n999999|https://instagram.com/x|100\nnot an order line"
    answer = await browser.post("/orders/mass", data={"orders": text, "csrf": _csrf(form)})

    assert answer.status_code == 200
    placed = await _orders_of(session, world.agency.id)
    assert len(placed) == 1
    order = placed[0]
    assert (order.service_id, order.link, order.quantity) == (followers, LINK, 100)
    assert order.charge > 0
    assert await _balance(session, world.agency.id) == before - order.charge
    assert f'<a href="/orders">#{order.id}</a>' in _row(answer, 1)
    assert "Incorrect service ID" in _row(answer, 3)
    assert "Incorrect request" in _row(answer, 4)
    assert 'id="line-2"' not in answer.text  # a blank line is no order and no error
    assert "1 placed, 2 refused." in answer.text


async def test_a_mass_order_refused_as_a_whole_places_nothing_and_keeps_the_text(
    world: World, browser: AsyncClient, session: AsyncSession
) -> None:
    before = await _balance(session, world.agency.id)
    token = _csrf(await browser.get("/orders/mass"))
    empty = await browser.post("/orders/mass", data={"orders": " \n\n ", "csrf": token})
    assert empty.status_code == 422
    assert "Incorrect request" in empty.text

    followers = world.services["followers"].id
    too_many = "\n".join(f"{followers}|{LINK}{n}|100" for n in range(1001))
    refused = await browser.post("/orders/mass", data={"orders": too_many, "csrf": token})
    assert refused.status_code == 422
    assert "Incorrect request" in refused.text
    assert f"{followers}|{LINK}1000|100</textarea>" in refused.text
    assert await _orders_of(session, world.agency.id) == []
    assert await _balance(session, world.agency.id) == before


async def test_a_mass_order_without_its_csrf_token_is_refused(
    world: World, browser: AsyncClient, session: AsyncSession
) -> None:
    before = await _balance(session, world.agency.id)
    line = f"{world.services['followers'].id}|{LINK}|100"
    for data in ({"orders": line}, {"orders": line, "csrf": "forged"}):
        answer = await browser.post("/orders/mass", data=data)
        assert answer.status_code == 403
    assert await _orders_of(session, world.agency.id) == []
    assert await _balance(session, world.agency.id) == before


async def test_an_issued_key_is_shown_once_and_opens_api_v2(
    world: World, browser: AsyncClient, session: AsyncSession
) -> None:
    issued, plaintext = await _issue(browser, "my bot")
    assert issued.headers["cache-control"] == "no-store"
    assert "shown only this once" in issued.text

    answer = await _api_balance(browser, plaintext)
    assert answer == {"balance": "50", "currency": "USD"}

    page = await browser.get("/api-access")
    assert plaintext not in page.text
    assert f"<code>{plaintext[: keys.PREFIX_LENGTH]}…</code>" in page.text
    assert "my bot" in page.text
    stored = await session.scalars(select(ApiKey).where(ApiKey.account_id == world.agency.id))
    assert [key.label for key in stored] == ["my bot"]


async def test_revoking_a_key_closes_api_v2(
    world: World, browser: AsyncClient, session: AsyncSession
) -> None:
    _, plaintext = await _issue(browser, "old")
    page = await browser.get("/api-access")
    found = re.search(r'action="/api-access/keys/(\d+)/revoke"', page.text)
    assert found, page.text
    revoke = f"/api-access/keys/{found.group(1)}/revoke"

    assert (await browser.post(revoke, data={"csrf": "forged"})).status_code == 403
    assert "balance" in await _api_balance(browser, plaintext)

    revoked = await browser.post(revoke, data={"csrf": _csrf(page)})
    assert (revoked.status_code, revoked.headers["location"]) == (303, "/api-access")
    assert await _api_balance(browser, plaintext) == {"error": "Invalid API key"}
    page = await browser.get("/api-access")
    assert "/revoke" not in page.text
    assert "Revoked" in page.text


async def test_another_account_s_key_cannot_be_revoked(
    world: World, browser: AsyncClient, session: AsyncSession
) -> None:
    sibling = await accounts.create(
        session, kind=AccountKind.agency, name="A2", parent_id=world.reseller.id
    )
    theirs = await keys.issue(session, sibling, "theirs")
    await session.flush()
    token = _csrf(await browser.get("/api-access"))
    for key_id in (theirs.key.id, 2**40):
        answer = await browser.post(f"/api-access/keys/{key_id}/revoke", data={"csrf": token})
        assert answer.status_code == 404
    assert "balance" in await _api_balance(browser, theirs.plaintext)
    revoked_at = await session.scalar(select(ApiKey.revoked_at).where(ApiKey.id == theirs.key.id))
    assert revoked_at is None


async def test_the_api_page_shows_the_brand_s_address_and_documentation(
    world: World, browser: AsyncClient, session: AsyncSession
) -> None:
    page = await browser.get("/api-access")
    assert page.status_code == 200
    assert "http://a.example/api/v2" in page.text
    assert "http://a.example/v1" in page.text
    assert "action=balance http://a.example/api/v2" in page.text
    assert 'href="/api-access/docs"' in page.text

    docs = await browser.get("/api-access/docs")
    assert docs.status_code == 200
    assert "Toko Sosmed API v2" in docs.text
    assert "http://a.example/api/v2" in docs.text
    assert "pasok" not in docs.text.lower()
    for action in ("services", "add", "status", "refill", "refill_status", "cancel", "balance"):
        assert f'<h3 id="{action}"><code>{action}</code></h3>' in docs.text
    assert "orders=1,2,3" in docs.text  # multi-status


async def test_signed_out_visitors_are_sent_to_sign_in(world: World, browser: AsyncClient) -> None:
    await browser.post("/logout", data={"csrf": _csrf(await browser.get("/api-access"))})
    for path in ("/orders/mass", "/api-access", "/api-access/docs"):
        answer = await browser.get(path)
        assert (answer.status_code, answer.headers["location"]) == (303, "/login")
