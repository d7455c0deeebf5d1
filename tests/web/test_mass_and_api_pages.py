"""The mass order page and the API page over HTTP: lines placed or refused one by one, keys
issued, shown once and revoked, and the brand's own API address and documentation."""

import re

import pytest
from httpx import AsyncClient, Response
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from panel.accounts import service as accounts
from panel.keys import service as keys
from panel.models import AccountKind, ApiKey, Order
from tests.fixtures.factories import World
from tests.web.conftest import Visitor, csrf_of, row, sign_in, token, wallets

LINK = "https://instagram.com/agency-a1"


@pytest.fixture
async def agency_web(world: World, visitor: Visitor) -> AsyncClient:
    """The agency, signed in on its reseller's brand, reading English pages."""
    web = await visitor(english=True)
    assert (await sign_in(web)).status_code == 303
    return web


async def _orders_of(session: AsyncSession, account_id: int) -> list[Order]:
    rows = await session.scalars(
        select(Order)
        .where(Order.account_id == account_id)
        .execution_options(populate_existing=True)
    )
    return list(rows)


async def _api_balance(web: AsyncClient, key: str) -> dict[str, str]:
    answer = await web.post("/api/v2", data={"key": key, "action": "balance"})
    assert answer.status_code == 200
    body: dict[str, str] = answer.json()
    return body


async def _issue(web: AsyncClient, label: str) -> tuple[Response, str]:
    csrf = await token(web, "/api-access")
    issued = await web.post("/api-access/keys", data={"label": label, "csrf": csrf})
    assert issued.status_code == 200, issued.text
    found = re.search(r'<pre id="plaintext"[^>]*>([0-9a-f]{64})</pre>', issued.text)
    assert found, issued.text
    return issued, found.group(1)


async def test_a_mass_order_places_the_good_lines_and_shows_the_refused_ones(
    world: World, agency_web: AsyncClient, session: AsyncSession
) -> None:
    [before] = await wallets(session, world.agency)
    form = await agency_web.get("/orders/mass")
    assert form.status_code == 200
    assert 'href="/services"' in form.text
    followers = world.services["followers"].id
    text = f"{followers}|{LINK}|100\n\n999999|https://instagram.com/x|100\nnot an order line"
    answer = await agency_web.post("/orders/mass", data={"orders": text, "csrf": csrf_of(form)})

    assert answer.status_code == 200
    placed = await _orders_of(session, world.agency.id)
    assert len(placed) == 1
    order = placed[0]
    assert (order.service_id, order.link, order.quantity) == (followers, LINK, 100)
    assert order.charge > 0
    assert await wallets(session, world.agency) == [before - order.charge]
    assert f'<a href="/orders">#{order.id}</a>' in row(answer, "line-1")
    assert "Incorrect service ID" in row(answer, "line-3")
    assert "Incorrect request" in row(answer, "line-4")
    assert 'id="line-2"' not in answer.text  # a blank line is no order and no error
    assert "1 placed, 2 refused." in answer.text


async def test_a_mass_order_refused_as_a_whole_places_nothing_and_keeps_the_text(
    world: World, agency_web: AsyncClient, session: AsyncSession
) -> None:
    [before] = await wallets(session, world.agency)
    csrf = await token(agency_web, "/orders/mass")
    empty = await agency_web.post("/orders/mass", data={"orders": " \n\n ", "csrf": csrf})
    assert empty.status_code == 422
    assert "Incorrect request" in empty.text

    followers = world.services["followers"].id
    too_many = "\n".join(f"{followers}|{LINK}{n}|100" for n in range(1001))
    refused = await agency_web.post("/orders/mass", data={"orders": too_many, "csrf": csrf})
    assert refused.status_code == 422
    assert "Incorrect request" in refused.text
    assert f"{followers}|{LINK}1000|100</textarea>" in refused.text
    assert await _orders_of(session, world.agency.id) == []
    assert await wallets(session, world.agency) == [before]


async def test_a_mass_order_without_its_csrf_token_is_refused(
    world: World, agency_web: AsyncClient, session: AsyncSession
) -> None:
    [before] = await wallets(session, world.agency)
    line = f"{world.services['followers'].id}|{LINK}|100"
    for data in ({"orders": line}, {"orders": line, "csrf": "forged"}):
        answer = await agency_web.post("/orders/mass", data=data)
        assert answer.status_code == 403
    assert await _orders_of(session, world.agency.id) == []
    assert await wallets(session, world.agency) == [before]


async def test_an_issued_key_is_shown_once_and_opens_api_v2(
    world: World, agency_web: AsyncClient, session: AsyncSession
) -> None:
    issued, plaintext = await _issue(agency_web, "my bot")
    assert issued.headers["cache-control"] == "no-store"
    assert "shown only this once" in issued.text

    answer = await _api_balance(agency_web, plaintext)
    assert answer == {"balance": "50", "currency": "USD"}

    page = await agency_web.get("/api-access")
    assert plaintext not in page.text
    assert f"<code>{plaintext[: keys.PREFIX_LENGTH]}…</code>" in page.text
    assert "my bot" in page.text
    stored = await session.scalars(select(ApiKey).where(ApiKey.account_id == world.agency.id))
    assert [key.label for key in stored] == ["my bot"]


async def test_revoking_a_key_closes_api_v2(
    world: World, agency_web: AsyncClient, session: AsyncSession
) -> None:
    _, plaintext = await _issue(agency_web, "old")
    page = await agency_web.get("/api-access")
    found = re.search(r'action="/api-access/keys/(\d+)/revoke"', page.text)
    assert found, page.text
    revoke = f"/api-access/keys/{found.group(1)}/revoke"

    assert (await agency_web.post(revoke, data={"csrf": "forged"})).status_code == 403
    assert "balance" in await _api_balance(agency_web, plaintext)

    revoked = await agency_web.post(revoke, data={"csrf": csrf_of(page)})
    assert (revoked.status_code, revoked.headers["location"]) == (303, "/api-access")
    assert await _api_balance(agency_web, plaintext) == {"error": "Invalid API key"}
    page = await agency_web.get("/api-access")
    assert "/revoke" not in page.text
    assert "Revoked" in page.text


async def test_another_account_s_key_cannot_be_revoked(
    world: World, agency_web: AsyncClient, session: AsyncSession
) -> None:
    sibling = await accounts.create(
        session, kind=AccountKind.agency, name="A2", parent_id=world.reseller.id
    )
    theirs = await keys.issue(session, sibling, "theirs")
    await session.flush()
    csrf = await token(agency_web, "/api-access")
    for key_id in (theirs.key.id, 2**40):
        answer = await agency_web.post(f"/api-access/keys/{key_id}/revoke", data={"csrf": csrf})
        assert answer.status_code == 404
    assert "balance" in await _api_balance(agency_web, theirs.plaintext)
    revoked_at = await session.scalar(select(ApiKey.revoked_at).where(ApiKey.id == theirs.key.id))
    assert revoked_at is None


async def test_the_api_page_shows_the_brand_s_address_and_documentation(
    world: World, agency_web: AsyncClient, session: AsyncSession
) -> None:
    page = await agency_web.get("/api-access")
    assert page.status_code == 200
    assert "http://a.example/api/v2" in page.text
    assert "http://a.example/v1" in page.text
    assert "action=balance http://a.example/api/v2" in page.text
    assert 'href="/api-access/docs"' in page.text

    docs = await agency_web.get("/api-access/docs")
    assert docs.status_code == 200
    assert "Toko Sosmed API v2" in docs.text
    assert "http://a.example/api/v2" in docs.text
    assert "pasok" not in docs.text.lower()
    for action in ("services", "add", "status", "refill", "refill_status", "cancel", "balance"):
        assert f'<h3 id="{action}"><code>{action}</code></h3>' in docs.text
    assert "orders=1,2,3" in docs.text  # multi-status


async def test_signed_out_visitors_are_sent_to_sign_in(
    world: World, agency_web: AsyncClient
) -> None:
    await agency_web.post("/logout", data={"csrf": await token(agency_web, "/api-access")})
    for path in ("/orders/mass", "/api-access", "/api-access/docs"):
        answer = await agency_web.get(path)
        assert (answer.status_code, answer.headers["location"]) == (303, "/login")
