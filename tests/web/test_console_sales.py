"""The reseller console's sales over HTTP: its agencies' orders with both charges, and the
margin earned on them, checked against the ledger."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from httpx import AsyncClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from panel.models import (
    Account,
    Entry,
    Journal,
    JournalKind,
    LedgerAccount,
    Order,
    OrderCharge,
    OrderStatus,
)
from panel.money import refund_for
from panel.orders import service as orders
from panel.orders.settlement import settle
from panel.reports import agency_margin
from tests.fixtures.factories import AGENCY_RATE, COST, RESELLER_RATE, World
from tests.web.conftest import row, shown, wallets

D = Decimal


async def _order(
    session: AsyncSession, world: World, buyer: Account, quantity: int, link: str
) -> Order:
    return await orders.accept(
        session,
        buyer,
        world.services["followers"].id,
        {"link": link, "quantity": str(quantity)},
    )


async def _settled(
    session: AsyncSession,
    world: World,
    buyer: Account,
    quantity: int,
    status: OrderStatus,
    remains: int,
) -> Order:
    """An order accepted, sent upstream, and finished through the real settlement."""
    order = await _order(session, world, buyer, quantity, f"https://instagram.com/{buyer.id}")
    order.provider_id, order.cost_rate = world.provider.id, COST
    order.status = OrderStatus.in_progress
    await session.flush()
    assert await settle(session, order, status, remains, "test")
    return order


async def test_the_orders_page_shows_its_agencies_orders_with_both_charges(
    world: World, other_agency: Account, reseller_web: AsyncClient, session: AsyncSession
) -> None:
    own = await _order(session, world, world.reseller, 100, "https://instagram.com/own")
    theirs = await _order(session, world, world.agency, 1000, "https://instagram.com/a1")
    foreign = await _order(session, world, other_agency, 100, "https://instagram.com/foreign")
    foreign_own = await _order(session, world, world.other_reseller, 100, "https://instagram.com/b")

    page = await reseller_web.get("/console/orders")
    assert page.status_code == 200
    agency_row = row(page, f"order-{theirs.id}")
    assert "Agency" in agency_row
    assert "https://instagram.com/a1" in agency_row
    assert "Followers" in agency_row
    assert "pending" in agency_row
    assert "1000" in agency_row
    # Dollars with their cents, as an Indonesian page writes them.
    assert (AGENCY_RATE, RESELLER_RATE) == (D("1.8"), D("1.5"))
    assert shown(agency_row, "agency-paid") == "US$1,80"
    assert shown(agency_row, "reseller-paid") == "US$1,50"
    assert shown(agency_row, "margin") == "US$0,30"
    own_row = row(page, f"order-{own.id}")
    assert shown(own_row, "reseller-paid") == "US$0,15"
    assert "agency-paid" not in own_row
    for order in (foreign, foreign_own):
        assert f'id="order-{order.id}"' not in page.text
    assert "foreign" not in page.text
    assert "instagram.com/b<" not in page.text
    assert page.text.index(f"order-{theirs.id}") < page.text.index(f"order-{own.id}")

    only_agency = await reseller_web.get(f"/console/orders?agency={world.agency.id}")
    assert f"order-{theirs.id}" in only_agency.text
    assert f"order-{own.id}" not in only_agency.text
    assert f'<option value="{world.agency.id}" selected>' in only_agency.text
    # Asking for another reseller's agency by id shows nothing of it.
    asked = await reseller_web.get(f"/console/orders?agency={other_agency.id}")
    assert f"order-{foreign.id}" not in asked.text
    assert 'id="order-' not in asked.text
    older = await reseller_web.get(f"/console/orders?before={theirs.id}")
    assert f"order-{own.id}" in older.text
    assert f"order-{theirs.id}" not in older.text


async def test_margin_is_what_agencies_paid_less_what_the_reseller_paid_after_refunds(
    world: World, other_agency: Account, reseller_web: AsyncClient, session: AsyncSession
) -> None:
    # None of these counts: an order still open has earned nothing yet, and the reseller's
    # own and the other reseller's agency's orders are not margin on this reseller's agencies.
    await _order(session, world, world.agency, 100, "https://instagram.com/open")
    await _settled(session, world, world.reseller, 1000, OrderStatus.completed, 0)
    await _settled(session, world, other_agency, 1000, OrderStatus.partial, 10)
    [reseller_before] = await wallets(session, world.reseller)
    partial = await _settled(session, world, world.agency, 1000, OrderStatus.partial, remains=333)
    completed = await _settled(session, world, world.agency, 500, OrderStatus.completed, 0)

    charges = {
        (order_id, payer): amount
        for order_id, payer, amount in await session.execute(
            select(OrderCharge.order_id, OrderCharge.account_id, OrderCharge.amount).where(
                OrderCharge.order_id.in_([partial.id, completed.id])
            )
        )
    }
    agencies_paid = reseller_paid = D(0)
    for order, remains in ((partial, 333), (completed, 0)):
        agency_charge = charges[(order.id, world.agency.id)]
        reseller_charge = charges[(order.id, world.reseller.id)]
        agencies_paid += agency_charge - refund_for(agency_charge, remains, order.quantity)
        reseller_paid += reseller_charge - refund_for(reseller_charge, remains, order.quantity)
    margin = agencies_paid - reseller_paid
    assert (agencies_paid, reseller_paid, margin) == (D("2.1006"), D("1.7505"), D("0.3501"))

    # The ledger: the reseller's wallet grew by exactly that margin, in settlement journals.
    [reseller_after] = await wallets(session, world.reseller)
    assert reseller_after - reseller_before == margin
    credited = await session.scalar(
        select(func.sum(Entry.amount))
        .join(Journal, Journal.id == Entry.journal_id)
        .join(LedgerAccount, LedgerAccount.id == Entry.ledger_account_id)
        .where(
            Journal.kind == JournalKind.settlement,
            Journal.order_id.in_([partial.id, completed.id]),
            LedgerAccount.owner_id == world.reseller.id,
        )
    )
    assert credited == margin

    page = await reseller_web.get("/console/margin")
    assert page.status_code == 200
    for window in ("7", "30", "all"):
        total = row(page, f"total-{window}")
        assert shown(total, "agencies-paid") == "US$2,1006", window
        assert shown(total, "reseller-paid") == "US$1,7505", window
        assert shown(total, "margin") == "US$0,3501", window
        assert shown(total, "orders") == "Pesanan selesai: 2"
    by_agency = row(page, f"agency-{world.agency.id}")
    assert by_agency.count(">US$0,3501<") == 3
    assert f"agency-{other_agency.id}" not in page.text

    # Ten days on, the order settled today is past the last week but within the month.
    later = await agency_margin.margins(
        session, world.reseller, datetime.now(UTC) + timedelta(days=10)
    )
    assert later.total[7] == agency_margin.NONE
    assert later.total[30].margin == later.total[None].margin == margin
    assert later.by_agency[world.agency.id][30].agencies_paid == agencies_paid
    assert set(later.by_agency) == {world.agency.id}


async def test_margin_with_nothing_settled_is_zero(reseller_web: AsyncClient) -> None:
    page = await reseller_web.get("/console/margin")
    assert page.status_code == 200
    assert shown(row(page, "total-all"), "margin") == "US$0,00"
    assert shown(row(page, "total-all"), "orders") == "Pesanan selesai: 0"
