"""Every upstream call about an order is kept with its classified answer, and an order's life
shows its status changes, calls, charges along the chain and journals exactly."""

from decimal import Decimal

from sqlalchemy import select

from panel.models import Order, OrderStatus, UpstreamCall, WebhookEndpoint
from panel.money import charge_for
from panel.orders import service
from panel.orders.life import life
from panel.plumbing.runtime import Runtime
from tests.fixtures.factories import AGENCY_RATE, COST, RESELLER_RATE, World
from tests.fixtures.pipeline import RunJobs
from tests.fixtures.sandbox import SandboxHandle
from workers import order_jobs

LINK = "https://instagram.com/life"


async def _order(
    runtime: Runtime, world: World, *, agency: bool = False, quantity: int = 1000
) -> int:
    async with runtime.transaction() as session:
        order = await service.accept(
            session,
            world.agency if agency else world.reseller,
            world.services["followers"].id,
            {"link": LINK, "quantity": str(quantity)},
        )
    return order.id


async def _calls(runtime: Runtime, order_id: int) -> list[tuple[str, str, str, int | None]]:
    async with runtime.transaction() as session:
        found = await session.scalars(
            select(UpstreamCall).where(UpstreamCall.order_id == order_id).order_by(UpstreamCall.id)
        )
        return [(c.action, c.outcome, c.answer, c.provider_id) for c in found]


async def test_an_accepted_add_is_kept_with_the_upstream_id(
    runtime: Runtime, world: World, run_jobs: RunJobs
) -> None:
    order_id = await _order(runtime, world)
    await run_jobs()
    async with runtime.transaction() as session:
        order = await session.get_one(Order, order_id)
        call = (
            await session.scalars(select(UpstreamCall).where(UpstreamCall.order_id == order_id))
        ).one()
    assert order.status is OrderStatus.in_progress
    assert (call.action, call.outcome, call.provider_id) == ("add", "accepted", world.provider.id)
    assert call.answer == f"id {order.upstream_id}"
    assert order.submitted_at is not None
    assert call.called_at >= order.submitted_at


async def test_a_refused_add_is_kept_with_the_upstream_error(
    runtime: Runtime, world: World, sandbox: SandboxHandle, run_jobs: RunJobs
) -> None:
    sandbox.set_behaviour("1", error_rate=1.0, error_text="Incorrect service ID")
    order_id = await _order(runtime, world)
    await run_jobs()
    calls = await _calls(runtime, order_id)
    # Each route refused it in turn: one call per route, each with the error as answered.
    assert len(calls) >= 1
    assert calls[0] == ("add", "rejected", "Incorrect service ID", world.provider.id)
    assert all(outcome == "rejected" for _, outcome, _, _ in calls)


async def test_a_broken_answer_is_kept_as_text(
    runtime: Runtime, world: World, sandbox: SandboxHandle, run_jobs: RunJobs
) -> None:
    sandbox.set_behaviour("1", fault="html")
    order_id = await _order(runtime, world)
    await run_jobs()
    [(action, outcome, answer, provider_id)] = await _calls(runtime, order_id)
    assert (action, outcome, provider_id) == ("add", "ambiguous", world.provider.id)
    assert answer.startswith("no order id in answer; HTTP 200: <")
    assert len(answer) <= 500
    async with runtime.transaction() as session:
        assert (await session.get_one(Order, order_id)).status is OrderStatus.needs_review


async def test_cancel_and_refill_calls_are_kept(
    runtime: Runtime, world: World, sandbox: SandboxHandle, run_jobs: RunJobs
) -> None:
    canceled = await _order(runtime, world)
    refilled = await _order(runtime, world, quantity=100)
    await run_jobs()
    async with runtime.transaction() as session:
        await service.request_cancel(session, world.reseller, canceled)
    await run_jobs()
    assert [c[:2] for c in await _calls(runtime, canceled)] == [
        ("add", "accepted"),
        ("cancel", "accepted"),
    ]

    sandbox.advance(3600)
    await order_jobs.poll_orders(runtime)
    async with runtime.transaction() as session:
        refill = await service.request_refill(session, world.reseller, refilled)
    await run_jobs()
    calls = await _calls(runtime, refilled)
    async with runtime.transaction() as session:
        refill_id = (await life(session, refilled)).refills[0].upstream_id
    assert refill.id is not None
    assert calls[1] == ("refill", "accepted", f"id {refill_id}", world.provider.id)
    assert len(calls) == 2  # the status polls in between left no row


async def test_life_shows_events_calls_charges_and_journals(
    runtime: Runtime, world: World, sandbox: SandboxHandle, run_jobs: RunJobs
) -> None:
    async with runtime.transaction() as session:
        # Status changes are kept as events for buyers with a webhook endpoint.
        session.add(
            WebhookEndpoint(account_id=world.agency.id, url="https://hooks.example/", secret="s")
        )
    order_id = await _order(runtime, world, agency=True)
    await run_jobs()
    sandbox.advance(3600)
    await order_jobs.poll_orders(runtime)
    async with runtime.transaction() as session:
        found = await life(session, order_id)
    agency_paid = charge_for(AGENCY_RATE, 1000)
    reseller_paid = charge_for(RESELLER_RATE, 1000)
    cost = charge_for(COST, 1000)
    assert found.order.status is OrderStatus.completed
    assert [(c.old_status, c.new_status) for c in found.changes] == [
        (None, "pending"),
        ("pending", "submitting"),
        ("submitting", "in_progress"),
        ("in_progress", "completed"),
    ]
    assert [(c.action, c.outcome) for c in found.calls] == [("add", "accepted")]
    assert [(c.account_id, c.amount) for c in found.charges] == [
        (world.agency.id, agency_paid),
        (world.reseller.id, reseller_paid),
    ]
    assert found.held == 0  # settled: clearing gave back all it held
    assert [(b.journal.kind.value, b.journal.order_id) for b in found.journals] == [
        ("order", order_id),
        ("settlement", order_id),
    ]
    paid, settled = found.journals
    assert sorted((leg.ledger_account, leg.amount) for leg in paid.entries) == sorted(
        [(f"wallet:{world.agency.id}", -agency_paid), ("clearing", agency_paid)]
    )
    margin = agency_paid - reseller_paid
    assert sorted((leg.ledger_account, leg.amount) for leg in settled.entries) == sorted(
        [
            ("clearing", -agency_paid),
            (f"wallet:{world.reseller.id}", margin),
            (f"provider:{world.provider.id}", cost),
            ("revenue", agency_paid - margin - cost),
        ]
    )
    assert sum(leg.amount for leg in settled.entries) == Decimal(0)
