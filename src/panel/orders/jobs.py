"""The jobs the order pipeline asks for, each with its id: sent once the transaction commits."""

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from panel.models import Order
from panel.plumbing import outbox
from panel.plumbing.outbox import JobRequest


def submission(
    order_id: int, attempts: int = 0, defer_by: timedelta | None = None, *, redrive: bool = False
) -> JobRequest:
    # One id per attempt: arq refuses a job id it still remembers, and a retry is a new attempt.
    # Re-driving is safe: `submission.claim` sends only a `pending` order it has locked.
    return JobRequest(
        "submit_order", (order_id,), f"submit:{order_id}:{attempts}", defer_by, redrive=redrive
    )


def submit_later(
    session: AsyncSession,
    order: Order,
    defer_by: timedelta | None = None,
    *,
    redrive: bool = False,
) -> None:
    outbox.ask(session, submission(order.id, order.submit_attempts, defer_by, redrive=redrive))


def cancel_later(session: AsyncSession, order: Order) -> None:
    outbox.later(session, "cancel_upstream", order.id, job_id=f"cancel:{order.id}")
