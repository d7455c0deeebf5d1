"""Referral commissions through the real pipeline, the sandbox provider over HTTP: a referred
agency's settled order pays its referrer the reseller's share of the margin on what was
delivered, once, out of the reseller's margin and never more than it; a canceled order, an
order after the period and an order with no margin pay nothing; the ledger audit stays clean.
Over HTTP: signing up through an agency's link records the referral on the reseller's brand
only, the referrals page shows each commission with its order, and the console sets the
terms."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from panel.accounts import service as accounts
from panel.growth import referrals
from panel.ledger import service as ledger
from panel.models import (
    Account,
    AccountKind,
    Entry,
    Journal,
    JournalKind,
    LedgerAccount,
    Order,
    OrderStatus,
    Referral,
    ReferralCommission,
    ReferralTerms,
)
from panel.money import charge_for, refund_for
from panel.orders import service, settlement
from panel.plumbing.runtime import Runtime
from panel.pricing import rule_book
from tests.fixtures.factories import AGENCY_RATE, RESELLER_RATE, World, build_world
from tests.fixtures.pipeline import RunJobs, audit_clean, balance
from tests.fixtures.sandbox import SandboxHandle
from tests.web.conftest import (  # noqa: F401
    AGENCY_EMAIL,
    OTHER_HOST,
    Visitor,
    csrf_of,
    give_password,
    sign_in,
    visitor,
    world,
)
from workers import order_jobs

D = Decimal
LINK = "https://instagram.com/pasok"
NOW = datetime.now(UTC)


@dataclass
class Shop:
    world: World
    referrer: Account
    referred: Account  # within its period
    late: Account  # referred, its period over
    flat: Account  # referred, bought at the reseller's own price: no margin


async def _referred(
    session: AsyncSession, built: World, referrer: Account, name: str, until: datetime
) -> Account:
    agency = await accounts.create(
        session, kind=AccountKind.agency, name=name, parent_id=built.reseller.id
    )
    await ledger.fund_agency(session, agency.id, D(10), "float", None)
    session.add(Referral(referred_id=agency.id, referrer_id=referrer.id, until=until))
    return agency


@pytest.fixture
async def shop(runtime: Runtime, sandbox: SandboxHandle) -> Shop:
    async with runtime.transaction() as session:
        world = await build_world(session, provider_url=sandbox.url, backup_url=sandbox.url)
        referrer = world.agency
        referred = await _referred(session, world, referrer, "Referred", NOW + timedelta(days=90))
        late = await _referred(session, world, referrer, "Late", NOW - timedelta(seconds=1))
        flat = await _referred(session, world, referrer, "Flat", NOW + timedelta(days=90))
        await rule_book.create(
            session, owner_id=world.reseller.id, account_id=flat.id, markup_percent=D(0)
        )
        await referrals.set_terms(session, world.reseller, D(50), 90, NOW)
    return Shop(world, referrer, referred, late, flat)


async def _order(runtime: Runtime, shop: Shop, buyer: Account, quantity: int = 1000) -> int:
    async with runtime.transaction() as session:
        order = await service.accept(
            session,
            buyer,
            shop.world.services["followers"].id,
            {"link": f"{LINK}/{buyer.id}/{quantity}", "quantity": str(quantity)},
        )
    return order.id


async def _through(runtime: Runtime, sandbox: SandboxHandle, run_jobs: RunJobs) -> None:
    await run_jobs()
    sandbox.advance(3600)
    await order_jobs.poll_orders(runtime)


async def _commissions(runtime: Runtime) -> dict[int, Decimal]:
    async with runtime.transaction() as session:
        rows = await session.execute(select(ReferralCommission.order_id, ReferralCommission.amount))
        return {order_id: amount for order_id, amount in rows}


async def _settlement_legs(runtime: Runtime, order_id: int) -> dict[int, Decimal]:
    """The settlement journal's entries by wallet owner (system accounts left out)."""
    async with runtime.transaction() as session:
        rows = await session.execute(
            select(LedgerAccount.owner_id, Entry.amount)
            .join(Entry, Entry.ledger_account_id == LedgerAccount.id)
            .join(Journal, Journal.id == Entry.journal_id)
            .where(Journal.order_id == order_id, Journal.kind == JournalKind.settlement)
            .where(LedgerAccount.owner_id.is_not(None))
        )
        return {owner: amount for owner, amount in rows if owner is not None}


async def test_a_batch_of_settlements_credits_each_commission_once(
    runtime: Runtime, shop: Shop, sandbox: SandboxHandle, run_jobs: RunJobs
) -> None:
    """One poll settles them all: the referred agency's completed order pays half the margin,
    its tiny order half of a tiny margin rounded down, the late referral's and the flat
    agency's nothing; settling again credits nothing more."""
    reseller = shop.world.reseller
    full = await _order(runtime, shop, shop.referred)
    tiny = await _order(runtime, shop, shop.referred, quantity=10)
    late = await _order(runtime, shop, shop.late)
    flat = await _order(runtime, shop, shop.flat)
    reseller_before = await balance(runtime, reseller.id)
    referrer_before = await balance(runtime, shop.referrer.id)
    await _through(runtime, sandbox, run_jobs)

    margin = charge_for(AGENCY_RATE, 1000) - charge_for(RESELLER_RATE, 1000)
    tiny_margin = charge_for(AGENCY_RATE, 10) - charge_for(RESELLER_RATE, 10)
    assert (margin, tiny_margin) == (D("0.3"), D("0.003"))
    # Half of 0.003 is 0.0015; six places hold it, so nothing is lost to rounding here.
    assert await _commissions(runtime) == {full: D("0.15"), tiny: D("0.0015")}
    assert await balance(runtime, shop.referrer.id) == referrer_before + D("0.1515")
    # The reseller keeps the other half on the referral's orders, and all of the late one's.
    kept = (margin - D("0.15")) + (tiny_margin - D("0.0015")) + margin
    assert await balance(runtime, reseller.id) == reseller_before + kept
    legs = await _settlement_legs(runtime, full)
    assert legs[shop.referrer.id] == D("0.15")
    assert legs[reseller.id] == D("0.15")
    assert shop.referrer.id not in await _settlement_legs(runtime, late)
    assert await _settlement_legs(runtime, flat) == {}  # no refund, no margin: no wallet moves

    async with runtime.transaction() as session:
        order = await session.get_one(Order, full)
        assert order.status is OrderStatus.completed
        again = await settlement.settle(session, order, OrderStatus.completed, 0, "again")
    assert again is False
    assert await _commissions(runtime) == {full: D("0.15"), tiny: D("0.0015")}
    assert await balance(runtime, shop.referrer.id) == referrer_before + D("0.1515")
    await audit_clean(runtime)


async def test_a_whole_share_of_a_partial_order_is_its_delivered_margin_and_no_more(
    runtime: Runtime, shop: Shop, sandbox: SandboxHandle, run_jobs: RunJobs
) -> None:
    """At 100% the referrer gets exactly the margin on what was delivered, the reseller none
    of it; the refunded part earns nothing; a canceled order pays no commission at all."""
    async with runtime.transaction() as session:
        reseller = await session.get_one(Account, shop.world.reseller.id)
        await referrals.set_terms(session, reseller, D(100), 90, NOW)
    sandbox.set_behaviour("1", partial_rate=1.0)
    sandbox.set_behaviour("2", cancel_rate=1.0)
    partial = await _order(runtime, shop, shop.referred)
    async with runtime.transaction() as session:
        canceled = (
            await service.accept(
                session,
                shop.referred,
                shop.world.services["likes"].id,
                {"link": LINK, "quantity": "1000"},
            )
        ).id
    reseller_before = await balance(runtime, shop.world.reseller.id)
    referrer_before = await balance(runtime, shop.referrer.id)
    await _through(runtime, sandbox, run_jobs)

    async with runtime.transaction() as session:
        done = await session.get_one(Order, partial)
        assert (await session.get_one(Order, canceled)).status is OrderStatus.canceled
    assert done.status is OrderStatus.partial
    assert done.remains is not None
    assert 0 < done.remains < 1000
    paid, reseller_paid = charge_for(AGENCY_RATE, 1000), charge_for(RESELLER_RATE, 1000)
    delivered_margin = (paid - refund_for(paid, done.remains, 1000)) - (
        reseller_paid - refund_for(reseller_paid, done.remains, 1000)
    )
    assert 0 < delivered_margin < D("0.3")
    assert await _commissions(runtime) == {partial: delivered_margin}
    assert await balance(runtime, shop.referrer.id) == referrer_before + delivered_margin
    assert await balance(runtime, shop.world.reseller.id) == reseller_before
    assert await _settlement_legs(runtime, canceled) == {shop.referred.id: paid}
    await audit_clean(runtime)


def test_a_commission_is_rounded_down_and_never_above_the_margin() -> None:
    assert referrals.commission(D("0.000001"), D(50)) == 0
    assert referrals.commission(D("0.000003"), D("33.33")) == D("0.000000")
    assert referrals.commission(D("0.003"), D("33.33")) == D("0.000999")
    assert referrals.commission(D("0.3"), D(100)) == D("0.3")
    assert referrals.commission(D(0), D(100)) == 0


# --- over HTTP -------------------------------------------------------------------------------


async def test_signing_up_through_a_link_records_the_referral_and_the_page_shows_its_order(
    world: World,  # noqa: F811
    visitor: Visitor,  # noqa: F811
    session: AsyncSession,
) -> None:
    """The agency's link opens on its reseller's brand (and not on another's); whoever signs
    up through it is the agency's referral for the reseller's period; a commission credited on
    one of the referral's orders is on the referrer's page with its order."""
    await referrals.set_terms(session, world.reseller, D("12.5"), 30, NOW)
    referrer = await visitor()
    assert (await sign_in(referrer, AGENCY_EMAIL)).status_code == 303
    page = await referrer.get("/referrals")
    assert page.status_code == 200, page.text
    assert "12,5%" in page.text
    assert "30 hari" in page.text
    link = page.text.split('id="referral-link" value="', 1)[1].split('"', 1)[0]
    assert link.startswith("http://a.example/ref/")
    assert link in (await referrer.get("/referrals")).text  # the agency's one link, kept
    assert "no-referrals" in page.text
    assert "no-commissions" in page.text

    foreign = await visitor(OTHER_HOST)
    path = link.removeprefix("http://a.example")
    assert (await foreign.get(f"http://{OTHER_HOST}{path}")).status_code == 404

    newcomer = await visitor()
    form = await newcomer.get(link)
    assert form.status_code == 200
    assert "Agency mengajak Anda bergabung." in form.text
    joined = await newcomer.post(
        link,
        data={
            "name": "Sari Shop",
            "email": "sari@example.com",
            "password": "sari's password",
            "csrf": csrf_of(form),
        },
    )
    assert (joined.status_code, joined.headers["location"]) == (303, "/")
    assert (await newcomer.get("/")).status_code == 200  # signed in as the new agency
    sari = await session.scalar(select(Account).where(Account.email == "sari@example.com"))
    assert sari is not None
    assert (sari.kind, sari.parent_id) == (AccountKind.agency, world.reseller.id)
    referral = await session.get_one(Referral, sari.id)
    assert referral.referrer_id == world.agency.id
    assert referral.until - referral.created_at == pytest.approx(
        timedelta(days=30), abs=timedelta(minutes=1)
    )

    # A commission as settlement records it, on an order of the new agency.
    await ledger.fund_agency(session, sari.id, D(5), "float", None)
    order = await service.accept(
        session, sari, world.services["followers"].id, {"link": LINK, "quantity": "1000"}
    )
    session.add(
        ReferralCommission(
            order_id=order.id, referrer_id=world.agency.id, referred_id=sari.id, amount=D("0.0375")
        )
    )
    await session.flush()
    page = await referrer.get("/referrals")
    assert f'id="referred-{sari.id}"' in page.text
    item = page.text.split(f'id="commission-{order.id}"', 1)[1].split("</li>", 1)[0]
    assert f"Pesanan #{order.id}" in item
    assert "Sari Shop" in item
    assert "0,0375" in item


async def test_the_console_sets_the_share_and_the_period(
    world: World,  # noqa: F811
    visitor: Visitor,  # noqa: F811
    session: AsyncSession,
) -> None:
    await give_password(session, world.reseller, "reseller@example.com")
    web = await visitor()
    assert (await sign_in(web, "reseller@example.com")).status_code == 303
    form = await web.get("/console/referrals")
    assert form.status_code == 200, form.text
    for share, days in (("101", "90"), ("10", "0"), ("abc", "90")):
        refused = await web.post(
            "/console/referrals",
            data={"share_percent": share, "days": days, "csrf": csrf_of(form)},
        )
        assert refused.status_code == 422
    assert await session.get(ReferralTerms, world.reseller.id) is None
    saved = await web.post(
        "/console/referrals",
        data={"share_percent": "7,5", "days": "60", "csrf": csrf_of(form)},
    )
    assert (saved.status_code, saved.headers["location"]) == (303, "/console/referrals?saved=1")
    terms = await referrals.terms_of(session, world.reseller.id)
    assert terms == referrals.Terms(D("7.5"), 60)
    assert 'value="7,5"' in (await web.get("/console/referrals")).text
    agency_web = await visitor()
    assert (await sign_in(agency_web, AGENCY_EMAIL)).status_code == 303
    assert (await agency_web.get("/console/referrals")).status_code in (403, 404)
