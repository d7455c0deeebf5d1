"""Orders flow to the sandbox and back, with money exact at every step."""

import asyncio
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import update

from panel.models import Order, OrderStatus
from panel.money import charge_for, refund_for
from panel.orders import review, service, sweeper
from panel.plumbing.runtime import Runtime
from tests.fixtures.factories import AGENCY_RATE, COST, RESELLER_RATE, World
from tests.fixtures.pipeline import RunJobs, audit_clean, balance
from tests.fixtures.sandbox import SandboxHandle
from workers import order_jobs

LINK = "https://instagram.com/pasok"


async def _order(
    runtime: Runtime, world: World, *, agency: bool = False, quantity: int = 1000, link: str = LINK
) -> int:
    async with runtime.transaction() as session:
        order = await service.accept(
            session,
            world.agency if agency else world.reseller,
            world.services["followers"].id,
            {"link": link, "quantity": str(quantity)},
        )
    return order.id


async def _get(runtime: Runtime, order_id: int) -> Order:
    async with runtime.transaction() as session:
        return await session.get_one(Order, order_id)


async def test_order_reaches_completed(
    runtime: Runtime, world: World, sandbox: SandboxHandle, run_jobs: RunJobs
) -> None:
    order_id = await _order(runtime, world)
    assert (await _get(runtime, order_id)).status is OrderStatus.pending
    await run_jobs()
    submitted = await _get(runtime, order_id)
    assert submitted.status is OrderStatus.in_progress
    assert submitted.upstream_id is not None
    sandbox.advance(3600)
    assert await order_jobs.poll_orders(runtime) == 1
    done = await _get(runtime, order_id)
    assert (done.status, done.remains) == (OrderStatus.completed, 0)
    # Seen finished at the first poll: that is when it is known to have started, at the latest.
    assert done.submitted_at is not None
    assert done.started_at is not None
    assert done.submitted_at <= done.started_at
    assert await balance(runtime, world.reseller.id) == Decimal(100) - RESELLER_RATE
    await audit_clean(runtime)


async def test_partial_refunds_each_link_of_the_chain(
    runtime: Runtime, world: World, sandbox: SandboxHandle, run_jobs: RunJobs
) -> None:
    sandbox.set_behaviour("1", partial_rate=1.0)
    reseller_before = await balance(runtime, world.reseller.id)
    order_id = await _order(runtime, world, agency=True, quantity=1000)
    await run_jobs()
    sandbox.advance(3600)
    await order_jobs.poll_orders(runtime)
    order = await _get(runtime, order_id)
    assert order.status is OrderStatus.partial
    assert order.remains is not None
    assert 0 < order.remains < 1000
    agency_paid = charge_for(AGENCY_RATE, 1000)
    reseller_paid = charge_for(RESELLER_RATE, 1000)
    agency_refund = refund_for(agency_paid, order.remains, 1000)
    reseller_refund = refund_for(reseller_paid, order.remains, 1000)
    assert await balance(runtime, world.agency.id) == Decimal(50) - agency_paid + agency_refund
    margin = (agency_paid - agency_refund) - (reseller_paid - reseller_refund)
    assert await balance(runtime, world.reseller.id) == reseller_before + margin
    await audit_clean(runtime)


async def test_cancel_upstream_refunds_everything(
    runtime: Runtime, world: World, sandbox: SandboxHandle, run_jobs: RunJobs
) -> None:
    sandbox.set_behaviour("1", cancel_rate=1.0)
    order_id = await _order(runtime, world, agency=True)
    await run_jobs()
    sandbox.advance(3600)
    await order_jobs.poll_orders(runtime)
    assert (await _get(runtime, order_id)).status is OrderStatus.canceled
    assert await balance(runtime, world.agency.id) == Decimal(50)
    await audit_clean(runtime)


async def _route_followers_to_backup_service(runtime: Runtime, world: World) -> None:
    """Followers: primary route is sandbox service 1, the backup route is sandbox service 2."""
    from panel.catalogue import routes
    from panel.catalogue import service as catalogue

    async with runtime.transaction() as session:
        backup = await catalogue.upsert_provider_service(
            session,
            world.backup.id,
            "2",
            panel_currency="USD",
            name="Followers backup",
            rate=COST,
            min_quantity=10,
            max_quantity=10_000,
        )
        await routes.replace(
            session, world.services["followers"].id, [world.routes["followers"][0].id, backup.id]
        )


async def test_a_rejection_on_the_primary_route_fails_over(
    runtime: Runtime, world: World, sandbox: SandboxHandle, run_jobs: RunJobs
) -> None:
    await _route_followers_to_backup_service(runtime, world)
    sandbox.set_behaviour("1", error_rate=1.0, error_text="Incorrect service ID")
    order_id = await _order(runtime, world)
    await run_jobs()
    order = await _get(runtime, order_id)
    assert order.status is OrderStatus.in_progress
    assert order.provider_id == world.backup.id
    adds = sandbox.requests("add")
    assert [row["service"] for row in adds] == ["1", "2"]


async def test_rejected_everywhere_fails_with_a_full_refund(
    runtime: Runtime, world: World, sandbox: SandboxHandle, run_jobs: RunJobs
) -> None:
    await _route_followers_to_backup_service(runtime, world)
    for service_id in ("1", "2"):
        sandbox.set_behaviour(service_id, error_rate=1.0)
    order_id = await _order(runtime, world, agency=True)
    await run_jobs()
    assert (await _get(runtime, order_id)).status is OrderStatus.failed
    assert await balance(runtime, world.agency.id) == Decimal(50)
    await audit_clean(runtime)


async def test_a_read_timeout_after_sending_parks_the_order(
    runtime: Runtime, world: World, sandbox: SandboxHandle, run_jobs: RunJobs
) -> None:
    sandbox.set_behaviour("1", fault="timeout_after_accept", hang_s=10)
    order_id = await _order(runtime, world)
    await run_jobs()
    order = await _get(runtime, order_id)
    assert order.status is OrderStatus.needs_review
    # The sweeper and another worker run change nothing: no second add, ever.
    async with runtime.transaction() as session:
        await sweeper.sweep(
            session, order.created_at.now(order.created_at.tzinfo), runtime.settings.orders
        )
    await run_jobs()
    assert len(sandbox.requests("add", link=LINK)) == 1
    assert (await _get(runtime, order_id)).status is OrderStatus.needs_review
    # The operator finds it upstream and attaches it; polling takes over.
    upstream_id = sandbox.orders()[0]["id"]
    async with runtime.transaction() as session:
        await review.attach(session, order_id, str(upstream_id))
    sandbox.advance(3600)
    await order_jobs.poll_orders(runtime)
    assert (await _get(runtime, order_id)).status is OrderStatus.completed
    await audit_clean(runtime)


async def test_connection_refused_is_retried_and_submitted_once(
    runtime: Runtime, world: World, sandbox: SandboxHandle
) -> None:
    provider = type(world.provider)
    async with runtime.transaction() as session:
        await session.execute(
            update(provider)
            .where(provider.id == world.provider.id)
            .values(api_url="http://127.0.0.1:9/api/v2")
        )
    order_id = await _order(runtime, world)
    # The real job function, run once: the connection is refused before anything is sent.
    assert await order_jobs.submit_order(runtime, order_id) == "pending"
    waiting = await _get(runtime, order_id)
    assert waiting.next_attempt_at is not None
    assert waiting.next_attempt_at > datetime.now(UTC)
    # Too early: the retry waits for its backoff.
    assert await order_jobs.submit_order(runtime, order_id) is None

    async with runtime.transaction() as session:
        await session.execute(
            update(provider).where(provider.id == world.provider.id).values(api_url=sandbox.url)
        )
    await asyncio.sleep((waiting.next_attempt_at - datetime.now(UTC)).total_seconds() + 0.1)
    assert await order_jobs.submit_order(runtime, order_id) == "in_progress"
    assert await order_jobs.submit_order(runtime, order_id) is None
    assert len(sandbox.requests("add", link=LINK)) == 1
