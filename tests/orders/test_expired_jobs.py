"""An order whose submission job arq dropped without running it is sent by the next sweep,
whatever arq noted about the dropped job."""

from datetime import UTC, datetime

from arq.constants import job_key_prefix, result_key_prefix
from redis.asyncio import Redis

from panel.config import Settings
from panel.models import Order, OrderStatus
from panel.orders import service, sweeper
from panel.orders.jobs import submission
from panel.plumbing.runtime import Runtime
from tests.fixtures.factories import World
from tests.fixtures.sandbox import SandboxHandle
from workers.worker import build


async def _run_worker(settings: Settings) -> int:
    """Run what is queued in a real arq worker; how many jobs failed."""
    worker = build(settings, burst=True, crons=False)
    try:
        await worker.async_run()
    finally:
        await worker.close()
    return worker.jobs_failed


async def test_an_order_whose_job_expired_is_sent_by_the_next_sweep(
    runtime: Runtime,
    world: World,
    sandbox: SandboxHandle,
    pipeline_settings: Settings,
    redis: Redis,
) -> None:
    link = "https://instagram.com/expired-job"
    async with runtime.transaction() as session:
        order = await service.accept(
            session,
            world.reseller,
            world.services["followers"].id,
            {"link": link, "quantity": "100"},
        )
    # What a second start of the job finds once the first has finished (the sweeper cleared the
    # running job's mark, so arq started it again): its id still queued, its body gone. The
    # first run had skipped the order, which the sweeper's own transaction held locked.
    job_id = submission(order.id).job_id
    assert job_id is not None
    assert await redis.delete(job_key_prefix + job_id) == 1
    assert await _run_worker(pipeline_settings) == 1  # arq: "job expired"
    async with runtime.transaction() as session:
        assert (await session.get_one(Order, order.id)).status is OrderStatus.pending
    assert not await redis.exists(result_key_prefix + job_id), "a kept result blocks the id"

    async with runtime.transaction() as session:
        assert await sweeper.sweep(session, datetime.now(UTC), runtime.settings.orders) == (1, 0)
    assert await _run_worker(pipeline_settings) == 0
    async with runtime.transaction() as session:
        assert (await session.get_one(Order, order.id)).status is OrderStatus.in_progress
    assert len(sandbox.requests("add", link=link)) == 1
