"""Money of an order: paid into clearing when accepted, split exactly once when it ends."""

from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from panel.ledger import service as ledger
from panel.ledger.audit import audit
from panel.models import Entry, Journal, JournalKind, LedgerAccount, Order, OrderStatus
from panel.money import charge_for, refund_for
from panel.orders.service import accept
from panel.orders.settlement import settle
from tests.fixtures.factories import AGENCY_RATE, COST, RESELLER_RATE, World, build_world


@pytest.fixture
async def world(session: AsyncSession) -> World:
    return await build_world(session)


async def _sum(session: AsyncSession, code: str) -> Decimal:
    total = await session.scalar(
        select(func.coalesce(func.sum(Entry.amount), 0))
        .join(
            LedgerAccount,
            LedgerAccount.id == Entry.ledger_account_id,
        )
        .where(LedgerAccount.code == code)
    )
    return Decimal(total)


async def _place(
    session: AsyncSession, world: World, buyer_is_agency: bool, quantity: int
) -> Order:
    buyer = world.agency if buyer_is_agency else world.reseller
    order = await accept(
        session,
        buyer,
        world.services["followers"].id,
        {"link": "https://instagram.com/pasok", "quantity": str(quantity)},
    )
    # As the submission would: the route it went to, and that route's cost.
    order.provider_id = world.provider.id
    order.cost_rate = COST
    return order


async def test_accepting_moves_the_charge_into_clearing(
    session: AsyncSession, world: World
) -> None:
    order = await _place(session, world, buyer_is_agency=False, quantity=1234)
    assert order.status is OrderStatus.pending
    assert order.charge == charge_for(RESELLER_RATE, 1234) == Decimal("1.851")
    assert await ledger.balance(session, world.reseller.id) == Decimal(100) - order.charge
    assert await _sum(session, "clearing") == order.charge
    assert await audit(session) == []


async def test_completed_order_pays_the_provider_and_revenue(
    session: AsyncSession, world: World
) -> None:
    order = await _place(session, world, buyer_is_agency=False, quantity=1000)
    assert await settle(session, order, OrderStatus.completed, 0, "done")
    assert await _sum(session, "clearing") == 0
    assert await _sum(session, f"provider:{world.provider.id}") == COST
    assert await _sum(session, "revenue") == RESELLER_RATE - COST
    assert await ledger.balance(session, world.reseller.id) == Decimal(100) - RESELLER_RATE
    assert await audit(session) == []


@pytest.mark.parametrize("remains", [0, 1, 157, 333, 999, 1000])
async def test_partial_refunds_back_along_the_chain(
    session: AsyncSession, world: World, remains: int
) -> None:
    quantity = 1000
    order = await _place(session, world, buyer_is_agency=True, quantity=quantity)
    agency_paid = charge_for(AGENCY_RATE, quantity)
    reseller_paid = charge_for(RESELLER_RATE, quantity)
    reseller_before = await ledger.balance(session, world.reseller.id)

    await settle(session, order, OrderStatus.partial, remains, "partial")

    agency_refund = refund_for(agency_paid, remains, quantity)
    reseller_refund = refund_for(reseller_paid, remains, quantity)
    assert (
        await ledger.balance(session, world.agency.id) == Decimal(50) - agency_paid + agency_refund
    )
    margin = (agency_paid - agency_refund) - (reseller_paid - reseller_refund)
    assert await ledger.balance(session, world.reseller.id) == reseller_before + margin
    delivered_cost = charge_for(COST, quantity - remains)
    assert await _sum(session, f"provider:{world.provider.id}") == delivered_cost
    assert await _sum(session, "revenue") == reseller_paid - reseller_refund - delivered_cost
    assert await _sum(session, "clearing") == 0
    assert await audit(session) == []


@pytest.mark.parametrize("status", [OrderStatus.canceled, OrderStatus.failed])
async def test_cancel_and_failure_refund_everything(
    session: AsyncSession, world: World, status: OrderStatus
) -> None:
    before = await ledger.balance(session, world.reseller.id)
    order = await _place(session, world, buyer_is_agency=True, quantity=500)
    await settle(session, order, status, order.quantity, "gone")
    assert await ledger.balance(session, world.agency.id) == Decimal(50)
    assert await ledger.balance(session, world.reseller.id) == before
    assert await _sum(session, "revenue") == 0
    assert await _sum(session, "clearing") == 0
    assert await audit(session) == []


async def test_settlement_happens_exactly_once(session: AsyncSession, world: World) -> None:
    order = await _place(session, world, buyer_is_agency=False, quantity=1000)
    assert await settle(session, order, OrderStatus.partial, 100, "first")
    assert not await settle(session, order, OrderStatus.canceled, 1000, "second")
    assert not await settle(session, order, OrderStatus.completed, 0, "third")
    settlements = await session.scalar(
        select(func.count())
        .select_from(Journal)
        .where(Journal.order_id == order.id, Journal.kind == JournalKind.settlement)
    )
    assert settlements == 1
    refreshed = await session.get_one(Order, order.id, populate_existing=True)
    assert (refreshed.status, refreshed.remains) == (OrderStatus.partial, 100)
    assert await audit(session) == []
