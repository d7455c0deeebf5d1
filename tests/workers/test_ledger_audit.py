"""The audit cron runs as a real arq job in a real worker (burst mode) against real Redis."""

from decimal import Decimal

from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from panel.accounts import service as accounts
from panel.config import Settings
from panel.ledger import service as ledger
from panel.models import AccountKind
from panel.plumbing import metrics
from panel.plumbing.job_queue import Queue
from workers.worker import build


async def _run_audit_job(settings: Settings, redis: Redis) -> int:
    assert settings.redis_url is not None
    queue = await Queue.connect(settings.redis_url.get_secret_value())
    try:
        assert await queue.enqueue("ledger_audit", job_id="audit-test")
        # The same job id again is refused while the first is queued: enqueue is idempotent.
        assert not await queue.enqueue("ledger_audit", job_id="audit-test")
    finally:
        await queue.close()
    worker = build(settings, burst=True, crons=False)
    try:
        await worker.async_run()
    finally:
        await worker.close()
    assert worker.jobs_complete == 1, f"failed={worker.jobs_failed}"
    return int(await redis.get(metrics.AUDIT_RESULT_KEY) or -1)


async def test_audit_job_reports_clean_then_a_tampered_wallet(
    settings: Settings, redis: Redis, committed: async_sessionmaker[AsyncSession]
) -> None:
    async with committed.begin() as session:
        reseller = await accounts.create(session, kind=AccountKind.reseller, name="R")
        await ledger.top_up(session, reseller.id, Decimal("12.5"), "bank transfer", None)

    assert await _run_audit_job(settings, redis) == 0

    async with committed.begin() as session:
        await session.execute(
            text("UPDATE ledger_account SET balance = balance + 1 WHERE owner_id = :id"),
            {"id": reseller.id},
        )
    assert await _run_audit_job(settings, redis) == 1
    assert metrics.LEDGER_AUDIT_BREACHES._value.get() == 1
