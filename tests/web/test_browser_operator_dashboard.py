"""The operator's dashboard in headless Chromium, on a 390 px phone and a 1366 px laptop: its
charts drawn, no script refused by the CSP, nothing wider than the screen, and the margin
report one tap away.

Screenshots: tests/screenshots/ops_dashboard_390.png and ops_dashboard_1366.png."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from playwright.async_api import Browser, BrowserContext, ConsoleMessage, Page, ViewportSize, expect
from redis.asyncio import Redis
from sqlalchemy import text, update

from panel.accounts import passwords
from panel.accounts import service as accounts
from panel.models import AccountKind, Journal, JournalKind, OrderStatus
from panel.orders import service as orders
from panel.orders.settlement import settle
from panel.plumbing import metrics
from panel.plumbing.runtime import Runtime
from tests.fixtures.factories import COST, build_world
from tests.web.browsing import PHONE, Site, screenshot, sign_in

pytestmark = pytest.mark.slow

PASSWORD = "correct horse battery"
LAPTOP: ViewportSize = {"width": 1366, "height": 900}
# Settled orders, by how many days ago: a few bars of different heights.
SETTLED_DAYS_AGO = (0, 0, 0, 1, 3, 3, 6)


def _watch(page: Page) -> list[str]:
    refused: list[str] = []

    def seen(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or message.type == "error":
            refused.append(f"{page.url}: {message.text}")

    page.on("console", seen)
    return refused


@pytest.fixture
async def busy_panel(runtime: Runtime, redis: Redis) -> None:
    now = datetime.now(UTC)
    async with runtime.transaction() as session:
        world = await build_world(session, agency_balance=Decimal(200))
        for index, days_ago in enumerate(SETTLED_DAYS_AGO):
            order = await orders.accept(
                session,
                world.agency,
                world.services["followers"].id,
                {"link": f"https://instagram.com/p{index}", "quantity": "1000"},
            )
            order.provider_id, order.cost_rate = world.provider.id, COST
            order.status = OrderStatus.in_progress
            await session.flush()
            await settle(session, order, OrderStatus.completed, 0, "test")
            # Backdated past the ledger's append-only trigger, for this statement only.
            await session.execute(text("SET LOCAL session_replication_role = replica"))
            await session.execute(
                update(Journal)
                .where(Journal.order_id == order.id, Journal.kind == JournalKind.settlement)
                .values(created_at=now - timedelta(days=days_ago))
            )
            await session.execute(text("SET LOCAL session_replication_role = DEFAULT"))
        for status in (OrderStatus.needs_review, OrderStatus.in_progress, OrderStatus.pending):
            order = await orders.accept(
                session,
                world.agency,
                world.services["likes"].id,
                {"link": f"https://instagram.com/{status.value}", "quantity": "100"},
            )
            order.status = status
        world.provider.balance, world.provider.low_balance = Decimal(4), Decimal(10)
        world.backup.balance, world.backup.low_balance = Decimal(125), Decimal(10)
        operator = await accounts.create(
            session, kind=AccountKind.operator, name="Ops", email="ops@example.com"
        )
        await passwords.set_password(session, operator, PASSWORD)
    await metrics.publish_audit(redis, 0)


async def _no_wider_than(page: Page, width: int) -> None:
    assert await page.evaluate("document.documentElement.scrollWidth") <= width


async def test_the_dashboard_draws_its_charts_on_a_phone_and_a_laptop(
    phone: BrowserContext, chromium: Browser, site: Site, busy_panel: None
) -> None:
    page = await phone.new_page()
    refused = _watch(page)
    await sign_in(page, site, "panel.example", "ops@example.com", PASSWORD)
    await expect(page.locator("h1")).to_have_text("Ringkasan")
    assert page.url.endswith("/ops")
    orders_chart = page.locator("#chart-orders")
    await expect(orders_chart).to_be_visible()
    await expect(page.locator("#chart-orders rect.bar")).to_have_count(30)
    await expect(page.locator("#chart-statuses rect.part")).to_have_count(4)
    await expect(page.locator("#audit")).to_contain_text("Bersih")
    await expect(page.locator("#review .review-count")).to_have_text("1")
    await expect(page.locator("#balances .low-balance")).to_have_count(1)
    # The chart fits the card at phone width: scaled, not cut.
    box = await orders_chart.bounding_box()
    assert box is not None
    assert 300 < box["width"] <= PHONE["width"]
    tallest = await page.evaluate(
        "Math.max(...[...document.querySelectorAll('#chart-orders rect.bar')]"
        ".map(bar => bar.getBBox().height))"
    )
    assert tallest > 50
    await _no_wider_than(page, PHONE["width"])
    await screenshot(page, "ops_dashboard_390")

    await page.click("#margin a.button")
    await expect(page.locator("#report")).to_be_visible()
    await expect(page.locator("#total .orders")).to_have_text(str(len(SETTLED_DAYS_AGO)))
    await _no_wider_than(page, PHONE["width"])

    laptop = await chromium.new_context(
        viewport=LAPTOP, locale="id-ID", storage_state=await phone.storage_state()
    )
    try:
        wide = await laptop.new_page()
        refused += _watch(wide)
        await wide.goto(site.url("panel.example", "/ops"))
        await expect(wide.locator("#chart-margin")).to_be_visible()
        # Two cards side by side on a laptop.
        review, stuck = wide.locator("#review"), wide.locator("#audit")
        review_box, audit_box = await review.bounding_box(), await stuck.bounding_box()
        assert review_box is not None
        assert audit_box is not None
        assert review_box["x"] > audit_box["x"] + audit_box["width"] - 1
        await _no_wider_than(wide, LAPTOP["width"])
        await screenshot(wide, "ops_dashboard_1366")
    finally:
        await laptop.close()
    assert refused == []
