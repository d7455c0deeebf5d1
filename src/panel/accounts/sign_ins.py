"""The log of web sign-in attempts, per account: when, from where, with what, and how it
went. Written for every attempt that names an existing account, and shown to its owner, who
can tell a stranger's attempts from its own."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from panel.models import SignIn, SignInResult
from panel.plumbing.retention import BATCH, delete_batch

ADDRESS_LENGTH = 45
USER_AGENT_LENGTH = 300


async def record(
    session: AsyncSession,
    account_id: int,
    address: str | None,
    user_agent: str | None,
    result: SignInResult,
) -> None:
    session.add(
        SignIn(
            account_id=account_id,
            at=datetime.now(UTC),
            address=(address or "")[:ADDRESS_LENGTH],
            # Whatever the browser sends, cut to a length worth keeping.
            user_agent="".join(c for c in (user_agent or "") if c.isprintable())[
                :USER_AGENT_LENGTH
            ],
            result=result,
        )
    )
    await session.flush()


async def page(
    session: AsyncSession, account_id: int, before: int | None = None, limit: int = 50
) -> list[SignIn]:
    """The account's attempts, newest first; `before`: older than that attempt's id."""
    query = select(SignIn).where(SignIn.account_id == account_id)
    if before is not None:
        query = query.where(SignIn.id < before)
    return list(await session.scalars(query.order_by(SignIn.id.desc()).limit(limit)))


async def purge(session: AsyncSession, now: datetime, days: float, batch: int = BATCH) -> int:
    """Forget attempts older than `days`, at most `batch` of them; returns how many. Nothing
    else reads them: failed attempts are counted for the lock-out in Redis."""
    return await delete_batch(
        session,
        SignIn,
        select(SignIn.id).where(SignIn.at < now - timedelta(days=days)),
        oldest_first=SignIn.at,
        batch=batch,
    )
