"""Asking upstreams how open orders are doing, and settling the ones that finished.

A poll claims due orders (oldest due first, SKIP LOCKED so pollers never wait on each other)
by pushing their `next_poll_at` out by a lease and committing; the upstream calls run outside
any transaction; the answers are applied in a second one. A poller that dies mid-way loses
nothing: its orders come due again when the lease runs out.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from panel.config import OrderSettings
from panel.models import Order, OrderStatus
from panel.orders.settlement import Ending, settle_many
from panel.plumbing.db import one_of
from panel.providers.adapter import OrderState, UpstreamStatus

LEASE = timedelta(minutes=2)


@dataclass(frozen=True)
class Due:
    order_id: int
    provider_id: int
    upstream_id: str


async def claim_due(session: AsyncSession, now: datetime, limit: int) -> dict[int, list[Due]]:
    """Up to `limit` due orders, grouped by provider, leased to this poller."""
    rows = (
        await session.execute(
            select(Order.id, Order.provider_id, Order.upstream_id)
            .where(Order.status == OrderStatus.in_progress, Order.next_poll_at <= now)
            .order_by(Order.next_poll_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    ).all()
    if not rows:
        return {}
    await session.execute(
        update(Order)
        .where(one_of(Order.id, [row.id for row in rows]))
        .values(next_poll_at=now + LEASE)
        .execution_options(synchronize_session=False)
    )
    by_provider: dict[int, list[Due]] = defaultdict(list)
    for row in rows:
        if row.provider_id is not None and row.upstream_id is not None:
            by_provider[row.provider_id].append(Due(row.id, row.provider_id, row.upstream_id))
    return by_provider


async def apply(
    session: AsyncSession,
    answers: dict[int, UpstreamStatus],
    now: datetime,
    settings: OrderSettings,
) -> dict[OrderStatus, int]:
    """Record each order's upstream status; settle those that finished, all together.
    Counts by new status."""
    counts: dict[OrderStatus, int] = defaultdict(int)
    endings: list[Ending] = []
    orders = await session.scalars(
        select(Order)
        .where(one_of(Order.id, answers), Order.status == OrderStatus.in_progress)
        .order_by(Order.id)
        .with_for_update()
    )
    for order in orders:
        ending = _read(order, answers[order.id], now, settings)
        if ending is None:
            counts[order.status] += 1
        else:
            endings.append(ending)
    for order in await settle_many(session, endings):
        counts[order.status] += 1
    return counts


def _read(
    order: Order, answer: UpstreamStatus, now: datetime, settings: OrderSettings
) -> Ending | None:
    """Update `order` from the upstream's answer; how it ended, if it did."""
    if answer.state is OrderState.in_progress:
        if answer.start_count is not None:
            order.start_count = answer.start_count
        if answer.remains is not None:
            order.remains = answer.remains
            if answer.remains < order.quantity and order.started_at is None:
                order.started_at = now
        order.next_poll_at = now + poll_interval(order, now, settings)
        return None
    if answer.state is OrderState.completed:
        if answer.serial is not None:
            order.serial = answer.serial
        return Ending(order, OrderStatus.completed, 0, "completed upstream", answer.start_count)
    if answer.state is OrderState.partial and answer.remains is not None:
        return Ending(
            order, OrderStatus.partial, answer.remains, "partial upstream", answer.start_count
        )
    if answer.state is OrderState.canceled:
        return Ending(
            order, OrderStatus.canceled, order.quantity, "canceled upstream", answer.start_count
        )
    # Unknown to the upstream, or partial without saying how much is left: a refund computed
    # from a guess would be wrong, so an operator decides.
    if answer.start_count is not None:
        order.start_count = answer.start_count
    order.status = OrderStatus.needs_review
    order.next_poll_at = None
    order.review_reason = f"upstream status {answer.state} (remains {answer.remains})"
    return None


def poll_interval(order: Order, now: datetime, settings: OrderSettings) -> timedelta:
    """Young orders change fast; old ones are asked less often."""
    age = (now - (order.submitted_at or now)).total_seconds()
    seconds = min(max(age / 10, settings.min_poll_interval_s), settings.max_poll_interval_s)
    return timedelta(seconds=seconds)
