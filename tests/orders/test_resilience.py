"""Crashes and lost jobs: an order is submitted upstream at most once, and none is forgotten."""

import asyncio
import os
import signal
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from redis.asyncio import Redis

from panel.config import Settings
from panel.ledger.audit import audit
from panel.models import TERMINAL, Order, OrderStatus
from panel.orders import service, sweeper
from panel.plumbing.runtime import Runtime
from tests.fixtures.factories import World
from tests.fixtures.pipeline import RunJobs
from tests.fixtures.sandbox import SandboxHandle
from workers import order_jobs

pytestmark = pytest.mark.slow

PASOK = str(Path(sys.executable).with_name("pasok"))


async def _status(runtime: Runtime, order_id: int) -> OrderStatus:
    async with runtime.transaction() as session:
        return (await session.get_one(Order, order_id)).status


async def _sweep(runtime: Runtime) -> tuple[int, int]:
    async with runtime.transaction() as session:
        return await sweeper.sweep(session, datetime.now(UTC), runtime.settings.orders)


async def _eventually(check: object, timeout: float = 20.0) -> None:
    assert callable(check)
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.1)


async def test_a_worker_killed_mid_submission_never_causes_a_second_add(
    runtime: Runtime,
    world: World,
    sandbox: SandboxHandle,
    pipeline_settings: Settings,
) -> None:
    link = "https://instagram.com/killed"
    # The sandbox records the order, then holds its answer: the worker is stuck waiting.
    sandbox.set_behaviour("1", fault="timeout_after_accept", hang_s=60)
    async with runtime.transaction() as session:
        order = await service.accept(
            session,
            world.reseller,
            world.services["followers"].id,
            {"link": link, "quantity": "100"},
        )
    assert pipeline_settings.database_url is not None
    assert pipeline_settings.redis_url is not None
    env = os.environ | {
        "PASOK_DATABASE_URL": pipeline_settings.database_url.get_secret_value(),
        "PASOK_REDIS_URL": pipeline_settings.redis_url.get_secret_value(),
        "PASOK_HTTP__READ_TIMEOUT_S": "120",
    }
    worker = await asyncio.create_subprocess_exec(
        PASOK,
        "worker",
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:

        async def upstream_has_it() -> bool:
            return len(sandbox.requests("add", link=link)) == 1

        await _eventually(upstream_has_it)
        assert await _status(runtime, order.id) is OrderStatus.submitting
    finally:
        worker.send_signal(signal.SIGKILL)
        await worker.wait()
    assert worker.returncode == -signal.SIGKILL

    # The answer never reached the database. After the submit timeout the sweeper parks it.
    await asyncio.sleep(pipeline_settings.orders.submit_timeout_s + 0.1)
    assert await _sweep(runtime) == (0, 1)
    assert await _status(runtime, order.id) is OrderStatus.needs_review
    # The killed job runs again (as arq retries it once its lease lapses): nothing is resent.
    assert await order_jobs.submit_order(runtime, order.id) is None
    assert len(sandbox.requests("add", link=link)) == 1
    assert await _status(runtime, order.id) is OrderStatus.needs_review
    async with runtime.transaction() as session:
        assert await audit(session) == []


async def test_redis_flushed_while_orders_wait_loses_none(
    runtime: Runtime, world: World, sandbox: SandboxHandle, run_jobs: RunJobs, redis: Redis
) -> None:
    sandbox.set_behaviour("2", partial_rate=0.5)
    order_ids = []
    async with runtime.transaction() as session:
        for number in range(30):
            buyer = world.agency if number % 3 == 0 else world.reseller
            name = "followers" if number % 2 else "likes"
            order = await service.accept(
                session,
                buyer,
                world.services[name].id,
                {"link": f"https://instagram.com/p{number}", "quantity": "100"},
            )
            order_ids.append(order.id)
    await redis.flushdb()  # every submission job is gone
    assert await run_jobs() == 0

    redriven, parked = await _sweep(runtime)
    assert (redriven, parked) == (30, 0)
    await run_jobs()
    sandbox.advance(3600)
    await order_jobs.poll_orders(runtime)
    async with runtime.transaction() as session:
        statuses = [(await session.get_one(Order, i)).status for i in order_ids]
        assert all(status in TERMINAL | {OrderStatus.needs_review} for status in statuses)
        assert OrderStatus.partial in statuses
        assert await audit(session) == []
    assert len(sandbox.requests("add")) == 30
