"""Cancels and refills are forwarded upstream and tracked; mass orders stand line by line;
the review queue is worked through /admin/v1."""

from decimal import Decimal

import pytest
from httpx import AsyncClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from panel.ledger import service as ledger
from panel.ledger.audit import audit
from panel.models import Order, OrderStatus, Refill, RefillStatus
from panel.money import charge_for
from panel.orders import mass, service, texts
from panel.plumbing.runtime import Runtime
from tests.conftest import Operator
from tests.fixtures.factories import RESELLER_RATE, World, build_world
from tests.fixtures.pipeline import RunJobs
from tests.fixtures.sandbox import SandboxHandle
from workers import order_jobs

LINK = "https://instagram.com/after"


async def _submitted(runtime: Runtime, world: World, run_jobs: RunJobs, quantity: int) -> int:
    async with runtime.transaction() as session:
        order = await service.accept(
            session,
            world.reseller,
            world.services["followers"].id,
            {"link": LINK, "quantity": str(quantity)},
        )
    await run_jobs()
    return order.id


async def test_cancel_in_progress_is_forwarded_and_settled_by_polling(
    runtime: Runtime, world: World, sandbox: SandboxHandle, run_jobs: RunJobs
) -> None:
    order_id = await _submitted(runtime, world, run_jobs, 1000)
    async with runtime.transaction() as session:
        await service.request_cancel(session, world.reseller, order_id)
    await run_jobs()
    assert len(sandbox.requests("cancel")) == 1
    await order_jobs.poll_orders(runtime)
    async with runtime.transaction() as session:
        order = await session.get_one(Order, order_id)
        assert order.status is OrderStatus.canceled
        assert await ledger.balance(session, world.reseller.id) == Decimal(100)
        assert await audit(session) == []


async def test_refill_is_forwarded_and_tracked(
    runtime: Runtime, world: World, sandbox: SandboxHandle, run_jobs: RunJobs
) -> None:
    order_id = await _submitted(runtime, world, run_jobs, 100)
    sandbox.advance(3600)
    await order_jobs.poll_orders(runtime)
    async with runtime.transaction() as session:
        refill = await service.request_refill(session, world.reseller, order_id)
    await run_jobs()
    async with runtime.transaction() as session:
        tracked = await session.get_one(Refill, refill.id)
        assert tracked.status is RefillStatus.in_progress
        assert tracked.upstream_id is not None
        tracked.next_poll_at = tracked.created_at  # due now
    sandbox.advance(3600)
    assert await order_jobs.poll_refills(runtime) == 1
    async with runtime.transaction() as session:
        assert (await session.get_one(Refill, refill.id)).status is RefillStatus.completed


async def test_mass_order_lines_stand_on_their_own(session: AsyncSession) -> None:
    world = await build_world(session, reseller_balance=Decimal("1"))
    followers = world.services["followers"].id
    text = "\n".join(
        [
            f"{followers}|https://instagram.com/a|100",
            "not a line",
            f"{followers}|not a link|100",
            f"{followers}|https://instagram.com/b|5",
            f"{followers}|https://instagram.com/c|10000",  # 15.0: more than the balance
            "",
            "999999|https://instagram.com/d|100",
            f"{followers}|https://instagram.com/e|200",
        ]
    )
    results = await mass.accept_lines(session, world.reseller, text)
    assert [(r.line, r.order_id is not None, r.error) for r in results] == [
        (1, True, None),
        (2, False, texts.INCORRECT_REQUEST),
        (3, False, texts.INCORRECT_LINK),
        (4, False, texts.quantity_below(10).detail),
        (5, False, texts.NOT_ENOUGH_FUNDS),
        (7, False, texts.INCORRECT_SERVICE),
        (8, True, None),
    ]
    placed = await session.scalar(
        select(func.count()).select_from(Order).where(Order.account_id == world.reseller.id)
    )
    assert placed == 2
    spent = charge_for(RESELLER_RATE, 100) + charge_for(RESELLER_RATE, 200)
    assert await ledger.balance(session, world.reseller.id) == Decimal(1) - spent
    assert await audit(session) == []


async def test_review_queue_through_the_admin_api(
    client: AsyncClient, operator: Operator, session: AsyncSession
) -> None:
    world = await build_world(session)
    orders = []
    for number in range(3):
        order = await service.accept(
            session,
            world.agency,
            world.services["followers"].id,
            {"link": f"https://instagram.com/r{number}", "quantity": "100"},
        )
        order.status = OrderStatus.needs_review
        order.provider_id = world.provider.id
        order.review_reason = "upstream answer unknown"
        orders.append(order)
    await session.commit()
    h = operator.headers

    queue = await client.get("/admin/v1/orders/review", headers=h)
    assert [row["id"] for row in queue.json()] == [o.id for o in orders]

    attached = await client.post(
        f"/admin/v1/orders/{orders[0].id}/review",
        json={"action": "attach", "upstream_id": "77", "reason": "found upstream"},
        headers=h,
    )
    assert attached.json()["status"] == "in_progress"
    assert attached.json()["upstream_id"] == "77"

    failed = await client.post(
        f"/admin/v1/orders/{orders[1].id}/review",
        json={"action": "fail", "reason": "provider has no such order"},
        headers=h,
    )
    assert failed.json()["status"] == "failed"

    resubmitted = await client.post(
        f"/admin/v1/orders/{orders[2].id}/review",
        json={"action": "resubmit", "reason": "checked: not upstream"},
        headers=h,
    )
    assert resubmitted.json()["status"] == "pending"

    again = await client.post(
        f"/admin/v1/orders/{orders[1].id}/review",
        json={"action": "fail", "reason": "twice"},
        headers=h,
    )
    assert again.status_code == 409
    assert (await client.get("/admin/v1/orders/review", headers=h)).json() == []
    # The failed order was refunded in full: the agency paid for two orders only.
    paid = 2 * charge_for(Decimal("1.8"), 100)
    assert await ledger.balance(session, world.agency.id) == Decimal(50) - paid
    assert await audit(session) == []


async def test_a_second_refill_waits_for_the_first(session: AsyncSession) -> None:
    world = await build_world(session)
    order = await service.accept(
        session, world.reseller, world.services["followers"].id, {"link": LINK, "quantity": "100"}
    )
    order.status, order.upstream_id, order.provider_id = (
        OrderStatus.completed,
        "9",
        world.provider.id,
    )
    await session.flush()
    await service.request_refill(session, world.reseller, order.id)
    with pytest.raises(texts.Refused, match=texts.REFILL_NOT_ELIGIBLE):
        await service.request_refill(session, world.reseller, order.id)
