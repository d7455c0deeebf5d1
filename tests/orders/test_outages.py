"""A bad night in production: Redis restarted empty, PostgreSQL connections killed, a worker
killed mid-job. Nothing stops for good, no order is sent twice, and the ledger stays exact.

These run real processes (`pasok api`, `pasok worker`, a Redis server of the test's own)
against the test database and the sandbox provider over HTTP.
"""

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client import REGISTRY
from pydantic import SecretStr
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from panel.app import create_app
from panel.config import Settings
from panel.keys import service as keys
from panel.ledger.audit import audit
from panel.models import TERMINAL, Account, Order, OrderStatus
from panel.orders import service, sweeper
from panel.plumbing import embedded, supervisor
from panel.plumbing.db import create_engine, create_sessionmaker
from panel.plumbing.job_queue import Queue
from panel.plumbing.runtime import Runtime
from tests.fixtures.app_server import AppServer
from tests.fixtures.factories import World
from tests.fixtures.sandbox import SandboxHandle
from workers import worker as worker_process

pytestmark = pytest.mark.slow

PASOK = str(Path(sys.executable).with_name("pasok"))
SETTLED = TERMINAL | {OrderStatus.needs_review}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class RedisServer:
    """A Redis server of the test's own, to stop and start again empty."""

    def __init__(self) -> None:
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        found = shutil.which("redis-server")
        self._binary = found or str(embedded._redis_server())
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self._process = subprocess.Popen(
            [self._binary, "--port", str(self.port), "--bind", "127.0.0.1"]
            + ["--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        raise RuntimeError("the test's Redis did not start")

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait()


@pytest.fixture
def own_redis() -> Iterator[RedisServer]:
    server = RedisServer()
    server.start()
    yield server
    server.stop()


async def _kill_connections(engine_url: str, *names: str) -> int:
    """End every backend of these processes, as `pg_terminate_backend` by an administrator."""
    engine = create_engine(engine_url, pool_size=1, name="pasok-test-killer")
    try:
        async with engine.connect() as connection:
            killed = await connection.scalars(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND application_name = ANY(:names)"
                ),
                {"names": list(names)},
            )
            return len(list(killed))
    finally:
        await engine.dispose()


def _env(settings: Settings, redis_url: str) -> dict[str, str]:
    assert settings.database_url is not None
    return os.environ | {
        "PASOK_DATABASE_URL": settings.database_url.get_secret_value(),
        "PASOK_REDIS_URL": redis_url,
        # Clocks short enough for the test to see the sweeper work, long enough to be real.
        "PASOK_ORDERS__PENDING_GRACE_S": "3",
        "PASOK_ORDERS__SUBMIT_TIMEOUT_S": "20",
        "PASOK_ORDERS__FIRST_POLL_AFTER_S": "1",
        "PASOK_ORDERS__MIN_POLL_INTERVAL_S": "1",
    }


async def _api_key(runtime: Runtime, account: Account) -> str:
    async with runtime.transaction() as session:
        return (await keys.issue(session, account, "outage")).plaintext


async def _wait_http(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient() as client:
        while time.monotonic() < deadline:
            try:
                if (await client.get(url, timeout=2)).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.2)
    raise AssertionError(f"{url} did not answer 200")


async def test_orders_flow_through_a_redis_restart_and_killed_database_connections(
    runtime: Runtime,
    world: World,
    sandbox: SandboxHandle,
    pipeline_settings: Settings,
    own_redis: RedisServer,
) -> None:
    sandbox.reset(frozen=False)
    for external_id in ("1", "2"):
        sandbox.set_behaviour(external_id, speed=10_000, start_delay_s=0)
    key = await _api_key(runtime, world.reseller)
    service_id = world.services["followers"].id
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = _env(pipeline_settings, own_redis.url)
    assert pipeline_settings.database_url is not None
    database_url = pipeline_settings.database_url.get_secret_value()
    api = subprocess.Popen([PASOK, "api", "--port", str(port)], env=env, stdout=subprocess.DEVNULL)
    worker = subprocess.Popen([PASOK, "worker"], env=env, stdout=subprocess.DEVNULL)
    answers: list[tuple[str, int, Any]] = []
    running = True

    async def client(number: int) -> None:
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
            sequence = 0
            while running:
                sequence += 1
                link = f"https://instagram.com/outage-{number}-{sequence}"
                order = {"key": key, "action": "add", "service": service_id, "link": link}
                for action, body in (
                    ("add", order | {"quantity": "100"}),
                    ("balance", {"key": key, "action": "balance"}),
                ):
                    response = await http.post("/api/v2", data=body)
                    try:
                        answer = response.json()
                    except ValueError:
                        answer = response.text
                    answers.append((action, response.status_code, answer))
                await asyncio.sleep(0.05)

    try:
        await _wait_http(f"{base}/readyz")
        clients = [asyncio.create_task(client(number)) for number in range(4)]
        await asyncio.sleep(3)
        own_redis.stop()  # down for 5 s, then back with nothing in it
        await asyncio.sleep(5)
        own_redis.start()
        killed = []
        for _ in range(3):
            await asyncio.sleep(4)
            killed.append(await _kill_connections(database_url, "pasok-api", "pasok-worker"))
        await asyncio.sleep(3)
        running = False
        await asyncio.gather(*clients)
        last_fault = time.monotonic()

        accepted = [a["order"] for _, _, a in answers if isinstance(a, dict) and "order" in a]
        engine = create_engine(database_url, pool_size=2, name="pasok-test")
        sessions = create_sessionmaker(engine)
        try:
            while True:
                async with sessions() as session:
                    rows = await session.execute(
                        select(Order.id, Order.status).where(Order.id.in_(accepted))
                    )
                    statuses = {order_id: status for order_id, status in rows}
                waiting = [i for i in accepted if statuses.get(i) not in SETTLED]
                if not waiting or time.monotonic() - last_fault > 120:
                    break
                await asyncio.sleep(1)
            async with sessions() as session:
                breaches = await audit(session)
        finally:
            await engine.dispose()
        assert api.poll() is None, "the API stopped for good"
        assert worker.poll() is None, "the worker stopped for good"
    finally:
        running = False
        for process in (api, worker):
            process.terminate()
        for process in (api, worker):
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    assert all(count >= 1 for count in killed), killed
    assert [a for a in answers if a[1] >= 500] == []
    assert all(status == 200 for _, status, _ in answers)
    # Balances and statuses need nothing from Redis: answered through the outage too.
    balances = [answer for action, _, answer in answers if action == "balance"]
    failed_balances = [a for a in balances if not isinstance(a, dict) or "balance" not in a]
    assert len(failed_balances) <= len(balances) // 50, failed_balances[:5]
    assert len(accepted) > 40
    assert waiting == [], f"{len(waiting)} orders still open: {waiting[:10]}"
    adds = Counter(request["link"] for request in sandbox.requests("add"))
    assert [link for link, count in adds.items() if count > 1] == []
    assert breaches == []


async def test_the_worker_rides_out_a_redis_restart(
    runtime: Runtime,
    world: World,
    sandbox: SandboxHandle,
    pipeline_settings: Settings,
    own_redis: RedisServer,
) -> None:
    settings = pipeline_settings.model_copy(update={"redis_url": SecretStr(own_redis.url)})
    stop = asyncio.Event()
    serving = asyncio.create_task(worker_process.serve(settings, stop))
    try:
        await asyncio.sleep(1.5)  # connected and polling
        own_redis.stop()
        await asyncio.sleep(2)
        own_redis.start()
        # An order taken after the outage, its job queued on the Redis that came back.
        async with runtime.transaction() as session:
            order = await service.accept(
                session,
                world.reseller,
                world.services["followers"].id,
                {"link": "https://instagram.com/after-restart", "quantity": "100"},
            )
        queue = await Queue.connect(own_redis.url)
        try:
            await queue.enqueue("submit_order", order.id, job_id=f"submit:{order.id}:0")
        finally:
            await queue.close()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            async with runtime.transaction() as session:
                status = (await session.get_one(Order, order.id)).status
            if status not in (OrderStatus.pending, OrderStatus.submitting):
                break
            await asyncio.sleep(0.2)
        assert not serving.done(), "the worker stopped for good"
        assert status is OrderStatus.in_progress
    finally:
        stop.set()
        await asyncio.wait_for(serving, 30)


async def test_an_order_whose_worker_died_before_its_claim_is_sent_within_a_sweep(
    runtime: Runtime,
    world: World,
    sandbox: SandboxHandle,
    pipeline_settings: Settings,
    committed: async_sessionmaker[AsyncSession],
) -> None:
    assert pipeline_settings.redis_url is not None
    link = "https://instagram.com/killed-before-claim"
    async with runtime.transaction() as session:
        order = await service.accept(
            session,
            world.reseller,
            world.services["followers"].id,
            {"link": link, "quantity": "100"},
        )
    env = _env(pipeline_settings, pipeline_settings.redis_url.get_secret_value())
    async with committed() as blocker:
        # The claim waits on this lock: the worker has taken the job and not yet committed.
        await blocker.execute(text('LOCK TABLE "order" IN ACCESS EXCLUSIVE MODE'))
        worker = await asyncio.create_subprocess_exec(
            PASOK, "worker", env=env, stdout=asyncio.subprocess.DEVNULL
        )
        try:
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and not await _claim_waits(committed):
                await asyncio.sleep(0.1)
            assert await _claim_waits(committed), "the worker never started the claim"
        finally:
            worker.send_signal(signal.SIGKILL)
            await worker.wait()
        await blocker.rollback()
    # The dead worker's backend ends once it finds its client gone, as in production.
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and await _worker_backends(committed):
        await asyncio.sleep(0.1)

    async with runtime.transaction() as session:
        assert await sweeper.sweep(session, datetime.now(UTC), runtime.settings.orders) == (1, 0)
    # A new worker runs the job at once, not once arq's mark of the dead one lapses.
    fresh = worker_process.build(pipeline_settings, burst=True, crons=False)
    try:
        await asyncio.wait_for(fresh.async_run(), 15)
    finally:
        await fresh.close()
    async with runtime.transaction() as session:
        assert (await session.get_one(Order, order.id)).status is OrderStatus.in_progress
    assert len(sandbox.requests("add", link=link)) == 1


async def _claim_waits(committed: async_sessionmaker[AsyncSession]) -> bool:
    return await _worker_backends(committed, "AND wait_event_type = 'Lock'") > 0


async def _worker_backends(committed: async_sessionmaker[AsyncSession], where: str = "") -> int:
    async with committed() as session:
        count = await session.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND application_name = 'pasok-worker' " + where
            )
        )
        return int(count or 0)


async def test_api_requests_are_answered_while_redis_is_down(
    runtime: Runtime, world: World, pipeline_settings: Settings, own_redis: RedisServer
) -> None:
    key = await _api_key(runtime, world.reseller)
    own_redis.stop()
    settings = pipeline_settings.model_copy(update={"redis_url": SecretStr(own_redis.url)})
    server = AppServer(create_app(settings), "on").start()
    local_before = _counted_locally()
    try:
        async with httpx.AsyncClient(base_url=server.base_url) as http:
            balance = await http.post("/api/v2", data={"key": key, "action": "balance"})
            rest = await http.get("/v1/balance", headers={"Authorization": f"Bearer {key}"})
            order = await http.post(
                "/api/v2",
                data={
                    "key": key,
                    "action": "add",
                    "service": world.services["followers"].id,
                    "link": "https://instagram.com/while-redis-is-down",
                    "quantity": "100",
                },
            )
    finally:
        server.stop()
    assert balance.status_code == 200
    assert "balance" in balance.json()
    assert rest.status_code == 200
    assert "balance" in rest.json()
    assert "x-ratelimit-limit" in rest.headers
    assert order.status_code == 200
    assert "order" in order.json(), order.text
    assert _counted_locally() > local_before
    async with runtime.transaction() as session:
        taken = await session.get_one(Order, order.json()["order"])
        assert taken.status is OrderStatus.pending  # its job is sent by the sweeper later


def _counted_locally() -> float:
    return REGISTRY.get_sample_value("pasok_rate_limit_local_total") or 0.0


async def test_a_request_whose_connection_was_killed_is_run_again(
    runtime: Runtime, world: World, pipeline_settings: Settings
) -> None:
    key = await _api_key(runtime, world.reseller)
    assert pipeline_settings.database_url is not None
    server = AppServer(create_app(pipeline_settings), "on").start()
    headers = {"Authorization": f"Bearer {key}"}
    try:
        async with httpx.AsyncClient(base_url=server.base_url) as http:
            assert (await http.get("/v1/balance", headers=headers)).status_code == 200
            database_url = pipeline_settings.database_url.get_secret_value()
            assert await _kill_connections(database_url, "pasok-api") >= 1
            after = await http.get("/v1/balance", headers=headers)
            v2 = await http.post("/api/v2", data={"key": key, "action": "balance"})
    finally:
        server.stop()
    assert after.status_code == 200, after.text
    assert v2.status_code == 200
    assert "balance" in v2.json(), v2.text


def test_up_starts_a_child_that_exits_again_with_a_growing_pause(tmp_path: Path) -> None:
    marker = tmp_path / "starts"
    command = [sys.executable, "-c", f"open({str(marker)!r}, 'a').write('x')"]
    child = supervisor.Child("flaky", command, dict(os.environ))
    child.start()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and child.restarts < 2:
        child.tend(time.monotonic())
        time.sleep(0.05)
    child.wait_or_kill()  # the third start writes, then exits by itself
    assert child.restarts == 2
    assert marker.read_text() == "xxx"
    # Three quick exits: 1 s, then 2 s, and the next pause is 4 s.
    assert child.pause_s == 4 * supervisor.FIRST_PAUSE_S
