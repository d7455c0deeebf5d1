"""The operator's dashboard figures, exact for a small world: settled orders and margin per day,
orders by status, the review queue, stuck orders, provider balances and the last audit."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from redis.asyncio import Redis
from sqlalchemy import text, update
from sqlalchemy.ext.asyncio import AsyncSession

from panel.catalogue import service as catalogue
from panel.config import OrderSettings
from panel.models import Journal, JournalKind, Order, OrderStatus
from panel.orders import service as orders
from panel.orders.settlement import settle
from panel.plumbing import metrics
from panel.reports import dashboard
from tests.fixtures.factories import COST, World, build_world

D = Decimal
SETTINGS = OrderSettings(submit_timeout_s=120, pending_grace_s=30)


async def _order(session: AsyncSession, world: World, link: str) -> Order:
    return await orders.accept(
        session,
        world.reseller,
        world.services["followers"].id,
        {"link": f"https://instagram.com/{link}", "quantity": "1000"},
    )


async def _settled_on(
    session: AsyncSession,
    world: World,
    link: str,
    moment: datetime,
    status: OrderStatus = OrderStatus.completed,
    remains: int = 0,
) -> Decimal:
    """An order settled at `moment`; its margin (what the buyer kept paid, less the cost)."""
    order = await _order(session, world, link)
    order.provider_id, order.cost_rate = world.provider.id, COST
    order.status = OrderStatus.in_progress
    await session.flush()
    await settle(session, order, status, remains, "test")
    # The ledger refuses edits (a trigger); the test backdates its own settlement by lifting
    # the triggers for this statement alone, inside the test's rolled-back transaction.
    await session.execute(text("SET LOCAL session_replication_role = replica"))
    await session.execute(
        update(Journal)
        .where(Journal.order_id == order.id, Journal.kind == JournalKind.settlement)
        .values(created_at=moment)
    )
    await session.execute(text("SET LOCAL session_replication_role = DEFAULT"))
    delivered = order.quantity - remains
    paid = (order.charge * delivered / order.quantity).quantize(D("0.000001"))
    return paid - COST * delivered / 1000


async def test_the_figures_of_a_small_world(session: AsyncSession, redis: Redis) -> None:
    now = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)
    world = await build_world(session)

    two_days_ago = now - timedelta(days=2)
    margin_then = await _settled_on(session, world, "a", two_days_ago)
    margin_then += await _settled_on(session, world, "b", two_days_ago, OrderStatus.partial, 400)
    margin_today = await _settled_on(session, world, "c", now - timedelta(hours=1))
    # Settled before the 30 days shown: in no day.
    await _settled_on(session, world, "old", now - timedelta(days=30))

    stuck_submitting = await _order(session, world, "stuck-submitting")
    stuck_submitting.status = OrderStatus.submitting
    stuck_submitting.submitted_at = now - timedelta(seconds=121)
    fresh_submitting = await _order(session, world, "fresh-submitting")
    fresh_submitting.status = OrderStatus.submitting
    fresh_submitting.submitted_at = now - timedelta(seconds=5)
    stuck_pending = await _order(session, world, "stuck-pending")
    stuck_pending.next_attempt_at = now - timedelta(seconds=31)
    fresh_pending = await _order(session, world, "fresh-pending")
    fresh_pending.next_attempt_at = now + timedelta(seconds=60)
    for age, link in ((timedelta(hours=1), "review-new"), (timedelta(days=3), "review-old")):
        waiting = await _order(session, world, link)
        waiting.status, waiting.created_at = OrderStatus.needs_review, now - age
    oldest = waiting

    world.provider.balance, world.provider.low_balance = D("5"), D("10")
    world.backup.balance, world.backup.low_balance = D("250.5"), D("10")
    for provider in (world.provider, world.backup):
        provider.balance_checked_at = now
    await catalogue.create_provider(
        session, name="Never checked", api_url="http://127.0.0.1:9/x", api_key="k", currency="EUR"
    )
    await session.flush()

    shown = await dashboard.gather(session, redis, SETTINGS, now)

    assert len(shown.days) == dashboard.DAYS
    assert (shown.days[0].day, shown.days[-1].day) == (
        (now - timedelta(days=29)).date(),
        now.date(),
    )
    busy = {day.day: (day.orders, day.margin) for day in shown.days if day.orders}
    assert busy == {two_days_ago.date(): (2, margin_then), now.date(): (1, margin_today)}
    assert margin_then == D("0.5") + D("0.3")  # 1.50 paid - 1.00 cost; 0.90 kept - 0.60
    assert (shown.settled, shown.margin) == (3, margin_then + margin_today)

    assert shown.statuses == {
        OrderStatus.pending: 2,
        OrderStatus.submitting: 2,
        OrderStatus.in_progress: 0,
        OrderStatus.completed: 3,
        OrderStatus.partial: 1,
        OrderStatus.canceled: 0,
        OrderStatus.failed: 0,
        OrderStatus.needs_review: 2,
    }
    assert shown.review == dashboard.Review(2, oldest.id, now - timedelta(days=3))
    assert shown.stuck == dashboard.Stuck(submitting=1, pending=1)

    funds = {p.name: (p.balance, p.alert_below, p.low, p.currency) for p in shown.providers}
    assert funds == {
        "Backup": (D("250.5"), D("10"), False, "USD"),
        "Never checked": (None, D("0"), False, "EUR"),
        "Primary": (D("5"), D("10"), True, "USD"),
    }
    assert [p.name for p in shown.providers] == ["Backup", "Never checked", "Primary"]
    assert shown.audit_breaches is None  # never run


async def test_the_last_audit_is_read_where_it_was_published(
    session: AsyncSession, redis: Redis
) -> None:
    now = datetime.now(UTC)
    await metrics.publish_audit(redis, 3)
    shown = await dashboard.gather(session, redis, SETTINGS, now)
    assert shown.audit_breaches == 3
    await metrics.publish_audit(redis, 0)
    assert await dashboard.last_audit(redis) == 0


async def test_an_empty_panel_has_thirty_empty_days(session: AsyncSession, redis: Redis) -> None:
    shown = await dashboard.gather(session, redis, SETTINGS, datetime.now(UTC))
    assert [(day.orders, day.margin) for day in shown.days] == [(0, D(0))] * dashboard.DAYS
    assert set(shown.statuses.values()) == {0}
    assert shown.review == dashboard.Review(0, None, None)
    assert shown.stuck == dashboard.Stuck(0, 0)
