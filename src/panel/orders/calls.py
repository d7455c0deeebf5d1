"""The upstream calls made about an order (add, cancel, refill), kept with how their answer
was classified: what an operator reads before deciding on an order. Status polls are not
kept: they go out in batches of hundreds and would bury the calls that matter."""

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from panel.models import TERMINAL, Order, Refill, RefillStatus, UpstreamCall
from panel.plumbing.retention import BATCH, delete_batch
from panel.providers.adapter import CancelResult, Submission, UpstreamError

ANSWER_CHARS = 500


def note(
    session: AsyncSession,
    order_id: int,
    provider_id: int | None,
    action: str,
    outcome: str,
    answer: str,
    now: datetime,
) -> None:
    """Add the call to the session: it is inserted in the flush of the state change it led
    to, with no round trip of its own."""
    session.add(
        UpstreamCall(
            order_id=order_id,
            provider_id=provider_id,
            action=action,
            outcome=outcome,
            answer=answer[:ANSWER_CHARS],
            called_at=now,
        )
    )


def answer_of(result: Submission | CancelResult) -> str:
    """What the adapter kept of the answer: the upstream's error or the start of an unreadable
    body, the error class when nothing came back, or the id it gave."""
    if result.detail:
        return result.detail
    upstream_id = getattr(result, "upstream_id", None)
    return f"id {upstream_id}" if upstream_id else ""


def failure_of(error: UpstreamError) -> tuple[str, str]:
    """A safe-to-repeat call that failed: its outcome and answer as kept."""
    return type(error).__name__, f"{type(error).__name__}: {error.detail}"


async def record_cancel(
    session: AsyncSession,
    order_id: int,
    provider_id: int,
    result: CancelResult | UpstreamError | None,
    now: datetime,
) -> None:
    """The answer to a forwarded cancel. It changes no state (the next poll shows its effect),
    so this transaction holds only the call."""
    if result is None:
        outcome, answer = "ambiguous", "the answer did not mention this order"
    elif isinstance(result, UpstreamError):
        outcome, answer = failure_of(result)
    else:
        outcome, answer = result.outcome.value, answer_of(result)
    note(session, order_id, provider_id, "cancel", outcome, answer, now)


async def purge(session: AsyncSession, now: datetime, days: float, batch: int = BATCH) -> int:
    """Forget calls made `days` ago about orders that ended `days` ago, at most `batch` of
    them; returns how many. An open order's calls (one waiting for review above all) and
    those of an order with a refill under way are what an operator reads next: kept."""
    before = now - timedelta(days=days)
    ended = (
        select(Order.id)
        .where(
            Order.id == UpstreamCall.order_id,
            Order.status.in_(sorted(TERMINAL)),
            Order.finished_at < before,
        )
        .exists()
    )
    refilling = (
        select(Refill.id)
        .where(
            Refill.order_id == UpstreamCall.order_id,
            Refill.status.in_([RefillStatus.pending, RefillStatus.in_progress]),
        )
        .exists()
    )
    return await delete_batch(
        session,
        UpstreamCall,
        select(UpstreamCall.id).where(UpstreamCall.called_at < before, ended, ~refilling),
        oldest_first=UpstreamCall.called_at,
        batch=batch,
    )
