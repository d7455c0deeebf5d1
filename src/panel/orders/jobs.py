"""The jobs the order pipeline asks for, each with its id: sent once the transaction commits."""

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from panel import outbox
from panel.models import Order


def submit_later(session: AsyncSession, order: Order, defer_by: timedelta | None = None) -> None:
    # One id per attempt: arq refuses a job id it still remembers, and a retry is a new attempt.
    job_id = f"submit:{order.id}:{order.submit_attempts}"
    outbox.later(session, "submit_order", order.id, job_id=job_id, defer_by=defer_by)


def cancel_later(session: AsyncSession, order: Order) -> None:
    outbox.later(session, "cancel_upstream", order.id, job_id=f"cancel:{order.id}")
