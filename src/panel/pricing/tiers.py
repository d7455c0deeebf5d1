"""Tiers: named price levels that resellers belong to."""

from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from panel import action_log
from panel.errors import Conflict, NotFound
from panel.models import Tier


async def get(session: AsyncSession, tier_id: int) -> Tier:
    tier = await session.get(Tier, tier_id)
    if tier is None:
        raise NotFound(f"tier {tier_id} does not exist")
    return tier


async def create(session: AsyncSession, *, name: str, min_spend_90d: Decimal) -> Tier:
    await _name_free(session, name)
    tier = Tier(name=name, min_spend_90d=min_spend_90d)
    session.add(tier)
    await session.flush()
    return tier


async def update(
    session: AsyncSession,
    tier_id: int,
    *,
    name: str | None = None,
    min_spend_90d: Decimal | None = None,
) -> Tier:
    tier = await get(session, tier_id)
    if name is not None and name != tier.name:
        await _name_free(session, name)
        tier.name = name
    if min_spend_90d is not None:
        tier.min_spend_90d = min_spend_90d
    await session.flush()
    return tier


async def list_tiers(session: AsyncSession) -> Sequence[Tier]:
    return (await session.scalars(select(Tier).order_by(Tier.min_spend_90d, Tier.id))).all()


async def _name_free(session: AsyncSession, name: str) -> None:
    if await session.scalar(select(Tier.id).where(Tier.name == name)):
        raise Conflict(f"a tier named {name!r} exists")


# --- an operator's changes, recorded in the action log -----------------------------------------

TIER_FIELDS = ("name", "min_spend_90d")


async def create_by(
    session: AsyncSession, actor_id: int, *, name: str, min_spend_90d: Decimal
) -> Tier:
    tier = await create(session, name=name, min_spend_90d=min_spend_90d)
    after = action_log.snapshot(tier, TIER_FIELDS)
    await action_log.record(session, actor_id, "tier.create", "tier", tier.id, after=after)
    return tier


async def update_by(
    session: AsyncSession,
    actor_id: int,
    tier_id: int,
    *,
    name: str | None = None,
    min_spend_90d: Decimal | None = None,
) -> Tier:
    before = action_log.snapshot(await get(session, tier_id), TIER_FIELDS)
    tier = await update(session, tier_id, name=name, min_spend_90d=min_spend_90d)
    after = action_log.snapshot(tier, TIER_FIELDS)
    await action_log.record(
        session, actor_id, "tier.update", "tier", tier.id, before=before, after=after
    )
    return tier
