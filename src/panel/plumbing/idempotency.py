"""`Idempotency-Key` on /v1: a request retried with the same key gets its first answer again.

The key is claimed by inserting its row in the request's own transaction. A second request with
the same key waits on that insert until the first commits, then finds the row with the first
answer in it; if the first rolled back (it failed, and changed nothing), the second runs as if
it were the first. So however many copies arrive at once, one runs. Only answers that changed
something are kept: a refused request is safe to repeat as it is.
"""

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from panel.errors import Conflict
from panel.models import IdempotencyKey
from panel.plumbing.retention import BATCH, delete_batch


@dataclass(frozen=True)
class Answer:
    status_code: int
    body: str  # JSON, exactly as sent


def fingerprint(method: str, path: str, body: bytes) -> str:
    return hashlib.sha256(b"\n".join([method.encode(), path.encode(), body])).hexdigest()


async def claim(
    session: AsyncSession, account_id: int, key: str, request_print: str
) -> Answer | None:
    """None when this request holds the key and should run; else the first request's answer.
    The same key with a different request is a conflict."""
    claimed = await session.scalar(
        insert(IdempotencyKey)
        .values(account_id=account_id, key=key, fingerprint=request_print)
        .on_conflict_do_nothing()
        .returning(IdempotencyKey.key)
    )
    if claimed is not None:
        return None
    first = await session.scalar(
        select(IdempotencyKey)
        .where(IdempotencyKey.account_id == account_id, IdempotencyKey.key == key)
        .execution_options(populate_existing=True)
    )
    if first is None or first.status_code is None or first.response is None:
        # Committed without an answer cannot happen (the answer is written in the same
        # transaction); gone means purged between the two statements. Either way: try again.
        raise Conflict("a request with this Idempotency-Key is in progress; try again")
    if first.fingerprint != request_print:
        raise Conflict("this Idempotency-Key was used with a different request")
    return Answer(first.status_code, first.response)


async def remember(session: AsyncSession, account_id: int, key: str, answer: Answer) -> None:
    row = await session.get_one(IdempotencyKey, (account_id, key))
    row.status_code = answer.status_code
    row.response = answer.body


async def purge(session: AsyncSession, now: datetime, days: float, batch: int = BATCH) -> int:
    """Forget keys older than `days`, at most `batch` of them; returns how many. A key whose
    request is still running is its request's own uncommitted insert: no other transaction
    sees it, so it is never taken here, and nothing here waits for it."""
    return await delete_batch(
        session,
        IdempotencyKey,
        select(IdempotencyKey.account_id, IdempotencyKey.key).where(
            IdempotencyKey.created_at < now - timedelta(days=days)
        ),
        oldest_first=IdempotencyKey.created_at,
        batch=batch,
    )
