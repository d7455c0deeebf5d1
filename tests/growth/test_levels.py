"""Agency levels and points against a plain Python model.

Hypothesis draws a reseller's levels and rules, then a run of steps: time passes, the agency
orders and the order settles (completed, partial or canceled), or the agency looks at where it
stands. The orders go through acceptance and settlement on a real database; what `standing`
answers (from the ledger's settlement journals) is compared with the model, which knows only
what each order charged, what the money rule refunds, and when it settled.

Each example runs in a transaction of its own that is rolled back, in a worker thread with an
event loop and an engine of its own, as the ledger's state machine does.
"""

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from panel.catalogue import routes
from panel.catalogue import service as catalogue
from panel.growth import level_book, levels
from panel.ledger import service as ledger
from panel.models import Account, Order, OrderStatus, Service
from panel.money import refund_for
from panel.orders.service import accept
from panel.orders.settlement import settle
from panel.plumbing.db import create_engine
from panel.pricing import rule_book
from tests.fixtures.factories import World, build_world

D = Decimal
START = datetime(2026, 1, 1, tzinfo=UTC)
# Cost per 1000 of the service the agency buys: its agency rate is 1.8 times that (the tier's
# 50%, then the reseller's 20%), so one order of 10 to 10,000 earns from 1 to 1,800 points.
COST = D(100_000)
MODEL_WINDOW = timedelta(days=90)
MODEL_POINT = D(1000)


# --- the model ----------------------------------------------------------------------------------


@dataclass
class Model:
    """Levels as (id, target); spends as (settled at, paid less refunded)."""

    ladder: list[tuple[int, int]]
    keep_percent: int
    reset_days: int
    joined: datetime
    spends: list[tuple[datetime, Decimal]] = field(default_factory=list)

    def _earned(self, begin: datetime, stop: datetime, at: datetime) -> int:
        total = D(0)
        for when, amount in self.spends:
            in_period = begin <= when < stop
            in_window = when <= at and at - when < MODEL_WINDOW
            if in_period and in_window:
                total += amount
        whole = 0
        while total >= MODEL_POINT:  # one point per whole 1,000
            total -= MODEL_POINT
            whole += 1
        return whole

    def _best_reached(self, earned: int) -> int | None:
        best = None
        for index, (_, target) in enumerate(self.ladder):
            if target <= earned:
                best = index
        return best

    def _after_period(self, held: int | None, earned: int) -> int | None:
        reached = self._best_reached(earned)
        kept = None
        # Walk down from the held level to the first one whose keep share is met.
        step = held
        while step is not None and step >= 0:
            if earned * 100 >= self.keep_percent * self.ladder[step][1]:
                kept = step
                break
            step -= 1
        options = [i for i in (reached, kept) if i is not None]
        return max(options) if options else None

    def standing(self, now: datetime) -> tuple[int | None, int, int]:
        """(level id, points, points left to the next level) at `now`."""
        held: int | None = None
        begin = self.joined
        length = timedelta(days=self.reset_days)
        while begin + length <= now:
            held = self._after_period(held, self._earned(begin, begin + length, begin + length))
            begin += length
        earned = self._earned(begin, begin + length, now)
        reached = self._best_reached(earned)
        if reached is not None and (held is None or reached > held):
            held = reached
        above = held + 1 if held is not None else 0
        left = self.ladder[above][1] - earned if above < len(self.ladder) else 0
        level_id = self.ladder[held][0] if held is not None else None
        return level_id, earned, max(left, 0)


# --- the scenario -------------------------------------------------------------------------------

ENDINGS = st.sampled_from(["completed", "partial", "canceled"])
STEPS = st.lists(
    st.one_of(
        # Hours, or whole days that land on the window's and the periods' edges.
        st.tuples(st.just("wait"), st.integers(min_value=1, max_value=24 * 60)),
        st.tuples(st.just("wait"), st.sampled_from([7, 30, 60, 83, 89, 90]).map(lambda d: d * 24)),
        st.tuples(
            st.just("order"),
            # From 18 points to 1,800, before refunds.
            st.sampled_from([100, 600, 2_000, 5_000, 10_000]) | st.integers(10, 10_000),
            ENDINGS,
            st.integers(min_value=0, max_value=10_000),
        ),
    ),
    min_size=4,
    max_size=24,
)
# Targets in hundreds of points, often with a base level at 0 that every agency reaches.
LADDERS = st.tuples(
    st.booleans(),
    st.lists(st.integers(min_value=1, max_value=30), min_size=1, max_size=4, unique=True),
).map(lambda drawn: sorted({*([0] if drawn[0] else []), *(h * 100 for h in drawn[1])}))


@dataclass
class Scenario:
    targets: list[int]
    keep_percent: int
    reset_days: int
    steps: list[tuple[Any, ...]]


SCENARIOS = st.builds(
    Scenario,
    targets=LADDERS,
    keep_percent=st.sampled_from([0, 30, 50, 100]),
    reset_days=st.sampled_from([7, 30, 90, 120]),
    steps=STEPS,
)


async def expensive_service(session: AsyncSession, world: World) -> Service:
    upstream = await catalogue.upsert_provider_service(
        session,
        world.provider.id,
        "90",
        panel_currency="USD",
        name="Premium",
        category="Premium",
        rate=COST,
        min_quantity=10,
        max_quantity=10_000,
        type="Default",
    )
    service = await catalogue.create_service(
        session, name="Premium", category="Premium", min_quantity=10, max_quantity=10_000
    )
    await routes.replace(session, service.id, [upstream.id])
    return service


async def rich_world(session: AsyncSession) -> World:
    return await build_world(session, reseller_balance=D(10) ** 10, agency_balance=D(10) ** 10)


async def order_and_settle(
    session: AsyncSession,
    world: World,
    service: Service,
    quantity: int,
    ending: str,
    remains: int,
    at: datetime | None,
    number: int,
) -> Decimal:
    """An agency order settled at `at` (None: now); what the model makes of it: paid less
    refunded."""
    order = await accept(
        session,
        world.agency,
        service.id,
        {"link": f"https://instagram.com/pasok{number}", "quantity": str(quantity)},
    )
    order.provider_id, order.cost_rate = world.provider.id, COST
    status = OrderStatus(ending)
    left = {"completed": 0, "canceled": quantity}.get(ending, min(remains, quantity - 1))
    assert await settle(session, order, status, left, "test")
    if at is not None:
        await session.execute(update(Order).where(Order.id == order.id).values(finished_at=at))
    return order.charge - refund_for(order.charge, left, quantity)


async def play(session: AsyncSession, scenario: Scenario) -> None:
    world = await rich_world(session)
    service = await expensive_service(session, world)
    await session.execute(
        update(Account).where(Account.id == world.agency.id).values(created_at=START)
    )
    await session.refresh(world.agency)
    made = [
        await level_book.create(
            session, world.reseller.id, name=f"L{target}", target=target, badge="gold"
        )
        for target in scenario.targets
    ]
    await level_book.set_rules(
        session,
        world.reseller.id,
        keep_percent=D(scenario.keep_percent),
        reset_days=scenario.reset_days,
    )
    model = Model(
        [(level.id, level.target) for level in made],
        scenario.keep_percent,
        scenario.reset_days,
        START,
    )
    now = START
    for number, step in enumerate(scenario.steps):
        if step[0] == "wait":
            now += timedelta(hours=step[1])
        else:
            _, quantity, ending, remains = step
            spent = await order_and_settle(
                session, world, service, quantity, ending, remains, now, number
            )
            model.spends.append((now, spent))
        # The agency looks after every step.
        found = await levels.standing(session, world.agency, now)
        if not made:
            assert found is None
            continue
        assert found is not None
        held = found.level.id if found.level else None
        assert (held, found.points, found.points_left) == model.standing(now), (now, model)


def _given_scenarios(database_url: str) -> None:
    loop = asyncio.new_event_loop()
    engine = create_engine(database_url, pool_size=1)

    async def example(scenario: Scenario) -> None:
        async with engine.connect() as connection:
            transaction = await connection.begin()
            try:
                async with async_sessionmaker(bind=connection, expire_on_commit=False)() as s:
                    await play(s, scenario)
            finally:
                await transaction.rollback()

    @settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(SCENARIOS)
    def check(scenario: Scenario) -> None:
        loop.run_until_complete(example(scenario))

    try:
        check()
    finally:
        loop.run_until_complete(engine.dispose())
        loop.close()


async def test_levels_and_points_match_a_model(database_url: str) -> None:
    await asyncio.to_thread(_given_scenarios, database_url)


@settings(max_examples=400, deadline=None)
@given(SCENARIOS, st.lists(st.integers(min_value=1, max_value=1_800_000), min_size=24, max_size=24))
def test_the_rules_alone_match_the_model_over_many_more_runs(
    scenario: Scenario, amounts: list[int]
) -> None:
    # The same rules without the database, so many more runs fit in the same time: what an
    # order spent is drawn directly.
    rungs = [levels.Rung(i, f"L{t}", t, "gold", None) for i, t in enumerate(scenario.targets)]
    rules = levels.Rules(D(scenario.keep_percent), scenario.reset_days)
    model = Model(
        [(r.id, r.target) for r in rungs], scenario.keep_percent, scenario.reset_days, START
    )
    now, spends = START, []
    for step, amount in zip(scenario.steps, amounts, strict=False):
        if step[0] == "wait":
            now += timedelta(hours=step[1])
        else:
            spends.append(levels.Spend(now, D(amount)))
            model.spends.append((now, D(amount)))
        held, start = levels.roll(rungs, rules, spends, None, START, now)
        found = levels.stand(rungs, rules, spends, held, start, now)
        level = found.level.id if found.level else None
        assert (level, found.points, found.points_left) == model.standing(now)


# --- a level's markup ---------------------------------------------------------------------------


@pytest.fixture
async def world(session: AsyncSession) -> World:
    return await rich_world(session)


async def test_an_agency_that_reaches_a_level_pays_less_on_its_next_order(
    session: AsyncSession, world: World
) -> None:
    service = await expensive_service(session, world)
    # The reseller's 20% for all agencies becomes 5% at Gold (1,000 points).
    await level_book.create(
        session, world.reseller.id, name="Gold", target=1000, badge="gold", markup_percent=D(5)
    )
    link = {"link": "https://instagram.com/pasok"}
    first = await accept(session, world.agency, service.id, {**link, "quantity": "5000"})
    assert first.charge == D(150_000) * D("1.2") * 5 == D(900_000)  # 900 points: not yet
    first.provider_id, first.cost_rate = world.provider.id, COST
    await settle(session, first, OrderStatus.completed, 0, "test")
    assert await levels.markup_rule(session, world.agency) is None
    second = await accept(session, world.agency, service.id, {**link, "quantity": "1000"})
    assert second.charge == D(180_000)  # still 20%
    second.provider_id, second.cost_rate = world.provider.id, COST
    await settle(session, second, OrderStatus.completed, 0, "test")
    found = await levels.standing(session, world.agency)
    assert found is not None
    assert found.level is not None
    assert found.level.name == "Gold"
    assert found.points == 1080
    third = await accept(session, world.agency, service.id, {**link, "quantity": "1000"})
    assert third.charge == D(150_000) * D("1.05") == D(157_500)
    # The reseller still pays its own rate: the level lowers only its margin.
    assert await ledger.balance(session, world.reseller.id) >= 0


async def test_a_rule_for_one_agency_stands_over_its_level(
    session: AsyncSession, world: World
) -> None:
    service = await expensive_service(session, world)
    await level_book.create(
        session, world.reseller.id, name="Base", target=0, badge="bronze", markup_percent=D(5)
    )
    link = {"link": "https://instagram.com/pasok", "quantity": "1000"}
    assert (await accept(session, world.agency, service.id, link)).charge == D(157_500)
    await rule_book.create(
        session, owner_id=world.reseller.id, account_id=world.agency.id, markup_percent=D(10)
    )
    link["link"] += "2"
    assert (await accept(session, world.agency, service.id, link)).charge == D(165_000)


async def test_a_refund_deducts_its_points(session: AsyncSession, world: World) -> None:
    service = await expensive_service(session, world)
    await level_book.create(session, world.reseller.id, name="Silver", target=500, badge="silver")
    # Periods longer than the window: the points leave by the window before the reset.
    await level_book.set_rules(session, world.reseller.id, reset_days=120)
    now = datetime.now(UTC)
    spent = await order_and_settle(session, world, service, 1000, "partial", 600, now, 1)
    assert spent == D(180_000) - D(108_000)
    found = await levels.standing(session, world.agency, now)
    assert found is not None
    assert found.points == 72
    assert found.points_left == 428
    assert found.expires_at == now + timedelta(days=90)
    assert found.expiring == 72
