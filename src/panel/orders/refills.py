"""Refills: forwarded upstream once, then polled until the upstream says how it went.

A refill costs nothing, so unlike an order an unknown answer is not parked for review: the
refill stays `pending` and is sent again later. The worst case is a second free refill.
"""

from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from panel.models import Order, OrderStatus, Provider, Refill, RefillStatus, Service
from panel.orders import calls, texts
from panel.providers.adapter import Outcome, RefillResult, RefillState

POLL_EVERY = timedelta(minutes=1)
BATCH = 1000
REFILLABLE = frozenset({OrderStatus.completed, OrderStatus.partial})
# A refill still under way: while one is, another request is refused.
RUNNING = (RefillStatus.pending, RefillStatus.in_progress)

_STATES = {
    RefillState.pending: RefillStatus.in_progress,
    RefillState.in_progress: RefillStatus.in_progress,
    RefillState.completed: RefillStatus.completed,
    RefillState.rejected: RefillStatus.rejected,
    RefillState.unknown_upstream_id: RefillStatus.rejected,
}


@dataclass(frozen=True)
class Attempt:
    provider: Provider
    upstream_id: str  # the order's id at the provider


def refusal(order: Order, service: Service, running: bool) -> str | None:
    """Why `order` may not be refilled now, or None if it may: one rule for the request and for
    the pages that offer it, so a page never offers what the request would refuse."""
    if not service.refill:
        return texts.REFILL_DISABLED
    if order.status not in REFILLABLE or order.upstream_id is None or running:
        return texts.REFILL_NOT_ELIGIBLE
    return None


async def running(session: AsyncSession, order_ids: Collection[int]) -> set[int]:
    """The orders among `order_ids` with a refill still under way."""
    if not order_ids:
        return set()
    found = await session.scalars(
        select(Refill.order_id).where(Refill.order_id.in_(order_ids), Refill.status.in_(RUNNING))
    )
    return set(found)


async def shown(
    session: AsyncSession, orders: Sequence[Order], services: Mapping[int, Service]
) -> tuple[dict[int, Refill], set[int]]:
    """For a page of `orders`: each one's latest refill, and those that may be refilled now
    (by `refusal`, so the page offers only what a request would take)."""
    ids = [order.id for order in orders]
    if not ids:
        return {}, set()
    # Read in id order, so the last one wins.
    latest = {
        refill.order_id: refill
        for refill in await session.scalars(
            select(Refill).where(Refill.order_id.in_(ids)).order_by(Refill.id)
        )
    }
    under_way = await running(session, ids)
    may = {
        order.id
        for order in orders
        if refusal(order, services[order.service_id], order.id in under_way) is None
    }
    return latest, may


async def claim(session: AsyncSession, refill_id: int) -> Attempt | None:
    refill = await session.scalar(
        select(Refill)
        .where(Refill.id == refill_id, Refill.status == RefillStatus.pending)
        .with_for_update(skip_locked=True)
    )
    if refill is None:
        return None
    order = await session.get_one(Order, refill.order_id)
    if order.provider_id is None or order.upstream_id is None:
        refill.status = RefillStatus.rejected
        return None
    provider = await session.get_one(Provider, order.provider_id)
    return Attempt(provider, order.upstream_id)


async def record(
    session: AsyncSession,
    refill_id: int,
    result: RefillResult,
    now: datetime,
    provider_id: int | None = None,
) -> None:
    refill = await session.get_one(Refill, refill_id, with_for_update=True)
    calls.note(
        session,
        refill.order_id,
        provider_id,
        "refill",
        result.outcome.value,
        calls.answer_of(result),
        now,
    )
    if refill.status is not RefillStatus.pending:
        return
    if result.outcome is Outcome.accepted:
        refill.status = RefillStatus.in_progress
        refill.upstream_id = result.upstream_id
        refill.next_poll_at = now + POLL_EVERY
    elif result.outcome is Outcome.rejected:
        refill.status = RefillStatus.rejected
    # transient or ambiguous: stays pending; the sweeper sends it again.


async def due(session: AsyncSession, now: datetime) -> list[tuple[Provider, dict[str, int]]]:
    """In-progress refills due a poll, by provider: {upstream refill id: refill id}."""
    rows = (
        await session.execute(
            select(Refill.id, Refill.upstream_id, Order.provider_id)
            .join(Order, Order.id == Refill.order_id)
            .where(
                Refill.status == RefillStatus.in_progress,
                Refill.next_poll_at <= now,
                Refill.upstream_id.is_not(None),
            )
            .limit(BATCH)
        )
    ).all()
    by_provider: dict[int, dict[str, int]] = defaultdict(dict)
    for row in rows:
        by_provider[row.provider_id][row.upstream_id] = row.id
    providers = {
        p.id: p for p in await session.scalars(select(Provider).where(Provider.id.in_(by_provider)))
    }
    return [(providers[pid], batch) for pid, batch in by_provider.items()]


async def apply(session: AsyncSession, answers: dict[int, RefillState], now: datetime) -> None:
    for refill in await session.scalars(
        select(Refill).where(Refill.id.in_(answers)).with_for_update()
    ):
        refill.status = _STATES[answers[refill.id]]
        refill.next_poll_at = (
            now + POLL_EVERY if refill.status is RefillStatus.in_progress else None
        )
