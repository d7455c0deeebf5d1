"""The settled-day roll-up against the journals it stands for.

Hypothesis draws a run of steps: orders of a reseller, of its agency and of another reseller
that settle completed, partial, canceled or failed (or stay open), on days spread over four
months; top-ups and adjustments; and folds of the roll-up, in batches of random size, at
random points. After every fold and at the end, the roll-up's rows must equal the figures of
the journals up to its checkpoint, computed here in Python from the raw rows with the money
rules, and each reader (the margin report by every grouping, tier spend) must answer what
those raw rows say. Orders go through acceptance and settlement on a real database; each
example runs in a transaction of its own that is rolled back, as the levels test does.
"""

import asyncio
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from panel.ledger import rollup
from panel.ledger import service as ledger
from panel.ledger.incremental_audit import SETTLED
from panel.models import (
    TERMINAL,
    Account,
    Entry,
    Journal,
    JournalKind,
    LedgerAccount,
    LedgerAccountKind,
    Order,
    OrderCharge,
    OrderStatus,
    RollupCheckpoint,
    SettledDay,
)
from panel.money import PLACES, refund_for
from panel.orders.service import accept
from panel.orders.settlement import cost_for, settle
from panel.plumbing.db import create_engine
from panel.pricing import standing
from panel.reports import service as reports
from tests.fixtures.factories import World, build_world

D = Decimal
NOW = datetime.now(UTC)
TODAY = NOW.date()
FIRST, AFTER = TODAY - timedelta(days=130), TODAY + timedelta(days=1)
MEASURES = ("journals", "booked", "orders", "buyer_kept", "reseller_kept", "cost", "margin")
MEASURES += ("fx", "provider_cost")

Key = tuple[date, int, int, int, int | None, str | None]


# --- the figures, from the raw rows ---------------------------------------------------------------


@dataclass(frozen=True)
class Settled:
    """One settlement journal as the money rules read it."""

    journal_id: int
    key: Key
    figures: dict[str, Any]


async def raw_settlements(session: AsyncSession) -> list[Settled]:
    """Every settlement journal, read row by row and computed in Python."""
    journals = (
        await session.execute(
            select(Journal.id, Journal.created_at, Journal.order_id).where(
                Journal.kind == JournalKind.settlement
            )
        )
    ).all()
    found = []
    for journal_id, created_at, order_id in journals:
        order = await session.get_one(Order, order_id)
        await session.refresh(order)
        legs = (
            await session.execute(
                select(LedgerAccount.code, LedgerAccount.kind, LedgerAccount.owner_id, Entry.amount)
                .join(LedgerAccount, LedgerAccount.id == Entry.ledger_account_id)
                .where(Entry.journal_id == journal_id)
            )
        ).all()
        charges = dict(
            (
                await session.execute(
                    select(OrderCharge.account_id, OrderCharge.amount).where(
                        OrderCharge.order_id == order_id
                    )
                )
            ).all()
        )
        remains = order.remains or 0
        reseller_paid = charges.get(order.reseller_id, D(0))
        booked = any(
            code in ("revenue", "fx") or kind == LedgerAccountKind.provider
            for code, kind, _, _ in legs
        )
        costed = order.cost_rate is not None
        figures = {
            "journals": 1,
            "booked": int(booked),
            "orders": int(booked and order.parent_id is None),
            "buyer_kept": charges.get(order.account_id, D(0))
            - sum((a for _, _, owner, a in legs if owner == order.account_id), D(0)),
            "reseller_kept": reseller_paid - refund_for(reseller_paid, remains, order.quantity),
            "cost": sum((a for _, k, _, a in legs if k == LedgerAccountKind.provider), D(0)),
            "margin": sum((a for c, _, _, a in legs if c == "revenue"), D(0)),
            "fx": sum((a for c, _, _, a in legs if c == "fx"), D(0)),
            "provider_cost": cost_for(order, order.quantity - remains) if costed else D(0),
        }
        key = (
            created_at.astimezone(UTC).date(),
            order.reseller_id,
            order.account_id,
            order.service_id,
            order.provider_id,
            order.provider_currency if costed else None,
        )
        found.append(Settled(journal_id, key, figures))
    return found


def summed(settlements: list[Settled]) -> dict[Key, dict[str, Any]]:
    totals: dict[Key, dict[str, Any]] = {}
    for settled in settlements:
        row = totals.setdefault(settled.key, dict.fromkeys(MEASURES, 0))
        for name in MEASURES:
            row[name] += settled.figures[name]
    return totals


async def rolled_up(session: AsyncSession) -> dict[Key, dict[str, Any]]:
    rows = await session.scalars(select(SettledDay))
    return {
        (r.day, r.reseller_id, r.account_id, r.service_id, r.provider_id, r.currency): {
            name: getattr(r, name) for name in MEASURES
        }
        for r in rows
    }


async def expected_lines(
    session: AsyncSession, settlements: list[Settled], by: reports.Grouping
) -> list[tuple[Any, ...]]:
    tiers = dict((await session.execute(select(Account.id, Account.tier_id))).all())
    place = {"day": 0, "provider": 4, "service": 3, "reseller": 1}
    groups: dict[Any, list[Settled]] = defaultdict(list)
    for settled in settlements:
        if not FIRST <= settled.key[0] < AFTER:
            continue
        value = tiers[settled.key[1]] if by == "tier" else settled.key[place[by]]
        groups[value].append(settled)
    lines = []
    # Ordered by key as the report orders it (none last).
    for value, members in sorted(groups.items(), key=lambda g: (g[0] is None, g[0] or 0)):
        if not any(m.figures["booked"] for m in members):
            continue
        costs: dict[str, Decimal] = defaultdict(Decimal)
        for m in members:
            if m.key[5] is not None:
                costs[m.key[5]] += m.figures["provider_cost"]
        total = summed(members)
        figures = {name: sum(row[name] for row in total.values()) for name in MEASURES}
        shown = None if value is None else str(value) if by != "day" else value.isoformat()
        lines.append(
            (
                shown,
                figures["orders"],
                figures["cost"],
                figures["margin"],
                figures["fx"],
                figures["cost"] + figures["margin"] + figures["fx"],
                dict(costs),
            )
        )
    return lines


async def expected_spend(
    session: AsyncSession, settlements: list[Settled], resellers: list[int]
) -> dict[int, Decimal]:
    first = TODAY - timedelta(days=89)
    spent = {reseller: D(0) for reseller in resellers}
    for settled in settlements:
        if first <= settled.key[0] <= TODAY and settled.key[1] in spent:
            spent[settled.key[1]] += settled.figures["reseller_kept"]
    open_orders = await session.scalars(
        select(Order).where(Order.status.not_in(TERMINAL), Order.parent_id.is_(None))
    )
    for order in open_orders:
        if order.reseller_id in spent and order.created_at.astimezone(UTC).date() >= first:
            paid = await session.scalar(
                select(OrderCharge.amount).where(
                    OrderCharge.order_id == order.id, OrderCharge.account_id == order.reseller_id
                )
            )
            assert paid is not None
            delivered = order.quantity - (order.remains or 0)
            spent[order.reseller_id] += paid * delivered / order.quantity
    return {reseller: total.quantize(PLACES) for reseller, total in spent.items()}


async def check(session: AsyncSession, world: World) -> None:
    """The roll-up holds the journals up to its checkpoint; every reader answers the raw rows."""
    settlements = await raw_settlements(session)
    folded_to = await session.scalar(select(RollupCheckpoint.journal_id)) or 0
    assert await rolled_up(session) == summed([s for s in settlements if s.journal_id <= folded_to])
    for by in reports.Grouping:
        lines = await reports.between(session, by, FIRST, AFTER)
        answered = [
            (line.key, line.orders, line.cost, line.margin, line.fx, line.revenue)
            + (line.provider_costs,)
            for line in lines
        ]
        assert answered == await expected_lines(session, settlements, by), by
    resellers = [world.reseller.id, world.other_reseller.id]
    assert await standing.spend_90d(session, resellers, NOW) == await expected_spend(
        session, settlements, resellers
    )


# --- the scenario ---------------------------------------------------------------------------------

BUYERS = st.sampled_from(["reseller", "agency", "other"])
ENDINGS = st.sampled_from(["completed", "partial", "canceled", "failed", "open"])
STEPS = st.lists(
    st.one_of(
        st.tuples(
            st.just("order"),
            BUYERS,
            st.integers(min_value=10, max_value=10_000),
            ENDINGS,
            st.integers(min_value=0, max_value=10_000),
            # Days before today, and the hour: the tier window's edge is 89 days back.
            st.sampled_from([0, 1, 88, 89, 90, 91]) | st.integers(0, 125),
            st.integers(0, 23),
            st.sampled_from(["provider", "backup", None]),
            st.sampled_from(["USD", "EUR", None]),
        ),
        st.tuples(st.just("top_up"), BUYERS, st.integers(1, 500)),
        st.tuples(st.just("adjust"), BUYERS, st.integers(-5, 5).filter(bool)),
        st.tuples(st.just("fold"), st.sampled_from([1, 2, 5, 1000])),
    ),
    min_size=3,
    max_size=20,
)


async def order_step(
    session: AsyncSession, world: World, number: int, step: tuple[Any, ...]
) -> None:
    _, who, quantity, ending, remains, days, hour, upstream, currency = step
    buyer = {"reseller": world.reseller, "agency": world.agency, "other": world.other_reseller}[who]
    service = world.services["likes" if number % 2 else "followers"]
    order = await accept(
        session,
        buyer,
        service.id,
        {"link": f"https://instagram.com/p{number}", "quantity": str(quantity)},
    )
    at = datetime.combine(TODAY - timedelta(days=days), datetime.min.time(), UTC)
    at += timedelta(hours=hour)
    await session.execute(update(Order).where(Order.id == order.id).values(created_at=at))
    if ending == "open":
        return
    provider = {"provider": world.provider, "backup": world.backup, None: None}[upstream]
    order.provider_id = provider.id if provider else None
    # A cost is booked to a provider: without one there is none (an order that never left).
    order.cost_rate = D("0.75") if currency and provider else None
    order.provider_currency = currency if provider else None
    left = {"completed": 0, "canceled": quantity, "failed": quantity}.get(
        ending, min(remains, quantity - 1)
    )
    assert await settle(session, order, OrderStatus(ending), left, "test")
    # Settled on that day: its journal is not folded yet, so moving it is as if it was
    # posted then. Journals are append-only; the trigger that says so is set aside for this
    # one statement.
    await session.execute(text("SET LOCAL session_replication_role = replica"))
    await session.execute(
        update(Journal)
        .where(Journal.order_id == order.id, Journal.kind == JournalKind.settlement)
        .values(created_at=at)
    )
    await session.execute(text("SET LOCAL session_replication_role = origin"))


async def play(session: AsyncSession, steps: list[tuple[Any, ...]]) -> None:
    world = await build_world(session, reseller_balance=D(10) ** 6, agency_balance=D(10) ** 6)
    accounts = {"reseller": world.reseller, "agency": world.agency, "other": world.other_reseller}
    folded = False
    for number, step in enumerate(steps):
        if step[0] == "order":
            await order_step(session, world, number, step)
        elif step[0] == "top_up":
            await ledger.top_up(session, accounts[step[1]].id, D(step[2]), "bank", None)
        elif step[0] == "adjust":
            account = accounts[step[1]]
            amount = max(D(step[2]), -await ledger.balance(session, account.id))
            if amount:
                await ledger.adjust(session, account.id, amount, "correction", None)
        else:
            # Later than the settling time: every journal so far may be folded.
            await rollup.fold(session, NOW + SETTLED + timedelta(minutes=1), step[1])
            folded = True
            await check(session, world)
    await check(session, world)
    if folded:
        # Folded to the end, the roll-up alone is every settlement.
        while await rollup.fold(session, NOW + SETTLED + timedelta(minutes=1)):
            pass
        await check(session, world)


def _given_runs(database_url: str) -> None:
    loop = asyncio.new_event_loop()
    engine = create_engine(database_url, pool_size=1)

    async def example(steps: list[tuple[Any, ...]]) -> None:
        async with engine.connect() as connection:
            transaction = await connection.begin()
            try:
                async with async_sessionmaker(bind=connection, expire_on_commit=False)() as s:
                    await play(s, steps)
            finally:
                await transaction.rollback()

    @settings(
        max_examples=15,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(STEPS)
    def run(steps: list[tuple[Any, ...]]) -> None:
        loop.run_until_complete(example(steps))

    try:
        run()
    finally:
        loop.run_until_complete(engine.dispose())
        loop.close()


async def test_the_roll_up_and_its_readers_match_the_raw_rows(database_url: str) -> None:
    await asyncio.to_thread(_given_runs, database_url)


# --- before and after the fold --------------------------------------------------------------------


@pytest.fixture
async def world(session: AsyncSession) -> World:
    return await build_world(session, reseller_balance=D(1000))


async def test_readers_answer_the_same_before_and_after_the_fold(
    session: AsyncSession, world: World
) -> None:
    for number, (buyer, ending, left) in enumerate(
        [
            (world.reseller, OrderStatus.completed, 0),
            (world.reseller, OrderStatus.partial, 400),
            (world.agency, OrderStatus.completed, 0),
            (world.reseller, OrderStatus.canceled, 1000),
        ]
    ):
        order = await accept(
            session,
            buyer,
            world.services["followers"].id,
            {"link": f"https://instagram.com/f{number}", "quantity": "1000"},
        )
        order.provider_id, order.cost_rate, order.provider_currency = world.provider.id, D(1), "USD"
        assert await settle(session, order, ending, left, "test")

    async def answers() -> tuple[Any, ...]:
        lines = await reports.between(session, reports.Grouping.reseller, TODAY, AFTER)
        spend = await standing.spend_90d(session, [world.reseller.id], NOW)
        return tuple(
            (line.orders, line.revenue, line.cost, line.provider_costs) for line in lines
        ), spend

    before = await answers()
    # Paid 1.50 twice (the agency's order at the reseller's rate), 0.90 for 600 of 1000.
    assert before == (((3, D("3.9"), D("2.6"), {"USD": D("2.6")}),), {world.reseller.id: D("3.9")})
    assert await session.scalar(select(SettledDay.id).limit(1)) is None
    # Too recent to fold yet: the settling time has not passed.
    assert await rollup.fold(session, datetime.now(UTC)) == 0
    assert await rollup.fold(session, datetime.now(UTC) + SETTLED + timedelta(minutes=1)) > 0
    assert await session.scalar(select(SettledDay.id).limit(1)) is not None
    assert await answers() == before
    # Nothing new: a second fold passes nothing and changes no answer.
    assert await rollup.fold(session, datetime.now(UTC) + SETTLED + timedelta(minutes=1)) == 0
    assert await answers() == before
