"""Earned tiers: 90-day spend promotes at once and demotes after a grace, by the cron."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import pytest
from redis.asyncio import Redis
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from panel.config import Settings, TierSettings
from panel.models import Order, OrderStatus, Tier
from panel.orders import service as orders
from panel.orders.settlement import settle
from panel.plumbing.job_queue import Queue
from panel.plumbing.runtime import Runtime
from panel.pricing import rule_book, standing, tiers
from panel.pricing import service as pricing
from tests.fixtures.factories import RESELLER_RATE, World, build_world
from workers.tasks import JobContext
from workers.tier_jobs import review_tiers

D = Decimal
LINK = "https://instagram.com/spender"
GRACE = TierSettings(demotion_grace_days=14)


@pytest.fixture
async def world(session: AsyncSession) -> World:
    return await build_world(session, reseller_balance=D(1000))


@pytest.fixture
async def gold(session: AsyncSession) -> Tier:
    """Reached at 10 spent in 90 days; +20% instead of the Standard tier's +50%."""
    tier = await tiers.create(session, name="Gold", min_spend_90d=D(10))
    await rule_book.create(session, tier_id=tier.id, markup_percent=D(20))
    return tier


@pytest.fixture
def cron(
    settings: Settings,
    engine: AsyncEngine,
    sessionmaker: async_sessionmaker[AsyncSession],
    redis: Redis,
    queue: Queue,
    http: httpx.AsyncClient,
    session: AsyncSession,
) -> JobContext:
    """What the worker hands the cron job: the runtime and the job's session."""
    runtime = Runtime(settings, engine, sessionmaker, redis, queue, http)
    return JobContext(runtime, session)


async def _order(
    session: AsyncSession, world: World, quantity: int, *, agency: bool = False
) -> Order:
    buyer = world.agency if agency else world.reseller
    return await orders.accept(
        session, buyer, world.services["followers"].id, {"link": LINK, "quantity": str(quantity)}
    )


async def test_crossing_a_threshold_promotes_and_the_next_order_is_priced_at_the_new_tier(
    session: AsyncSession, world: World, gold: Tier, cron: JobContext
) -> None:
    followers = world.services["followers"].id
    assert await pricing.rate_for(session, world.reseller, followers) == RESELLER_RATE
    await _order(session, world, 6000)  # 9.00: not yet
    assert await review_tiers(cron) == 0
    await _order(session, world, 1000)  # 10.50 in all
    assert await review_tiers(cron) == 1

    assert world.reseller.tier_id == gold.id
    assert await pricing.rate_for(session, world.reseller, followers) == D("1.2")
    order = await _order(session, world, 1000)
    assert (order.rate, order.charge) == (D("1.2"), D("1.2"))
    [change] = await standing.history(session, world.reseller)
    assert (change.to_tier_id, change.spend_90d, change.reason) == (
        gold.id,
        D("10.5"),
        "promoted by 90-day spend",
    )


async def test_refunds_do_not_count_and_agencies_count_at_the_reseller_s_rate(
    session: AsyncSession, world: World
) -> None:
    now = datetime.now(UTC)
    canceled = await _order(session, world, 5000)
    partial = await _order(session, world, 2000)
    await _order(session, world, 1000, agency=True)  # the reseller pays 1.50 of the agency's 1.80
    # Settled, as the pipeline settles them: spend counts what settlement kept.
    await settle(session, canceled, OrderStatus.canceled, 5000, "test")
    await settle(session, partial, OrderStatus.partial, 500, "test")
    spent = await standing.spend_90d(session, [world.reseller.id, world.other_reseller.id], now)
    # partial: 3.00 × 1500/2000 = 2.25; agency's order: 1.50; canceled: nothing.
    assert spent == {world.reseller.id: D("3.75"), world.other_reseller.id: D(0)}


async def test_demotion_waits_for_the_grace(
    session: AsyncSession, world: World, gold: Tier
) -> None:
    now = datetime.now(UTC)
    await _order(session, world, 10_000)
    await standing.review(session, now, GRACE)
    assert world.reseller.tier_id == gold.id
    # Ninety-one days later that spend has left the window.
    later = now + timedelta(days=91)
    assert await standing.review(session, later, GRACE) == []
    assert world.reseller.tier_below_since == later
    assert await standing.review(session, later + timedelta(days=13), GRACE) == []
    assert world.reseller.tier_id == gold.id
    [demotion] = await standing.review(session, later + timedelta(days=14), GRACE)
    assert (demotion.from_tier_id, demotion.to_tier_id) == (gold.id, world.reseller.tier_id)
    assert world.reseller.tier_id != gold.id


async def test_spending_again_within_the_grace_keeps_the_tier(
    session: AsyncSession, world: World, gold: Tier
) -> None:
    now = datetime.now(UTC)
    first = await _order(session, world, 10_000)
    await standing.review(session, now, GRACE)
    await session.execute(
        update(Order).where(Order.id == first.id).values(created_at=now - timedelta(days=91))
    )
    await standing.review(session, now, GRACE)
    assert world.reseller.tier_below_since == now
    await _order(session, world, 10_000)
    await standing.review(session, now + timedelta(days=20), GRACE)
    assert (world.reseller.tier_id, world.reseller.tier_below_since) == (gold.id, None)


async def test_standing_says_how_much_more_reaches_the_next_tier(
    session: AsyncSession, world: World, gold: Tier
) -> None:
    await _order(session, world, 4000)  # 6.00
    shown = await standing.standing(session, world.reseller, datetime.now(UTC))
    assert shown.tier is not None
    assert (shown.tier.name, shown.spend_90d, shown.next_tier, shown.spend_to_next) == (
        "Standard",
        D("6"),
        gold,
        D("4"),
    )
