"""Complaint rates per service and provider: tickets per 100 orders over 30 days, by reason,
computed from the tickets exactly and shown in /v1, API v2, the web services page and
/admin/v1/quality."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from httpx import ASGITransport, AsyncClient
from pydantic import SecretStr
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from panel.accounts import passwords
from panel.brands import brand_book
from panel.catalogue import quality
from panel.config import Settings, WebSettings
from panel.models import Account, Order, TicketReason, TicketTopic
from panel.support import complaints, tickets
from tests.conftest import AppFor
from tests.fixtures.world import World

NOW = datetime.now(UTC)
FINISHED = NOW - timedelta(days=1)
PASSWORD = "correct horse battery"
LINK = "https://instagram.com/complained"
_COPIED = [c.name for c in Order.__table__.columns if c.name != "id"]


@dataclass(frozen=True)
class Shop:
    followers: list[int]  # 200 finished in the window, on the first provider
    likes: list[int]  # 50 finished in the window, on the second
    first_provider: int
    second_provider: int


async def _orders(world: World, service: int, count: int, provider: int) -> list[int]:
    """`count` orders of the agency, finished yesterday on `provider`: one placed through API
    v2, the rest copies of it (only orders are counted here, not their money)."""
    first = await world.panel.order(world.agency, service, link=LINK, quantity=100)
    columns = ", ".join(f'"{c}"' for c in _COPIED)
    await world.panel.execute(
        f'INSERT INTO "order" ({columns}) SELECT {columns} FROM "order", '
        "generate_series(2, :count) WHERE id = :id",
        id=first,
        count=count,
    )
    await world.panel.execute(
        "UPDATE \"order\" SET status = 'completed', finished_at = :at, provider_id = :provider "
        "WHERE service_id = :service",
        at=FINISHED,
        provider=provider,
        service=service,
    )
    async with world.panel.sessionmaker() as session:
        found = await session.scalars(
            text('SELECT id FROM "order" WHERE service_id = :service ORDER BY id'),
            {"service": service},
        )
        return list(found)


async def _ticket(
    session: AsyncSession, world: World, reason: TicketReason, order_ids: list[int]
) -> int:
    agency = await session.get_one(Account, world.agency.account_id)
    new = tickets.NewTicket(TicketTopic.order, reason, "tolong dicek", order_ids)
    return (await tickets.open_ticket(session, agency, new, NOW)).id


@pytest.fixture
async def shop(world: World) -> Shop:
    panel = world.panel
    second = await panel.admin(
        "POST",
        "/providers",
        {"name": "Second", "api_url": "http://127.0.0.1:9/second/api/v2", "api_key": "k2"},
    )
    followers = await _orders(world, world.followers, 200, panel.provider_id)
    likes = await _orders(world, world.likes, 50, second["id"])
    async with panel.sessionmaker.begin() as session:
        # Two orders of one service in one ticket count as one ticket against it.
        await _ticket(session, world, TicketReason.not_started, followers[:2])
        await _ticket(session, world, TicketReason.not_started, [followers[2]])
        await _ticket(session, world, TicketReason.dropped, [followers[3], likes[0]])
        old = await _ticket(session, world, TicketReason.slow, [followers[4]])
    # Outside the window: a ticket of 40 days ago, and an order that finished 31 days ago.
    await panel.execute(
        "UPDATE ticket SET created_at = :at WHERE id = :id", at=NOW - timedelta(days=40), id=old
    )
    await panel.set_order(followers[5], finished_at=NOW - timedelta(days=31))
    async with panel.sessionmaker.begin() as session:
        await quality.refresh(session, NOW)
        await complaints.refresh(session, NOW)
    return Shop(followers, likes, panel.provider_id, second["id"])


def _rates(**given: str) -> dict[str, Decimal]:
    return {reason.value: Decimal(given.get(reason.value, "0")) for reason in TicketReason}


async def test_rates_are_tickets_per_100_orders_by_reason(world: World, shop: Shop) -> None:
    async with world.panel.sessionmaker() as session:
        services = await complaints.figures_of(session, quality.SERVICE)
        providers = await complaints.figures_of(session, quality.PROVIDER)
    followers, likes = services[world.followers], services[world.likes]
    # 3 tickets over 199 orders of the window (the 200th finished 31 days ago).
    assert (followers.tickets, followers.orders) == (3, 199)
    assert followers.per_100 == Decimal("1.5075")
    assert followers.by_reason == _rates(not_started="1.0050", dropped="0.5025")
    assert (likes.tickets, likes.orders, likes.per_100) == (1, 50, Decimal("2.0000"))
    assert likes.by_reason == _rates(dropped="2.0000")
    assert providers[shop.first_provider].per_100 == Decimal("1.5075")
    assert providers[shop.second_provider].by_reason == _rates(dropped="2.0000")


async def test_exactly_3_tickets_over_200_orders_is_1_5(world: World, shop: Shop) -> None:
    await world.panel.set_order(shop.followers[5], finished_at=FINISHED)
    async with world.panel.sessionmaker.begin() as session:
        await complaints.refresh(session, NOW)
        found = (await complaints.figures_of(session, quality.SERVICE, [world.followers]))[
            world.followers
        ]
    assert (found.tickets, found.orders, found.per_100) == (3, 200, Decimal("1.5000"))
    assert found.by_reason == _rates(not_started="1.0000", dropped="0.5000")


async def test_v1_services_show_the_rates_in_the_quality_figures(world: World, shop: Shop) -> None:
    response = await world.panel.v1(world.agency, "GET", "/services")
    assert response.status_code == 200, response.text
    by_id = {row["id"]: row for row in response.json()}
    figures = by_id[world.followers]["quality"]
    assert figures["orders"] == 199
    assert figures["complaints_per_100"] == "1.5075"
    assert figures["complaints_by_reason"]["not_started"] == "1.0050"
    assert figures["complaints_by_reason"]["dropped"] == "0.5025"
    assert figures["complaints_by_reason"]["wrong_link"] == "0"
    assert by_id[world.likes]["quality"]["complaints_per_100"] == "2.0000"


async def test_api_v2_services_carry_the_rates_as_extra_keys(world: World, shop: Shop) -> None:
    rows = {row["service"]: row for row in await world.panel.api(world.agency, action="services")}
    row = rows[world.likes]
    assert row["quality_complaints_per_100"] == "2.0000"
    assert row["quality_complaints_per_100_dropped"] == "2.0000"
    assert row["quality_complaints_per_100_not_started"] == "0"
    # The standard keys are all there, unchanged in shape; everything added is `quality_...`.
    standard = {"service", "name", "type", "category", "rate", "min", "max", "refill", "cancel"}
    assert standard <= set(row)
    assert all(k.startswith("quality_") for k in set(row) - standard - {"dripfeed", "description"})
    assert isinstance(row["min"], str)
    assert isinstance(row["service"], int)


async def test_admin_quality_shows_each_providers_rate(world: World, shop: Shop) -> None:
    by_provider = {
        row["subject_id"]: row
        for row in await world.panel.admin("GET", "/quality?subject=provider")
    }
    first, second = by_provider[shop.first_provider], by_provider[shop.second_provider]
    assert (first["complaints_per_100"], second["complaints_per_100"]) == ("1.5075", "2.0000")
    assert second["complaints_by_reason"]["dropped"] == "2.0000"
    by_service = {row["subject_id"]: row for row in await world.panel.admin("GET", "/quality")}
    assert by_service[world.followers]["complaints_by_reason"]["not_started"] == "1.0050"


async def test_the_services_page_says_the_rate(
    world: World,
    shop: Shop,
    app_for: AppFor,
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
) -> None:
    # Rounded to one decimal, in the page's number style: 1.5075 → "1,5".
    async with sessionmaker.begin() as session:
        agency = await session.get_one(Account, world.agency.account_id)
        reseller = await session.get_one(Account, world.reseller.account_id)
        agency.email = "complaints@example.com"
        await passwords.set_password(session, agency, PASSWORD)
        await brand_book.set_brand(
            session,
            reseller,
            name="Toko Sosmed",
            hosts=["a.example"],
            logo_url=None,
            primary_color="#aa0000",
            accent_color="#0e1116",
            whatsapp_url=None,
            payment_instructions="",
        )
    app = app_for(sessionmaker)
    web = WebSettings(secret=SecretStr("test-secret-" + "x" * 32))
    app.state.runtime.settings = settings.model_copy(update={"web": web})
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://a.example") as client:
        form = await client.get("/login")
        csrf = form.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
        signed = await client.post(
            "/login", data={"email": "complaints@example.com", "password": PASSWORD, "csrf": csrf}
        )
        assert signed.status_code == 303, signed.text
        page = await client.get("/services")
        english = await client.get("/services", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    followers = page.text.split(f'id="service-{world.followers}"', 1)[1].split("</li>", 1)[0]
    likes = page.text.split(f'id="service-{world.likes}"', 1)[1].split("</li>", 1)[0]
    assert '<span class="complaints">Komplain: 1,5 per 100 pesanan</span>' in followers
    assert '<span class="complaints">Komplain: 2 per 100 pesanan</span>' in likes
    assert "Complaints: 1.5 per 100 orders" in english.text
