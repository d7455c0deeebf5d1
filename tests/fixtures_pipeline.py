"""The pipeline under test: committed data, real arq workers, short clocks. Used by the order
tests and by the browser tests, which watch an order go through it."""

from collections.abc import AsyncIterator, Awaitable, Callable
from decimal import Decimal

import pytest
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from panel.config import HttpSettings, OrderSettings, Settings
from panel.ledger import service as ledger
from panel.ledger.audit import audit
from panel.runtime import Runtime
from workers.worker import build

RunJobs = Callable[[], Awaitable[int]]


@pytest.fixture
def pipeline_settings(settings: Settings) -> Settings:
    # Short clocks so a test sees retries, leases and timeouts without waiting for them.
    return settings.model_copy(
        update={
            "orders": OrderSettings(
                submit_timeout_s=1,
                pending_grace_s=0,
                first_poll_after_s=0,
                min_poll_interval_s=0,
            ),
            "http": HttpSettings(connect_timeout_s=1, read_timeout_s=2),
        }
    )


@pytest.fixture
async def runtime(
    pipeline_settings: Settings, committed: async_sessionmaker[AsyncSession], redis: Redis
) -> AsyncIterator[Runtime]:
    # `redis` flushes the queue: order ids restart with every test's fresh tables, and a job
    # left queued by an earlier test must not stand in for this one's.
    runtime = await Runtime.start(pipeline_settings)
    yield runtime
    await runtime.close()


@pytest.fixture
def run_jobs(pipeline_settings: Settings) -> RunJobs:
    """Run every queued job (and the jobs they queue) in a real arq worker, then stop."""

    async def run() -> int:
        worker = build(pipeline_settings, burst=True, crons=False)
        try:
            await worker.async_run()
        finally:
            await worker.close()
        assert worker.jobs_failed == 0
        return worker.jobs_complete

    return run


async def audit_clean(runtime: Runtime) -> None:
    """The ledger audit finds nothing wrong."""
    async with runtime.transaction() as session:
        assert await audit(session) == []


async def balance(runtime: Runtime, account_id: int) -> Decimal:
    async with runtime.transaction() as session:
        return await ledger.balance(session, account_id)
