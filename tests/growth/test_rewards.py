"""Points redeemed, real PostgreSQL: for balance credit (a journal from the reseller's wallet,
refused when the reseller cannot pay it) or for a voucher of the reseller's for that agency
alone, used once; never more points than the period holds, even five redemptions at once;
the level stays; the ledger audit is clean. Over /v1: an agency reads what it can redeem and
redeems it."""

import asyncio
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from httpx import ASGITransport, AsyncClient
from sqlalchemy import func, select

from panel.accounts import service as accounts
from panel.errors import InsufficientFunds, Invalid
from panel.growth import level_book, levels, rewards
from panel.keys import service as keys
from panel.ledger import service as ledger
from panel.models import (
    Account,
    AccountKind,
    Journal,
    JournalKind,
    OrderStatus,
    PointRedemption,
    RedemptionKind,
)
from panel.orders import intake, texts
from panel.orders import service as orders
from panel.orders.settlement import settle
from panel.plumbing.runtime import Runtime
from tests.conftest import AppFor
from tests.fixtures.factories import World, build_world
from tests.fixtures.pipeline import audit_clean, balance
from tests.growth.test_levels import COST, expensive_service

D = Decimal
LINK = "https://instagram.com/pasok"


@pytest.fixture
async def world(runtime: Runtime) -> World:
    """An agency with 900 points (5,000 of a service at 180,000 per 1000) under a reseller
    that redeems a point for 10."""
    async with runtime.transaction() as session:
        world = await build_world(session, reseller_balance=D(10) ** 7, agency_balance=D(10) ** 7)
        premium = await expensive_service(session, world)
        await level_book.create(session, world.reseller.id, name="Mulai", target=0, badge="bronze")
        await level_book.set_rules(session, world.reseller.id, point_credit=D(10))
        order = await orders.accept(
            session, world.agency, premium.id, {"link": LINK, "quantity": "5000"}
        )
        order.provider_id, order.cost_rate = world.provider.id, COST
        assert await settle(session, order, OrderStatus.completed, 0, "test")
    return world


async def _redeem(runtime: Runtime, agency: Account, points: int, kind: RedemptionKind) -> int:
    async with runtime.transaction() as session:
        made = await rewards.redeem(session, agency, points, kind, datetime.now(UTC))
        return made.id


async def _redeemable(runtime: Runtime, agency: Account) -> int:
    async with runtime.transaction() as session:
        found = await rewards.purse(session, agency, datetime.now(UTC))
        assert found is not None
        return found.points


async def _redemptions(runtime: Runtime) -> int:
    async with runtime.transaction() as session:
        return await session.scalar(select(func.count()).select_from(PointRedemption)) or 0


async def test_points_redeemed_for_credit_come_from_the_resellers_wallet(
    runtime: Runtime, world: World
) -> None:
    assert await _redeemable(runtime, world.agency) == 900
    agency_before = await balance(runtime, world.agency.id)
    reseller_before = await balance(runtime, world.reseller.id)

    await _redeem(runtime, world.agency, 100, RedemptionKind.credit)

    assert await balance(runtime, world.agency.id) == agency_before + 1000
    assert await balance(runtime, world.reseller.id) == reseller_before - 1000
    async with runtime.transaction() as session:
        kinds = list(await session.scalars(select(Journal.kind).order_by(Journal.id.desc())))
        standing = await levels.standing(session, world.agency)
    assert kinds[0] is JournalKind.reward
    assert standing is not None
    assert standing.points == 900  # the level's points are what was earned
    assert await _redeemable(runtime, world.agency) == 800
    with pytest.raises(Invalid) as too_many:
        await _redeem(runtime, world.agency, 801, RedemptionKind.credit)
    assert too_many.value.extra["code"] == "too_many"
    assert await _redemptions(runtime) == 1

    # A reseller whose wallet cannot pay: refused, nothing written.
    async with runtime.transaction() as session:
        left = await ledger.balance(session, world.reseller.id)
        await ledger.adjust(session, world.reseller.id, D(999) - left, "spent", None)
    with pytest.raises(InsufficientFunds):
        await _redeem(runtime, world.agency, 100, RedemptionKind.credit)
    assert await _redemptions(runtime) == 1
    assert await balance(runtime, world.reseller.id) == D(999)
    # And one that does not redeem points at all.
    async with runtime.transaction() as session:
        await level_book.set_rules(session, world.reseller.id, point_credit=None)
    with pytest.raises(Invalid) as off:
        await _redeem(runtime, world.agency, 1, RedemptionKind.credit)
    assert off.value.extra["code"] == "not_redeemed"
    await audit_clean(runtime)


async def test_points_redeemed_for_a_voucher_give_one_discount_to_that_agency(
    runtime: Runtime, world: World
) -> None:
    redemption = await _redeem(runtime, world.agency, 50, RedemptionKind.voucher)
    code = f"POIN-{redemption}"
    followers = world.services["followers"].id  # 1.80 per 1000 for the agency
    async with runtime.transaction() as session:
        sibling = await accounts.create(
            session, kind=AccountKind.agency, name="Sibling", parent_id=world.reseller.id
        )
        await ledger.fund_agency(session, sibling.id, D(10), "float", None)
    reseller_before = await balance(runtime, world.reseller.id)

    async def order(buyer: Account, n: int) -> intake.Written:
        fields = {"link": f"{LINK}/{n}", "quantity": "10000", "voucher": code}
        async with runtime.transaction() as session:
            quote = await orders.quote(session, buyer, followers)
            [outcome] = await intake.write(session, [intake.draft(buyer, quote, fields, None)])
            return outcome

    first = await order(world.agency, 1)
    assert first.order_id is not None
    # 500 off an order of 18: the whole price, paid by the reseller.
    assert await balance(runtime, world.reseller.id) == reseller_before - D(18)
    again = await order(world.agency, 2)
    assert again.refusal is not None
    assert again.refusal.detail == texts.VOUCHER_USED_UP
    other = await order(sibling, 3)
    assert other.refusal is not None
    assert other.refusal.detail == texts.INCORRECT_VOUCHER
    assert await _redeemable(runtime, world.agency) == 850
    await audit_clean(runtime)


async def test_five_redemptions_at_once_never_spend_more_points_than_there_are(
    runtime: Runtime, world: World
) -> None:
    async with runtime.transaction() as session:
        await levels.standing(session, world.agency)  # its standing row exists before the race

    outcomes = await asyncio.gather(
        *(_redeem(runtime, world.agency, 300, RedemptionKind.credit) for _ in range(5)),
        return_exceptions=True,
    )

    done = [o for o in outcomes if isinstance(o, int)]
    refused = [o for o in outcomes if isinstance(o, Invalid)]
    assert (len(done), len(refused)) == (3, 2)
    assert await _redeemable(runtime, world.agency) == 0
    await audit_clean(runtime)


async def test_an_agency_redeems_over_v1(runtime: Runtime, world: World, app_for: AppFor) -> None:
    async with runtime.transaction() as session:
        key = (await keys.issue(session, world.agency)).plaintext
        reseller_key = (await keys.issue(session, world.reseller)).plaintext
    app = app_for(runtime.sessionmaker)
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://pasok.test") as c:
        agency = {"Authorization": f"Bearer {key}"}
        standing = (await c.get("/v1/level", headers=agency)).json()
        assert (standing["redeemable"], standing["point_credit"]) == (900, "10")
        made = await c.post(
            "/v1/level/redeem", json={"points": 30, "kind": "voucher"}, headers=agency
        )
        assert made.status_code == 201, made.text
        assert (made.json()["amount"], made.json()["voucher_code"]) == (
            "300",
            f"POIN-{made.json()['id']}",
        )
        too_many = await c.post(
            "/v1/level/redeem", json={"points": 871, "kind": "credit"}, headers=agency
        )
        assert too_many.status_code in (400, 422)
        assert (await c.get("/v1/level", headers=agency)).json()["redeemable"] == 870
        reseller = {"Authorization": f"Bearer {reseller_key}"}
        assert (
            await c.post("/v1/level/redeem", json={"points": 1, "kind": "credit"}, headers=reseller)
        ).status_code == 404
        rules = (await c.get("/v1/levels", headers=reseller)).json()["rules"]
        assert rules["point_credit"] == "10"
