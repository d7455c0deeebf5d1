"""Tiers: named price levels that resellers belong to."""

from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

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
