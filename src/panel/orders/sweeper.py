"""The sweeper: work whose job was lost is driven again, and work whose worker died is parked.

- `pending` orders whose submission job never ran (a crash between commit and enqueue, a
  flushed Redis, a worker killed before its claim committed) get their job queued again; its
  deterministic id makes that harmless when the job is in fact still queued. The orders are
  locked with SKIP LOCKED, so one a job is claiming right now is left to it; for the others,
  a dead worker's mark on the job is cleared, and the job runs again at once.
- `submitting` orders older than the submit timeout lost their worker mid-call: the upstream
  may or may not have the order, so they go to review, never back to `pending`.
"""

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from panel.config import OrderSettings
from panel.models import Order, OrderStatus, Refill, RefillStatus
from panel.orders.jobs import submit_later
from panel.plumbing import outbox

BATCH = 1000


def stale_pending(now: datetime, settings: OrderSettings) -> ColumnElement[bool]:
    """A `pending` order whose submission job is overdue: the sweeper drives it again."""
    grace = timedelta(seconds=settings.pending_grace_s)
    return (Order.status == OrderStatus.pending) & (
        func.coalesce(Order.next_attempt_at, Order.updated_at) < now - grace
    )


def stale_submitting(now: datetime, settings: OrderSettings) -> ColumnElement[bool]:
    """A `submitting` order past the submit timeout: its worker died mid-call."""
    timeout = timedelta(seconds=settings.submit_timeout_s)
    return (Order.status == OrderStatus.submitting) & (Order.submitted_at < now - timeout)


async def sweep(session: AsyncSession, now: datetime, settings: OrderSettings) -> tuple[int, int]:
    """(orders re-driven, orders parked for review)."""
    grace = timedelta(seconds=settings.pending_grace_s)
    stale = await session.scalars(
        select(Order)
        .where(stale_pending(now, settings))
        .order_by(Order.id)
        .limit(BATCH)
        .with_for_update(skip_locked=True)
    )
    redriven = 0
    for order in stale:
        submit_later(session, order, redrive=True)
        redriven += 1
    parked = await session.execute(
        update(Order)
        .where(stale_submitting(now, settings))
        .values(
            status=OrderStatus.needs_review,
            review_reason="the worker stopped while sending it upstream; outcome unknown",
        )
        .execution_options(synchronize_session=False)
    )
    refills = await session.scalars(
        select(Refill.id).where(
            Refill.status == RefillStatus.pending, Refill.updated_at < now - grace
        )
    )
    for refill_id in refills:
        outbox.later(session, "refill_upstream", refill_id, job_id=f"refill:{refill_id}")
    return redriven, parked.rowcount  # type: ignore[attr-defined]
