"""Order status changes reach the buyer's receiver, signed, even after it was down."""

import json
import socket
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from panel.config import RetentionSettings, Settings, WebhookSettings
from panel.models import DeliveryStatus, Order, OrderStatus, WebhookAttempt, WebhookDelivery
from panel.orders import service
from panel.plumbing.runtime import Runtime
from panel.webhooks import service as webhooks
from panel.webhooks import signing
from tests.fixtures.factories import World
from tests.fixtures.pipeline import RunJobs
from tests.fixtures.sandbox import SandboxHandle
from tests.webhooks.receiver import Receiver
from workers import order_jobs, webhook_jobs
from workers.tasks import JobContext

LINK = "https://instagram.com/hooked"
SECRET = "whsec_test_secret_0123456789"


@pytest.fixture
def pipeline_settings(pipeline_settings: Settings) -> Settings:
    # The receiver runs on loopback; a failed delivery comes due again at once.
    webhooks = WebhookSettings(allow_private_hosts=True, first_retry_s=0.001, max_retry_s=0.001)
    return pipeline_settings.model_copy(update={"webhooks": webhooks})


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    receiver = Receiver(port)
    yield receiver
    receiver.down()


async def _endpoint(runtime: Runtime, world: World, url: str, *, agency: bool = True) -> int:
    async with runtime.transaction() as session:
        owner = world.agency if agency else world.reseller
        made = await webhooks.create_endpoint(
            session, owner, url, SECRET, runtime.settings.webhooks
        )
        return made.id


async def _fan_out(runtime: Runtime) -> int:
    async with runtime.transaction() as session:
        made: int = await webhook_jobs.fan_out_webhooks(JobContext(runtime, session))
    return made


async def _accept(runtime: Runtime, world: World, quantity: int = 100) -> Order:
    async with runtime.transaction() as session:
        return await service.accept(
            session,
            world.agency,
            world.services["followers"].id,
            {"link": LINK, "quantity": str(quantity)},
        )


async def _order_to_completion(
    runtime: Runtime, world: World, sandbox: SandboxHandle, run_jobs: RunJobs
) -> int:
    order = await _accept(runtime, world)
    await run_jobs()
    sandbox.advance(3600)
    await order_jobs.poll_orders(runtime)
    return order.id


def _events(receiver: Receiver) -> list[dict[str, Any]]:
    return [json.loads(hit.body) for hit in receiver.received]


async def test_a_receiver_down_for_a_while_gets_every_change_signed(
    runtime: Runtime,
    world: World,
    sandbox: SandboxHandle,
    run_jobs: RunJobs,
    receiver: Receiver,
) -> None:
    await _endpoint(runtime, world, receiver.url)
    order_id = await _order_to_completion(runtime, world, sandbox, run_jobs)
    assert await _fan_out(runtime) == 4  # pending, processing, in_progress, completed

    # Down: nothing listens. Every attempt fails, is logged, and is tried again.
    for _ in range(3):
        assert await webhook_jobs.send_webhooks(runtime) == 0
    async with runtime.transaction() as session:
        deliveries = list(await session.scalars(select(WebhookDelivery)))
        attempts = list(await session.scalars(select(WebhookAttempt)))
    assert {d.status for d in deliveries} == {DeliveryStatus.pending}
    assert all(d.attempts >= 3 for d in deliveries)
    assert len(attempts) == sum(d.attempts for d in deliveries)
    assert all(a.status_code is None and a.error for a in attempts)

    receiver.answer = 503  # up, but failing: still retried
    receiver.up()
    assert await webhook_jobs.send_webhooks(runtime) == 0
    receiver.answer = 200
    assert await webhook_jobs.send_webhooks(runtime) == 4

    delivered = receiver.received[-4:]
    for hit in delivered:
        header = hit.headers[signing.HEADER]
        assert signing.verify(SECRET, header, hit.body, time.time())
        # Any change to the body, or another secret, fails the check.
        tampered = hit.body.replace(b'"status"', b'"Status"')
        assert not signing.verify(SECRET, header, tampered, time.time())
        assert not signing.verify("whsec_another_secret_000000", header, hit.body, time.time())
        # A request replayed after the tolerance fails, however good its signature.
        assert not signing.verify(SECRET, header, hit.body, time.time() + signing.TOLERANCE_S + 1)
    chain = sorted(
        (json.loads(hit.body) for hit in delivered), key=lambda event: int(event["id"][4:])
    )
    assert [(e["data"]["previous_status"], e["data"]["order"]["status"]) for e in chain] == [
        (None, "pending"),
        ("pending", "processing"),
        ("processing", "in_progress"),
        ("in_progress", "completed"),
    ]
    assert {e["data"]["order"]["id"] for e in chain} == {order_id}
    async with runtime.transaction() as session:
        statuses = set(await session.scalars(select(WebhookDelivery.status)))
    assert statuses == {DeliveryStatus.delivered}
    assert await webhook_jobs.send_webhooks(runtime) == 0  # nothing is sent twice


async def test_the_reseller_hears_of_its_agency_s_orders_at_its_own_charge(
    runtime: Runtime,
    world: World,
    sandbox: SandboxHandle,
    run_jobs: RunJobs,
    receiver: Receiver,
) -> None:
    receiver.up()
    await _endpoint(runtime, world, receiver.url, agency=False)
    order = await _accept(runtime, world, 1000)
    async with runtime.transaction() as session:
        paid = await service.paid_by(session, world.reseller, [order])
    await _fan_out(runtime)
    await webhook_jobs.send_webhooks(runtime)
    [event] = _events(receiver)
    assert event["data"]["order"]["charge"] == str(paid[order.id].normalize())


async def test_runs_and_inner_changes_are_not_sent(
    runtime: Runtime, world: World, receiver: Receiver
) -> None:
    """`submitting` → `needs_review` is "processing" either way: the buyer hears nothing."""
    receiver.up()
    await _endpoint(runtime, world, receiver.url)
    order = await _accept(runtime, world)
    async with runtime.transaction() as session:
        for status in (OrderStatus.submitting, OrderStatus.needs_review):
            locked = await session.get_one(Order, order.id, populate_existing=True)
            locked.status = status
            await session.flush()
    assert await _fan_out(runtime) == 2  # pending, then processing once


async def test_a_private_address_is_never_called(
    runtime: Runtime, world: World, receiver: Receiver
) -> None:
    receiver.up()
    # Registered while private receivers were allowed; the operator has since forbidden them.
    await _endpoint(runtime, world, receiver.url)
    runtime.settings.webhooks.allow_private_hosts = False
    async with runtime.transaction() as session:
        await webhooks.ping(session, world.agency, 1, datetime.now(UTC))
    assert await webhook_jobs.send_webhooks(runtime) == 0
    assert receiver.received == []
    async with runtime.transaction() as session:
        [attempt] = list(await session.scalars(select(WebhookAttempt)))
    assert attempt.error is not None
    assert "private" in attempt.error


async def test_old_history_is_forgotten_and_recent_kept(
    runtime: Runtime, world: World, receiver: Receiver
) -> None:
    kept = (RetentionSettings().webhook_days, RetentionSettings().order_event_days)
    receiver.up()
    await _endpoint(runtime, world, receiver.url)
    await _accept(runtime, world)
    await _fan_out(runtime)
    await webhook_jobs.send_webhooks(runtime)
    async with runtime.transaction() as session:
        assert await webhooks.purge(session, datetime.now(UTC), *kept) == 0  # all of it recent
    later = datetime.now(UTC) + timedelta(days=kept[0], seconds=1)
    async with runtime.transaction() as session:
        # The event, its delivery, its attempt.
        assert await webhooks.purge(session, later, *kept) == 3
        assert list(await session.scalars(select(WebhookDelivery))) == []
