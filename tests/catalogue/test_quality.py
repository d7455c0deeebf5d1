"""Quality figures from Pasok's own orders: 30-day rates and medians, per service and per
provider, shown on every surface."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from panel.catalogue import quality
from panel.models import Order, OrderStatus, Refill, RefillStatus
from panel.orders import service as orders
from tests.fixtures.factories import World, build_world
from tests.fixtures.world import World as ApiWorld

D = Decimal
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


async def _finished(
    session: AsyncSession,
    world: World,
    status: OrderStatus,
    *,
    start_s: int | None,
    done_s: int,
    ago: timedelta = timedelta(days=1),
) -> Order:
    order = await orders.accept(
        session,
        world.reseller,
        world.services["followers"].id,
        {"link": "https://x.io/q", "quantity": "100"},
    )
    sent = NOW - ago
    order.status, order.provider_id = status, world.provider.id
    order.submitted_at = sent
    order.started_at = None if start_s is None else sent + timedelta(seconds=start_s)
    order.finished_at = sent + timedelta(seconds=done_s)
    await session.flush()
    return order


async def test_rates_and_medians_over_the_last_30_days(session: AsyncSession) -> None:
    world = await build_world(session)
    done = [
        await _finished(session, world, OrderStatus.completed, start_s=s, done_s=d)
        for s, d in ((60, 600), (120, 1200), (600, 3000))
    ]
    await _finished(session, world, OrderStatus.partial, start_s=30, done_s=900)
    await _finished(session, world, OrderStatus.canceled, start_s=None, done_s=50)
    await _finished(
        session, world, OrderStatus.completed, start_s=1, done_s=2, ago=timedelta(days=31)
    )
    await orders.accept(  # still open: not counted
        session,
        world.reseller,
        world.services["followers"].id,
        {"link": "https://x.io/o", "quantity": "100"},
    )
    for order, state in (
        (done[0], RefillStatus.completed),
        (done[1], RefillStatus.rejected),
        (done[2], RefillStatus.completed),
    ):
        session.add(Refill(order_id=order.id, status=state))
    await session.flush()

    assert await quality.refresh(session, NOW) == 2  # the service and its provider
    service = (await quality.figures_of(session, quality.SERVICE))[world.services["followers"].id]
    assert (service.orders, service.completion_rate, service.partial_rate, service.cancel_rate) == (
        5,
        D("0.6"),
        D("0.2"),
        D("0.2"),
    )
    assert (service.median_start_s, service.median_complete_s) == (90, 1200)
    assert (service.refills, service.refill_success_rate) == (3, D("0.6667"))
    provider = (await quality.figures_of(session, quality.PROVIDER))[world.provider.id]
    assert provider.orders == 5
    # Figures are replaced, not added to: a second run gives the same.
    assert await quality.refresh(session, NOW) == 2


async def test_figures_show_in_v1_and_api_v2_services(world: ApiWorld) -> None:
    panel = world.panel
    order_id = await panel.order(
        world.reseller, world.followers, link="https://x.io/s", quantity=100
    )
    await panel.set_order(
        order_id,
        status="completed",
        remains=0,
        submitted_at=NOW - timedelta(hours=2),
        started_at=NOW - timedelta(hours=2) + timedelta(seconds=45),
        finished_at=NOW - timedelta(hours=1),
    )
    async with panel.sessionmaker.begin() as session:
        await quality.refresh(session, NOW)

    services = {s["id"]: s for s in (await panel.v1(world.reseller, "GET", "/services")).json()}
    shown = services[world.followers]["quality"]
    assert (shown["orders"], shown["completion_rate"], shown["median_start_s"]) == (1, "1.0000", 45)
    assert services[world.likes]["quality"] is None
    listed = {row["service"]: row for row in await panel.api(world.reseller, action="services")}
    assert listed[world.followers]["quality_completion_rate"] == "1.0000"
    assert listed[world.followers]["quality_median_complete_seconds"] == "3600"
    assert listed[world.likes]["quality_orders_30d"] is None
    rows = await panel.admin("GET", "/quality?subject=service")
    assert [(row["subject_id"], row["orders"]) for row in rows] == [(world.followers, 1)]
