"""A reseller's agency levels and its rules for keeping them and resetting points."""

from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from panel.errors import Conflict, Invalid, NotFound
from panel.growth.levels import KEEP_PERCENT, POINT_VALUE, RESET_DAYS, Rules, rules_of
from panel.models import AgencyLevel, LevelSettings

# The colours a badge may take; pages draw each one.
BADGES = ("bronze", "silver", "gold", "platinum", "diamond")
MAX_TARGET = 1_000_000_000
RESET_RANGE = (7, 365)
# A point stands for 1,000 of settled spend: worth more than that when redeemed is a typo.
MAX_POINT_CREDIT = POINT_VALUE


async def levels(session: AsyncSession, reseller_id: int) -> Sequence[AgencyLevel]:
    """The reseller's levels, lowest target first."""
    return (
        await session.scalars(
            select(AgencyLevel)
            .where(AgencyLevel.reseller_id == reseller_id)
            .order_by(AgencyLevel.target)
        )
    ).all()


async def create(
    session: AsyncSession,
    reseller_id: int,
    *,
    name: str,
    target: int,
    badge: str,
    markup_percent: Decimal | None = None,
) -> AgencyLevel:
    """Add a level; its target ranks it among the reseller's levels."""
    name = name.strip()
    if not 1 <= len(name) <= 60:
        raise Invalid("a level's name has 1 to 60 characters")
    if not 0 <= target <= MAX_TARGET:
        raise Invalid(f"target must be between 0 and {MAX_TARGET} points")
    if badge not in BADGES:
        raise Invalid(f"badge must be one of {', '.join(BADGES)}")
    if markup_percent is not None and markup_percent < -100:
        raise Invalid("markup_percent cannot be below -100")
    for column, value, what in (
        (AgencyLevel.target, target, "target"),
        (AgencyLevel.name, name, "name"),
    ):
        taken = await session.scalar(
            select(AgencyLevel.id).where(AgencyLevel.reseller_id == reseller_id, column == value)
        )
        if taken is not None:
            raise Conflict(f"level {taken} already has this {what}")
    level = AgencyLevel(
        reseller_id=reseller_id,
        name=name,
        target=target,
        badge=badge,
        markup_percent=markup_percent,
    )
    session.add(level)
    await session.flush()
    return level


async def delete(session: AsyncSession, reseller_id: int, level_id: int) -> None:
    """Remove a level; agencies holding it hold none until their next period decides."""
    level = await session.get(AgencyLevel, level_id)
    if level is None or level.reseller_id != reseller_id:
        raise NotFound(f"level {level_id} does not exist")
    await session.delete(level)
    await session.flush()


async def rules(session: AsyncSession, reseller_id: int) -> Rules:
    return await rules_of(session, reseller_id)


async def set_rules(
    session: AsyncSession,
    reseller_id: int,
    *,
    keep_percent: Decimal = KEEP_PERCENT,
    reset_days: int = RESET_DAYS,
    point_credit: Decimal | None = None,
) -> Rules:
    """Set the share of its target that keeps a level, the days after which points reset, and
    what one point redeems for (None: points are not redeemed)."""
    if not 0 <= keep_percent <= 100:
        raise Invalid("keep_percent must be between 0 and 100")
    low, high = RESET_RANGE
    if not low <= reset_days <= high:
        raise Invalid(f"reset_days must be between {low} and {high}")
    if point_credit is not None and not 0 < point_credit <= MAX_POINT_CREDIT:
        raise Invalid(f"point_credit must be above 0 and at most {MAX_POINT_CREDIT}")
    values = {"keep_percent": keep_percent, "reset_days": reset_days, "point_credit": point_credit}
    await session.execute(
        insert(LevelSettings)
        .values(reseller_id=reseller_id, **values)
        .on_conflict_do_update(index_elements=[LevelSettings.reseller_id], set_=values)
    )
    return Rules(keep_percent, reset_days, point_credit)
