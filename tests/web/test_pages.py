"""The web panel over HTTP: brands by host, sign-in with CSRF and throttling, a dashboard that
shows an agency its own orders only."""

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
from panel.ledger import service as ledger
from panel.models import (
    Account,
    AccountKind,
    AccountStatus,
    Brand,
    BrandHost,
    Order,
    OrderStatus,
    Refill,
)
from panel.orders import service as orders
from panel.web import passwords
from tests.conftest import AppFor
from tests.factories import World, build_world

PASSWORD = "correct horse battery"
LINK = "https://instagram.com/agency-a1"


@pytest.fixture
async def world(session: AsyncSession) -> World:
    world = await build_world(session)
    for reseller, name, host in (
        (world.reseller, "Toko Sosmed", "a.example"),
        (world.other_reseller, "Panel Murah", "b.example"),
    ):
        brand = Brand(
            reseller_id=reseller.id,
            name=name,
            primary_color="#aa0000",
            whatsapp_url="https://wa.me/628123",
        )
        session.add(brand)
        await session.flush()
        session.add(BrandHost(host=host, brand_id=brand.id))
    world.agency.email = "a1@example.com"
    await passwords.set_password(session, world.agency, PASSWORD)
    await session.flush()
    return world


@pytest.fixture
async def browser(
    app_for: AppFor, sessionmaker: async_sessionmaker[AsyncSession], settings: Settings
) -> AsyncIterator[AsyncClient]:
    app = app_for(sessionmaker)
    web = WebSettings(secret=SecretStr("test-secret-" + "x" * 32), login_attempts=3)
    app.state.runtime.settings = settings.model_copy(update={"web": web})
    transport = ASGITransport(app=app)
    async with AsyncClient(transport=transport, base_url="http://a.example") as client:
        yield client


async def _sibling(session: AsyncSession, world: World) -> Account:
    """Another agency of the same reseller, with money to order."""
    sibling = await accounts.create(
        session, kind=AccountKind.agency, name="A2", parent_id=world.reseller.id
    )
    await ledger.fund_agency(session, sibling.id, Decimal(10), "float", None)
    return sibling


def _csrf(page: Response) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found, page.text
    return found.group(1)


async def _sign_in(browser: AsyncClient, host: str, password: str = PASSWORD) -> Response:
    form = await browser.get(f"http://{host}/login")
    return await browser.post(
        f"http://{host}/login",
        data={"email": "a1@example.com", "password": password, "csrf": _csrf(form)},
    )


async def test_the_host_chooses_the_brand(world: World, browser: AsyncClient) -> None:
    for host, name in (
        ("a.example", "Toko Sosmed"),
        ("b.example", "Panel Murah"),
        ("c.example", "Pasok"),
    ):
        page = await browser.get(f"http://{host}/login")
        assert page.status_code == 200
        assert f"<strong>{name}</strong>" in page.text
    assert "Masuk" in (await browser.get("http://a.example/login")).text  # Indonesian by default
    english = await browser.get("http://a.example/login", headers={"Accept-Language": "en-US,en"})
    assert "Sign in" in english.text


async def test_an_agency_sees_its_own_orders_on_its_brand_only(
    world: World, browser: AsyncClient, session: AsyncSession
) -> None:
    sibling = await _sibling(session, world)
    mine = await orders.accept(
        session, world.agency, world.services["followers"].id, {"link": LINK, "quantity": "100"}
    )
    theirs = await orders.accept(
        session,
        sibling,
        world.services["followers"].id,
        {"link": "https://instagram.com/a2", "quantity": "100"},
    )

    signed_in = await _sign_in(browser, "a.example")
    assert (signed_in.status_code, signed_in.headers["location"]) == (303, "/")
    dashboard = await browser.get("http://a.example/")
    assert dashboard.status_code == 200
    assert f"#{mine.id}" in dashboard.text
    assert LINK in dashboard.text
    assert f"#{theirs.id}" not in dashboard.text
    assert "instagram.com/a2" not in dashboard.text
    listed = await browser.get("http://a.example/orders")
    assert f"#{mine.id}" in listed.text
    assert f"#{theirs.id}" not in listed.text
    assert "instagram.com/a2" not in listed.text
    # The same session on another brand's host opens nothing there.
    elsewhere = await browser.get("http://b.example/")
    assert (elsewhere.status_code, elsewhere.headers["location"]) == (303, "/login")


async def test_an_agency_cannot_sign_in_on_another_brand(
    world: World, browser: AsyncClient
) -> None:
    refused = await _sign_in(browser, "b.example")
    assert refused.status_code == 401
    assert "salah" in refused.text


async def test_a_form_without_its_csrf_token_is_refused(world: World, browser: AsyncClient) -> None:
    await browser.get("http://a.example/login")
    answer = await browser.post(
        "http://a.example/login", data={"email": "a1@example.com", "password": PASSWORD}
    )
    assert answer.status_code == 403
    assert (await browser.get("http://a.example/")).headers["location"] == "/login"
    await _sign_in(browser, "a.example")
    out = await browser.post("http://a.example/logout", data={"csrf": "forged"})
    assert out.status_code == 403
    assert (await browser.get("http://a.example/")).status_code == 200  # still signed in


async def test_failed_sign_ins_are_throttled(world: World, browser: AsyncClient) -> None:
    for _ in range(3):
        assert (await _sign_in(browser, "a.example", "wrong password!")).status_code == 401
    blocked = await _sign_in(browser, "a.example")  # even the right password now
    assert blocked.status_code == 429
    assert (await browser.get("http://a.example/")).headers["location"] == "/login"


async def test_without_a_secret_the_panel_says_so(
    world: World, app_for: AppFor, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    app = app_for(sessionmaker)
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://a.example") as client:
        assert (await client.get("/login")).status_code == 503


async def test_a_suspended_agency_is_signed_out(
    world: World, browser: AsyncClient, session: AsyncSession
) -> None:
    await _sign_in(browser, "a.example")
    agency = await session.get_one(Account, world.agency.id)
    await accounts.update(session, agency.id, status=AccountStatus.suspended)
    assert (await browser.get("http://a.example/")).headers["location"] == "/login"


async def test_an_agency_orders_from_the_services_page_and_asks_for_a_refill(
    world: World, browser: AsyncClient, session: AsyncSession
) -> None:
    await _sign_in(browser, "a.example")
    listing = await browser.get("http://a.example/services")
    assert listing.status_code == 200
    assert "1.8 USD" in listing.text  # the agency's own rate for Followers
    followers = world.services["followers"].id
    assert f"/orders/new?service={followers}" in listing.text
    assert "Likes" not in (await browser.get("http://a.example/services?q=follow")).text

    form = await browser.get(f"http://a.example/orders/new?service={followers}")
    assert form.status_code == 200
    token = _csrf(form)
    refused = await browser.post(
        "http://a.example/orders", data={"service": followers, "link": LINK, "quantity": "100"}
    )
    assert refused.status_code == 403
    too_few = await browser.post(
        "http://a.example/orders",
        data={"service": followers, "link": LINK, "quantity": "5", "csrf": token},
    )
    assert (too_few.status_code, "Quantity less than minimal 10" in too_few.text) == (422, True)
    placed = await browser.post(
        "http://a.example/orders",
        data={"service": followers, "link": LINK, "quantity": "100", "csrf": token},
    )
    assert placed.status_code == 303
    order_id = int(placed.headers["location"].split("placed=")[1])
    page = await browser.get("http://a.example" + placed.headers["location"])
    assert f"#{order_id}" in page.text
    assert "/refill" not in page.text  # not finished yet

    order = await session.get_one(Order, order_id)
    order.status, order.upstream_id, order.remains = OrderStatus.completed, "u-9", 0
    await session.flush()
    page = await browser.get("http://a.example/orders")
    assert f"/orders/{order_id}/refill" in page.text
    asked = await browser.post(f"http://a.example/orders/{order_id}/refill", data={"csrf": token})
    assert asked.status_code == 303
    refills = await session.scalars(select(Refill).where(Refill.order_id == order_id))
    assert len(list(refills)) == 1


async def test_another_agency_s_order_cannot_be_acted_on(
    world: World, browser: AsyncClient, session: AsyncSession
) -> None:
    sibling = await _sibling(session, world)
    theirs = await orders.accept(
        session, sibling, world.services["followers"].id, {"link": LINK, "quantity": "100"}
    )
    await _sign_in(browser, "a.example")
    followers = world.services["followers"].id
    token = _csrf(await browser.get(f"http://a.example/orders/new?service={followers}"))
    for action in ("cancel", "refill"):
        answer = await browser.post(
            f"http://a.example/orders/{theirs.id}/{action}", data={"csrf": token}
        )
        assert answer.status_code == 422
        assert "Incorrect order ID" in answer.text
    assert (await session.get_one(Order, theirs.id)).status is OrderStatus.pending
