"""Drip-feed: forwarded to a route that has it, run by Pasok as separate runs otherwise."""

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select, update

from panel.api_v2 import actions
from panel.config import Settings
from panel.keys import service as keys
from panel.models import Order, OrderStatus, ProviderService
from panel.money import charge_for, refund_for
from panel.orders import dripfeed, service, submission
from panel.plumbing.runtime import Runtime
from panel.providers import registry
from tests.fixtures.factories import AGENCY_RATE, RESELLER_RATE, World
from tests.fixtures.pipeline import RunJobs, audit_clean, balance
from tests.fixtures.sandbox import SandboxHandle
from workers import order_jobs
from workers.tasks import JobContext

LINK = "https://instagram.com/dripping"
RUN_QUANTITY, RUNS, INTERVAL = 100, 3, 2
MINUTE_S = 0.25  # one minute of `interval`, shortened so the runs go out within a second


@pytest.fixture
def pipeline_settings(pipeline_settings: Settings) -> Settings:
    orders = pipeline_settings.orders.model_copy(update={"dripfeed_minute_s": MINUTE_S})
    return pipeline_settings.model_copy(update={"orders": orders})


async def _without_upstream_dripfeed(runtime: Runtime, world: World) -> None:
    async with runtime.transaction() as session:
        await session.execute(
            update(ProviderService)
            .where(ProviderService.id.in_([ps.id for ps in world.routes["followers"]]))
            .values(dripfeed=False)
        )


async def _order(runtime: Runtime, world: World, *, interval: int = INTERVAL) -> int:
    async with runtime.transaction() as session:
        order = await service.accept(
            session,
            world.agency,
            world.services["followers"].id,
            {
                "link": LINK,
                "quantity": str(RUN_QUANTITY),
                "runs": str(RUNS),
                "interval": str(interval),
            },
        )
    return order.id


def _now() -> datetime:
    return datetime.now(UTC)


async def _orders(runtime: Runtime, parent_id: int) -> tuple[Order, list[Order]]:
    async with runtime.transaction() as session:
        parent = await session.get_one(Order, parent_id)
        return parent, list(await dripfeed.runs_of(session, parent))


async def _finish(runtime: Runtime) -> int:
    async with runtime.transaction() as session:
        settled: int = await order_jobs.finish_drip_feeds(JobContext(runtime, session))
    return settled


async def test_a_route_with_drip_feed_gets_the_runs_in_one_order(
    runtime: Runtime, world: World, sandbox: SandboxHandle, run_jobs: RunJobs
) -> None:
    async with runtime.transaction() as session:  # the sandbox's service 7 has drip-feed
        await session.execute(
            update(ProviderService)
            .where(ProviderService.id == world.routes["followers"][0].id)
            .values(external_id="7")
        )
    order_id = await _order(runtime, world)
    await run_jobs()
    [sent] = [request["params"] for request in sandbox.requests("add", link=LINK)]
    assert (int(sent["runs"]), int(sent["interval"]), int(sent["quantity"])) == (
        RUNS,
        INTERVAL,
        RUN_QUANTITY,
    )
    parent, runs = await _orders(runtime, order_id)
    assert parent.status is OrderStatus.in_progress
    assert parent.upstream_id is not None
    assert runs == []


async def test_emulated_runs_go_out_one_interval_apart_and_the_order_completes(
    runtime: Runtime, world: World, sandbox: SandboxHandle, run_jobs: RunJobs
) -> None:
    await _without_upstream_dripfeed(runtime, world)
    reseller_before = await balance(runtime, world.reseller.id)
    order_id = await _order(runtime, world)
    await run_jobs()

    sent = sandbox.requests("add", link=LINK)
    assert len(sent) == RUNS
    assert all(
        "runs" not in request and int(request["quantity"]) == RUN_QUANTITY for request in sent
    )
    parent, runs = await _orders(runtime, order_id)
    assert (parent.status, parent.upstream_id) == (OrderStatus.in_progress, None)
    assert [run.status for run in runs] == [OrderStatus.in_progress] * RUNS
    assert {run.upstream_id for run in runs} == {str(request["order"]) for request in sent}
    # Each run was due one interval after the one before, and none went out before it was due.
    due = [run.next_attempt_at for run in runs]
    assert all(when is not None for when in due)
    gaps = [(b - a).total_seconds() for a, b in zip(due, due[1:], strict=False)]  # type: ignore[operator]
    assert gaps == pytest.approx([INTERVAL * MINUTE_S] * (RUNS - 1), abs=0.01)
    assert all(run.submitted_at >= when for run, when in zip(runs, due, strict=True))  # type: ignore[operator]
    assert await _finish(runtime) == 0  # the runs are still running

    sandbox.advance(3600)
    await order_jobs.poll_orders(runtime)
    assert await _finish(runtime) == 1
    parent, runs = await _orders(runtime, order_id)
    assert (parent.status, parent.remains) == (OrderStatus.completed, 0)
    paid = charge_for(AGENCY_RATE, RUN_QUANTITY * RUNS)
    assert parent.charge == paid
    assert await balance(runtime, world.agency.id) == Decimal(50) - paid
    margin = paid - charge_for(RESELLER_RATE, RUN_QUANTITY * RUNS)
    assert await balance(runtime, world.reseller.id) == reseller_before + margin
    assert await _finish(runtime) == 0  # settled once
    await audit_clean(runtime)


async def test_undelivered_runs_are_refunded(
    runtime: Runtime, world: World, sandbox: SandboxHandle, run_jobs: RunJobs
) -> None:
    await _without_upstream_dripfeed(runtime, world)
    sandbox.set_behaviour("1", partial_rate=1.0)
    order_id = await _order(runtime, world)
    await run_jobs()
    sandbox.advance(3600)
    await order_jobs.poll_orders(runtime)
    await _finish(runtime)

    parent, runs = await _orders(runtime, order_id)
    assert [run.status for run in runs] == [OrderStatus.partial] * RUNS
    remains = sum(run.remains or 0 for run in runs)
    assert 0 < remains < RUN_QUANTITY * RUNS
    assert (parent.status, parent.remains) == (OrderStatus.partial, remains)
    paid = charge_for(AGENCY_RATE, RUN_QUANTITY * RUNS)
    refund = refund_for(paid, remains, RUN_QUANTITY * RUNS)
    assert await balance(runtime, world.agency.id) == Decimal(50) - paid + refund
    await audit_clean(runtime)


async def test_cancel_stops_runs_not_yet_sent_and_refunds_them(
    runtime: Runtime, world: World, sandbox: SandboxHandle
) -> None:
    await _without_upstream_dripfeed(runtime, world)
    # A day between runs: only the first has gone out when the order is canceled.
    order_id = await _order(runtime, world, interval=24 * 60)
    async with runtime.transaction() as session:
        assert await submission.claim(session, order_id, _now(), runtime.settings.orders) is None
    parent, runs = await _orders(runtime, order_id)
    first = runs[0]
    async with runtime.transaction() as session:
        attempt = await submission.claim(session, first.id, _now(), runtime.settings.orders)
    assert attempt is not None
    adapter = registry.of(runtime).for_provider(attempt.provider)
    async with runtime.transaction() as session:
        await submission.record(
            session, first.id, await adapter.add(attempt.params), _now(), runtime.settings.orders
        )

    async with runtime.transaction() as session:
        await service.request_cancel(session, world.agency, order_id)
    parent, runs = await _orders(runtime, order_id)
    assert [run.status for run in runs] == [OrderStatus.in_progress] + [OrderStatus.canceled] * 2
    assert runs[0].cancel_requested_at is not None
    async with runtime.transaction() as session:
        with pytest.raises(service.Refused):  # asked once; a second cancel is refused
            await service.request_cancel(session, world.agency, order_id)

    # The cancel goes upstream (the job is run here: the worker would wait for the other runs'
    # jobs, due a day later, which find their run canceled and do nothing).
    await order_jobs.cancel_upstream(runtime, runs[0].id)
    sandbox.advance(3600)
    await order_jobs.poll_orders(runtime)
    await _finish(runtime)
    parent, runs = await _orders(runtime, order_id)
    assert [run.status for run in runs] == [OrderStatus.canceled] * RUNS
    assert (parent.status, parent.remains) == (OrderStatus.canceled, RUN_QUANTITY * RUNS)
    assert len(sandbox.requests("add", link=LINK)) == 1
    assert await balance(runtime, world.agency.id) == Decimal(50)
    await audit_clean(runtime)


async def test_runs_are_not_the_buyers_to_see(
    runtime: Runtime, world: World, sandbox: SandboxHandle, run_jobs: RunJobs
) -> None:
    await _without_upstream_dripfeed(runtime, world)
    order_id = await _order(runtime, world)
    await run_jobs()
    _, runs = await _orders(runtime, order_id)
    async with runtime.transaction() as session:
        for viewer in (world.agency, world.reseller):
            seen = await service.visible(session, viewer, [order_id, *(run.id for run in runs)])
            assert list(seen) == [order_id]
        answer = await actions.run(
            session,
            runtime,
            await _key(runtime, world),
            {"action": "status", "orders": ",".join(str(run.id) for run in runs)},
        )
    shown = json.loads(answer)
    assert len(shown) == len(runs)
    assert all(row == {"error": "Incorrect order ID"} for row in shown.values())
    async with runtime.transaction() as session:
        never_shown = await session.scalar(select(Order.id).where(Order.id == runs[0].id))
    assert never_shown == runs[0].id  # they exist; they are only hidden


async def _key(runtime: Runtime, world: World) -> str:
    async with runtime.transaction() as session:
        return (await keys.issue(session, world.agency)).plaintext
