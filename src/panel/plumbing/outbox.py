"""Jobs asked for inside a transaction are sent only after it commits, and never if it rolls
back: a worker must not pick up an order that does not exist yet, or never will."""

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

_KEY = "pasok.outbox"


@dataclass(frozen=True)
class JobRequest:
    name: str
    args: tuple[object, ...]
    job_id: str | None = None
    defer_by: timedelta | None = None
    # Sent by the sweeper for work it found stalled: a job of that id that a dead worker left
    # marked as running is run again now rather than once the mark lapses (minutes later).
    # Only for jobs that check in the database whether their work is still to do.
    redrive: bool = False


def later(
    session: AsyncSession,
    name: str,
    *args: object,
    job_id: str | None = None,
    defer_by: timedelta | None = None,
) -> None:
    """Queue job `name(*args)` once this session's transaction has committed."""
    ask(session, JobRequest(name, args, job_id, defer_by))


def ask(session: AsyncSession, request: JobRequest) -> None:
    session.info.setdefault(_KEY, []).append(request)


def take(session: AsyncSession) -> list[JobRequest]:
    requests: list[JobRequest] = session.info.pop(_KEY, [])
    return requests
