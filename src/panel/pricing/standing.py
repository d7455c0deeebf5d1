"""Earned tiers: a reseller's tier follows what it spent in the last 90 days.

Spend is what the reseller paid for the orders of its tree (its own and its agencies', at the
reseller's own rate), less what was refunded: a failed or canceled order counts for nothing, a
partial one for what it delivered. A settled order counts on the UTC day it settled (its
settlement journal, read from the settled-day roll-up and the journals after its checkpoint,
`ledger.settled_days`); an order still in flight, on the day it was accepted, for its charge
less what the upstream reports undelivered. The window is the 90 UTC days up to now, today
included, so a review costs 90 roll-up days per reseller, however long its history.

A reseller is promoted as soon as its spend reaches a higher tier's threshold; it is demoted
only once its spend has stayed below its tier's threshold for the whole grace, so one slow
week does not cost it its prices.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import Numeric, cast, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from panel.config import TierSettings
from panel.ledger import settled_days
from panel.models import (
    Account,
    AccountKind,
    AccountStatus,
    Order,
    OrderCharge,
    Tier,
    TierChange,
)
from panel.models.order import OPEN_SQL
from panel.money import PLACES

WINDOW_DAYS = 90


@dataclass(frozen=True)
class Standing:
    """Where a reseller stands: its tier, its spend, and what it takes to reach the next."""

    tier: Tier | None
    spend_90d: Decimal
    next_tier: Tier | None
    spend_to_next: Decimal | None


async def spend_90d(
    session: AsyncSession, reseller_ids: Sequence[int], now: datetime
) -> dict[int, Decimal]:
    """Each reseller's spend over the 90 UTC days up to `now` (today included); resellers
    with none are 0."""
    first = now.astimezone(UTC).date() - timedelta(days=WINDOW_DAYS - 1)
    after = now.astimezone(UTC).date() + timedelta(days=1)
    settled = settled_days.rows(first, after, resellers=reseller_ids)
    kept = await session.execute(
        select(settled.c.reseller_id, func.sum(settled.c.reseller_kept)).group_by(
            settled.c.reseller_id
        )
    )
    # Orders in flight count for what they have not (yet) been refunded: all of it, or what
    # the upstream reports delivered. Only open orders are read: the partial index holds them.
    delivered = (Order.quantity - func.coalesce(Order.remains, 0)) / cast(Order.quantity, Numeric())
    in_flight = await session.execute(
        select(Order.reseller_id, func.sum(OrderCharge.amount * delivered))
        .join(
            OrderCharge,
            (OrderCharge.order_id == Order.id) & (OrderCharge.account_id == Order.reseller_id),
        )
        .where(
            text(OPEN_SQL),
            Order.reseller_id.in_(reseller_ids),
            Order.parent_id.is_(None),
            Order.created_at >= settled_days.moment(first),
        )
        .group_by(Order.reseller_id)
    )
    spent = {reseller_id: Decimal(0) for reseller_id in reseller_ids}
    for reseller_id, total in [*kept, *in_flight]:
        spent[reseller_id] += Decimal(total)
    return {reseller_id: total.quantize(PLACES) for reseller_id, total in spent.items()}


def earned(ladder: Sequence[Tier], spend: Decimal) -> Tier | None:
    """The highest tier whose threshold `spend` reaches; `ladder` is ordered lowest first."""
    reached = [tier for tier in ladder if tier.min_spend_90d <= spend]
    return reached[-1] if reached else None


async def ladder(session: AsyncSession) -> list[Tier]:
    return list(await session.scalars(select(Tier).order_by(Tier.min_spend_90d, Tier.id)))


async def standing(session: AsyncSession, reseller: Account, now: datetime) -> Standing:
    tiers = await ladder(session)
    spend = (await spend_90d(session, [reseller.id], now))[reseller.id]
    current = next((tier for tier in tiers if tier.id == reseller.tier_id), None)
    above = [tier for tier in tiers if _rank(tiers, tier) > _rank(tiers, current)]
    upcoming = above[0] if above else None
    return Standing(
        tier=current,
        spend_90d=spend,
        next_tier=upcoming,
        spend_to_next=max(Decimal(0), upcoming.min_spend_90d - spend) if upcoming else None,
    )


async def history(session: AsyncSession, reseller: Account) -> list[TierChange]:
    found = await session.scalars(
        select(TierChange).where(TierChange.account_id == reseller.id).order_by(TierChange.id)
    )
    return list(found)


async def review(session: AsyncSession, now: datetime, settings: TierSettings) -> list[TierChange]:
    """Move every active reseller to the tier its spend earned; returns the moves made."""
    tiers = await ladder(session)
    if not tiers:
        return []
    resellers = list(
        await session.scalars(
            select(Account)
            .where(Account.kind == AccountKind.reseller, Account.status == AccountStatus.active)
            .order_by(Account.id)
            .with_for_update(skip_locked=True)
        )
    )
    spent = await spend_90d(session, [r.id for r in resellers], now)
    grace = timedelta(days=settings.demotion_grace_days)
    changes = []
    for reseller in resellers:
        current = next((tier for tier in tiers if tier.id == reseller.tier_id), None)
        target = earned(tiers, spent[reseller.id])
        if _rank(tiers, target) > _rank(tiers, current):
            changes.append(_move(reseller, current, target, spent[reseller.id], "promoted"))
        elif _rank(tiers, target) == _rank(tiers, current):
            reseller.tier_below_since = None
        elif reseller.tier_below_since is None:
            reseller.tier_below_since = now  # the grace starts
        elif now - reseller.tier_below_since >= grace:
            changes.append(_move(reseller, current, target, spent[reseller.id], "demoted"))
    session.add_all(changes)
    await session.flush()
    return changes


def _move(
    reseller: Account, current: Tier | None, target: Tier | None, spend: Decimal, reason: str
) -> TierChange:
    reseller.tier_id = target.id if target else None
    reseller.tier_below_since = None
    return TierChange(
        account_id=reseller.id,
        from_tier_id=current.id if current else None,
        to_tier_id=target.id if target else None,
        spend_90d=spend,
        reason=f"{reason} by 90-day spend",
    )


def _rank(tiers: Sequence[Tier], tier: Tier | None) -> int:
    return -1 if tier is None else tiers.index(tier)
