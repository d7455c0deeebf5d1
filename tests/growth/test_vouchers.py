"""Vouchers at acceptance and settlement, real PostgreSQL, the sandbox provider over HTTP:
a limit of 10 uses holds for 50 orders at once from two processes; every limit and scope
refuses with its own reason and writes nothing; a discounted partial order refunds exactly
what its buyer paid, and its issuer pays the discount (the reseller from its wallet, the
operator from the panel's revenue); a canceled order gives its use back; the audit is clean."""

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from panel.accounts import service as accounts
from panel.errors import InsufficientFunds, PanelError
from panel.growth import voucher_book, vouchers
from panel.growth.voucher_book import Terms
from panel.ledger import accounts as ledger_accounts
from panel.ledger import service as ledger
from panel.models import (
    Account,
    AccountKind,
    Entry,
    Journal,
    JournalKind,
    Order,
    OrderStatus,
    VoucherKind,
    VoucherUse,
)
from panel.money import charge_for, refund_for
from panel.orders import intake, texts
from panel.orders import service as orders
from panel.orders.batcher import Batcher
from panel.plumbing.runtime import Runtime
from tests.fixtures.factories import AGENCY_RATE, COST, RESELLER_RATE, World, build_world
from tests.fixtures.pipeline import RunJobs, audit_clean, balance
from tests.fixtures.sandbox import SandboxHandle
from workers import order_jobs

D = Decimal
LINK = "https://instagram.com/pasok"
NOW = datetime.now(UTC)


@dataclass
class Shop:
    world: World
    operator: Account


@pytest.fixture
async def shop(runtime: Runtime, sandbox: SandboxHandle) -> Shop:
    async with runtime.transaction() as session:
        world = await build_world(
            session,
            provider_url=sandbox.url,
            backup_url=sandbox.url,
            reseller_balance=D(100),
            agency_balance=D(200),
        )
        operator = await accounts.create(session, kind=AccountKind.operator, name="Ops")
    return Shop(world, operator)


async def _issue(runtime: Runtime, issuer: Account, **terms: object) -> int:
    async with runtime.transaction() as session:
        given = {"code": "HEMAT10", "kind": VoucherKind.percent, "value": D(10), **terms}
        voucher = await voucher_book.issue(session, issuer, Terms(**given), NOW)  # type: ignore[arg-type]
        return voucher.id


async def _intent(
    runtime: Runtime, buyer: Account, service_id: int, link: str, voucher: str | None
) -> intake.Intent:
    fields = {"link": link, "quantity": "1000"}
    if voucher is not None:
        fields["voucher"] = voucher
    async with runtime.transaction() as session:
        return intake.draft(buyer, await orders.quote(session, buyer, service_id), fields, None)


async def _count(runtime: Runtime, what: type) -> int:
    async with runtime.transaction() as session:
        return await session.scalar(select(func.count()).select_from(what)) or 0


async def _revenue(runtime: Runtime) -> Decimal:
    async with runtime.transaction() as session:
        revenue = await ledger_accounts.system(session, ledger_accounts.REVENUE)
        total = await session.scalar(
            select(func.coalesce(func.sum(Entry.amount), 0)).where(
                Entry.ledger_account_id == revenue
            )
        )
        return D(total or 0)


async def test_fifty_orders_at_once_on_a_ten_use_voucher_give_exactly_ten_discounts(
    runtime: Runtime, shop: Shop
) -> None:
    """Five processes (five batchers) take 50 orders at once, each naming the reseller's voucher
    limited to 10 uses: 10 are taken at 10% off, 40 are refused as used up and write nothing;
    the agency paid 10 discounted prices, the reseller 10 discounts, the audit is clean."""
    world = shop.world
    await _issue(runtime, world.reseller, max_uses=10)
    followers = world.services["followers"].id
    intents = [
        await _intent(runtime, world.agency, followers, f"{LINK}/{n}", "hemat10") for n in range(50)
    ]
    agency_before = await balance(runtime, world.agency.id)
    reseller_before = await balance(runtime, world.reseller.id)
    batchers = [Batcher(runtime.sessionmaker, runtime.queue) for _ in range(5)]

    outcomes = await asyncio.gather(
        *(batchers[n % 5].write(intent) for n, intent in enumerate(intents)),
        return_exceptions=True,
    )

    taken = [o for o in outcomes if not isinstance(o, BaseException) and o.order_id]
    refused = [o.refusal for o in outcomes if not isinstance(o, BaseException) and o.refusal]
    assert not [o for o in outcomes if isinstance(o, BaseException)]
    assert len(taken) == 10
    assert len(refused) == 40
    assert {r.detail for r in refused if r is not None} == {texts.VOUCHER_USED_UP}
    price = charge_for(AGENCY_RATE, 1000)
    discount = D("0.18")  # 10% of 1.8
    assert await _count(runtime, Order) == 10
    assert await _count(runtime, VoucherUse) == 10
    async with runtime.transaction() as session:
        paid = list(
            await session.scalars(select(Order.charge).where(Order.account_id == world.agency.id))
        )
    assert paid == [price - discount] * 10
    assert await balance(runtime, world.agency.id) == agency_before - 10 * (price - discount)
    assert await balance(runtime, world.reseller.id) == reseller_before - 10 * discount
    await audit_clean(runtime)


async def test_each_limit_refuses_with_its_reason_and_writes_nothing(
    runtime: Runtime, shop: Shop
) -> None:
    world = shop.world
    followers, likes = world.services["followers"].id, world.services["likes"].id
    await _issue(runtime, world.reseller, code="ONCE", uses_per_account=1)
    await _issue(runtime, world.reseller, code="LIKES", service_id=likes)
    await _issue(runtime, world.reseller, code="TIKTOK", category="TikTok")
    await _issue(runtime, world.reseller, code="BIG", min_charge=D(5))
    await _issue(runtime, world.reseller, code="SOON", expires_at=NOW + timedelta(seconds=1))
    off = await _issue(runtime, world.reseller, code="OFF")
    await _issue(runtime, world.other_reseller, code="OTHER")
    await _issue(runtime, shop.operator, code="OPS")
    async with runtime.transaction() as session:
        other_agency = await accounts.create(
            session, kind=AccountKind.agency, name="Elsewhere", parent_id=world.reseller.id
        )
    await _issue(runtime, world.reseller, code="MINE", account_id=other_agency.id)
    async with runtime.transaction() as session:
        await voucher_book.change(session, world.reseller, off, active=False)
    await asyncio.sleep(1)  # SOON has expired

    async def refusal(code: str, service_id: int = followers, n: int = 0) -> str | None:
        intent = await _intent(runtime, world.agency, service_id, f"{LINK}/{code}/{n}", code)
        async with runtime.transaction() as session:
            [outcome] = await intake.write(session, [intent])
        return outcome.refusal.detail if outcome.refusal else None

    assert await refusal("ONCE") is None
    assert await refusal("ONCE", n=1) == texts.VOUCHER_USED_UP
    assert await refusal("LIKES") == texts.VOUCHER_NOT_FOR_SERVICE
    assert await refusal("LIKES", likes) is None
    assert await refusal("TIKTOK") == texts.VOUCHER_NOT_FOR_SERVICE
    assert await refusal("BIG") == texts.VOUCHER_BELOW_MINIMUM
    assert await refusal("SOON") == texts.VOUCHER_EXPIRED
    # Switched off, another reseller's, the operator's (for resellers), another agency's own,
    # and a code no voucher has: all the same to the agency.
    for code in ("OFF", "OTHER", "OPS", "MINE", "NOSUCH"):
        assert await refusal(code) == texts.INCORRECT_VOUCHER, code
    with pytest.raises(PanelError) as bad:
        await _intent(runtime, world.agency, followers, LINK, "no spaces")
    assert bad.value.detail == texts.INCORRECT_VOUCHER
    # The operator's voucher is for resellers: the reseller's own order takes it.
    intent = await _intent(runtime, world.reseller, followers, f"{LINK}/ops", "OPS")
    async with runtime.transaction() as session:
        [outcome] = await intake.write(session, [intent])
    assert outcome.order_id is not None
    assert await _count(runtime, Order) == 3
    assert await _count(runtime, VoucherUse) == 3
    await audit_clean(runtime)


async def test_a_reseller_that_cannot_pay_the_discount_refuses_the_voucher(
    runtime: Runtime, shop: Shop
) -> None:
    world = shop.world
    await _issue(runtime, world.reseller, kind=VoucherKind.fixed, value=D("1.5"))
    async with runtime.transaction() as session:
        left = await ledger.balance(session, world.reseller.id)
        await ledger.adjust(session, world.reseller.id, D("1.4") - left, "almost empty", None)
    intent = await _intent(runtime, world.agency, world.services["followers"].id, LINK, "HEMAT10")
    async with runtime.transaction() as session:
        [outcome] = await intake.write(session, [intent])
    assert outcome.refusal is not None
    assert outcome.refusal.detail == texts.VOUCHER_UNAVAILABLE
    assert not isinstance(outcome.refusal, InsufficientFunds)
    assert await _count(runtime, Order) == 0
    assert await balance(runtime, world.reseller.id) == D("1.4")
    await audit_clean(runtime)


async def test_a_discounted_partial_order_refunds_exactly_what_its_buyer_paid(
    runtime: Runtime, shop: Shop, sandbox: SandboxHandle, run_jobs: RunJobs
) -> None:
    """The agency's order with the reseller's fixed voucher and the reseller's own order with
    the operator's percentage voucher end partial at the sandbox: each buyer gets back the
    undelivered share of what it paid; the reseller pays its voucher (its margin less the
    discount, on what was delivered); the panel's revenue bears the operator's; a canceled
    order with a voucher refunds everything and gives the use back."""
    world = shop.world
    await _issue(runtime, world.reseller, code="AGEN", kind=VoucherKind.fixed, value=D("0.5"))
    ops = await _issue(runtime, shop.operator, code="RESELLER", value=D(20), max_uses=2)
    sandbox.set_behaviour("1", partial_rate=1.0)
    sandbox.set_behaviour("2", cancel_rate=1.0)
    followers, likes = world.services["followers"].id, world.services["likes"].id
    agency_before = await balance(runtime, world.agency.id)
    reseller_before = await balance(runtime, world.reseller.id)
    revenue_before = await _revenue(runtime)
    async with runtime.transaction() as session:
        agency_order = await orders.accept(
            session, world.agency, followers, {"link": LINK, "quantity": "1000", "voucher": "agen"}
        )
        reseller_order = await orders.accept(
            session,
            world.reseller,
            followers,
            {"link": f"{LINK}/r", "quantity": "1000", "voucher": "RESELLER"},
        )
        canceled = await orders.accept(
            session,
            world.reseller,
            likes,
            {"link": f"{LINK}/c", "quantity": "1000", "voucher": "RESELLER"},
        )
    await run_jobs()
    sandbox.advance(3600)
    await order_jobs.poll_orders(runtime)

    async with runtime.transaction() as session:
        done = {o.id: o for o in await session.scalars(select(Order))}
    a, r = done[agency_order.id], done[reseller_order.id]
    assert (a.status, r.status) == (OrderStatus.partial, OrderStatus.partial)
    assert done[canceled.id].status is OrderStatus.canceled
    assert a.remains is not None
    assert 0 < a.remains < 1000
    assert r.remains is not None
    assert 0 < r.remains < 1000

    agency_paid = charge_for(AGENCY_RATE, 1000) - D("0.5")
    agency_kept = agency_paid - refund_for(agency_paid, a.remains, 1000)
    reseller_price = charge_for(RESELLER_RATE, 1000)
    # The reseller's chain price for its agency's order, kept for what was delivered.
    owed_up = reseller_price - refund_for(reseller_price, a.remains, 1000)
    assert await balance(runtime, world.agency.id) == agency_before - agency_kept
    reseller_paid = reseller_price - reseller_price * D("0.2")
    reseller_kept = reseller_paid - refund_for(reseller_paid, r.remains, 1000)
    # Its own order: what it kept paying. The agency's: the discount it paid, back less the
    # loss the voucher made it take (the agency kept paying less than the reseller owes).
    back = max(D(0), D("0.5") + agency_kept - owed_up)
    assert await balance(runtime, world.reseller.id) == (
        reseller_before - reseller_kept - D("0.5") + back
    )
    assert agency_kept - owed_up < 0  # 0.5 off a 0.3 margin: the reseller made a loss
    delivered = {o.id: 1000 - (o.remains or 0) for o in (a, r)}
    cost = sum((charge_for(COST, n) for n in delivered.values()), D(0))
    # The panel: what both buyers kept paying, plus what the reseller put in for its agency,
    # less the providers' cost; the operator's 20% is simply not there.
    put_in = D("0.5") - back
    assert await _revenue(runtime) - revenue_before == (agency_kept + put_in + reseller_kept - cost)
    async with runtime.transaction() as session:
        [issued] = await voucher_book.issued(session, shop.operator, [ops])
        legs = await session.execute(
            select(Entry.amount)
            .join(Journal, Journal.id == Entry.journal_id)
            .where(Journal.order_id == canceled.id, Journal.kind == JournalKind.settlement)
        )
        assert sorted(legs.scalars()) == sorted([-canceled.charge, canceled.charge])
    assert issued.uses == 1  # the canceled order gave its use back
    await audit_clean(runtime)


def test_a_discount_never_exceeds_the_price_and_rounds_down() -> None:
    assert vouchers.discount_of(VoucherKind.percent, D(10), D("1.8")) == D("0.18")
    assert vouchers.discount_of(VoucherKind.percent, D("33.3333"), D("0.000005")) == D("0.000001")
    assert vouchers.discount_of(VoucherKind.percent, D(100), D("2.5")) == D("2.5")
    assert vouchers.discount_of(VoucherKind.fixed, D(5), D("2.5")) == D("2.5")
    assert vouchers.discount_of(VoucherKind.fixed, D("0.5"), D("2.5")) == D("0.5")
