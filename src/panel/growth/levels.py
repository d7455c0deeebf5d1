"""Agency levels and points: which level an agency holds under its reseller, and why.

Points are earned on settled spend: what the agency paid for an order less what settlement
refunded it, counted when the order settled. One point per 1,000 of the panel's currency, the
same for every reseller, so a level's target reads the same in any panel of one currency;
the sum is floored once, so small orders add up.

Points count in a rolling 90-day window, and within the agency's current level period. A
period lasts the reseller's `reset_days` (90 by default). During a period the agency holds the
higher of the level it started the period with and the highest level whose target its points
reach, so a promotion is immediate. At the period's end the level is decided again from the
period's points: any level whose target they reach, or the held level or one below it if
they reach its keep share (`keep_percent` of its target, 30% by default); the highest of
those wins, none means no level. Then points start again from zero: a reset never takes a
level away by itself.

The rules are pure functions over plain data; `standing` reads the data, rolls the agency's
periods forward to now and stores where it stands.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import and_, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from panel.models import (
    Account,
    AccountKind,
    AgencyLevel,
    AgencyStanding,
    Entry,
    Journal,
    JournalKind,
    LedgerAccount,
    LevelSettings,
    Order,
    OrderCharge,
    PriceRule,
)

WINDOW = timedelta(days=90)
POINT_VALUE = Decimal(1000)  # settled spend per point, in the panel's currency
HUNDRED = Decimal(100)
KEEP_PERCENT = Decimal(30)
RESET_DAYS = 90


@dataclass(frozen=True)
class Rung:
    """One level as plain data."""

    id: int
    name: str
    target: int
    badge: str
    markup_percent: Decimal | None


@dataclass(frozen=True)
class Rules:
    keep_percent: Decimal = KEEP_PERCENT
    reset_days: int = RESET_DAYS
    point_credit: Decimal | None = None  # what a point redeems for (growth.rewards)

    @property
    def period(self) -> timedelta:
        return timedelta(days=self.reset_days)


@dataclass(frozen=True)
class Spend:
    """One settled order's spend: paid less refunded, at the moment it settled."""

    at: datetime
    amount: Decimal


@dataclass(frozen=True)
class Standing:
    level: Rung | None
    points: int
    next_level: Rung | None
    points_left: int  # to the next level; 0 when there is none
    period_started_at: datetime
    period_ends_at: datetime  # points start again from zero
    expires_at: datetime | None  # when the points next fall (by the window or the reset)
    expiring: int  # how many points fall then


def points(spends: Iterable[Spend], start: datetime, end: datetime, at: datetime) -> int:
    """Points at `at` of the period [start, end): spends in it and in the window ending at `at`."""
    total = sum(
        (s.amount for s in spends if start <= s.at < end and at - WINDOW < s.at <= at),
        Decimal(0),
    )
    return int(max(total, Decimal(0)) // POINT_VALUE)


def ranked(rungs: Iterable[Rung]) -> list[Rung]:
    return sorted(rungs, key=lambda rung: rung.target)


def find(rungs: Sequence[Rung], level_id: int | None) -> Rung | None:
    return next((rung for rung in rungs if rung.id == level_id), None)


def reached(rungs: Sequence[Rung], earned: int) -> Rung | None:
    """The highest level whose target `earned` reaches."""
    return max((r for r in rungs if r.target <= earned), key=lambda r: r.target, default=None)


def holding(rungs: Sequence[Rung], held: Rung | None, earned: int) -> Rung | None:
    """The level held during a period: the one it began with, or a higher one now reached."""
    found = reached(rungs, earned)
    if held is None or (found is not None and found.target > held.target):
        return found
    return held


def decided(rungs: Sequence[Rung], held: Rung | None, earned: int, rules: Rules) -> Rung | None:
    """The level for the next period, from the ending period's points."""
    candidates = [
        rung
        for rung in rungs
        if rung.target <= earned
        or (
            held is not None
            and rung.target <= held.target
            and rules.keep_percent * rung.target <= earned * HUNDRED
        )
    ]
    return max(candidates, key=lambda rung: rung.target, default=None)


def roll(
    rungs: Sequence[Rung],
    rules: Rules,
    spends: Sequence[Spend],
    held: Rung | None,
    start: datetime,
    now: datetime,
) -> tuple[Rung | None, datetime]:
    """The level held and the start of the period `now` falls in, from a period's start."""
    while now >= start + rules.period:
        end = start + rules.period
        held = decided(rungs, held, points(spends, start, end, end), rules)
        start = end
    return held, start


def stand(
    rungs: Sequence[Rung],
    rules: Rules,
    spends: Sequence[Spend],
    held: Rung | None,
    start: datetime,
    now: datetime,
) -> Standing:
    """Where an agency stands at `now`, its current period beginning at `start`."""
    rungs = ranked(rungs)
    end = start + rules.period
    earned = points(spends, start, end, now)
    level = holding(rungs, held, earned)
    above = [r for r in rungs if level is None or r.target > level.target]
    next_level = above[0] if above else None
    expires_at, expiring = _next_fall(spends, start, end, now, earned)
    return Standing(
        level=level,
        points=earned,
        next_level=next_level,
        points_left=max(0, next_level.target - earned) if next_level else 0,
        period_started_at=start,
        period_ends_at=end,
        expires_at=expires_at,
        expiring=expiring,
    )


def _next_fall(
    spends: Sequence[Spend], start: datetime, end: datetime, now: datetime, earned: int
) -> tuple[datetime | None, int]:
    if earned == 0:
        return None, 0
    # Without new spend, the figure falls when enough of the oldest spend leaves the window,
    # and at the latest to zero when the period ends.
    for spend in sorted((s for s in spends if start <= s.at <= now), key=lambda s: s.at):
        leaves = spend.at + WINDOW
        if leaves >= end:
            break
        left = points(spends, start, end, leaves)
        if left < earned:
            return leaves, earned - left
    return end, earned


# --- reading and storing ------------------------------------------------------------------------


async def rungs_of(session: AsyncSession, reseller_id: int) -> list[Rung]:
    rows = await session.scalars(
        select(AgencyLevel)
        .where(AgencyLevel.reseller_id == reseller_id)
        .order_by(AgencyLevel.target)
    )
    return [Rung(r.id, r.name, r.target, r.badge, r.markup_percent) for r in rows]


async def rules_of(session: AsyncSession, reseller_id: int) -> Rules:
    row = await session.get(LevelSettings, reseller_id)
    return Rules() if row is None else Rules(row.keep_percent, row.reset_days, row.point_credit)


async def spends_of(session: AsyncSession, agency_id: int, since: datetime) -> list[Spend]:
    """The agency's settled orders since `since`: paid less the settlement's refund to it."""
    refunded = func.coalesce(func.sum(Entry.amount), 0)
    rows = await session.execute(
        select(Order.finished_at, OrderCharge.amount - refunded)
        .join(
            OrderCharge,
            and_(OrderCharge.order_id == Order.id, OrderCharge.account_id == Order.account_id),
        )
        .join(
            Journal,
            and_(Journal.order_id == Order.id, Journal.kind == JournalKind.settlement),
        )
        .join(LedgerAccount, LedgerAccount.owner_id == Order.account_id)
        .outerjoin(
            Entry,
            and_(Entry.journal_id == Journal.id, Entry.ledger_account_id == LedgerAccount.id),
        )
        .where(Order.account_id == agency_id, Order.finished_at >= since)
        .group_by(Order.id, Order.finished_at, OrderCharge.amount)
    )
    return [Spend(at, Decimal(amount)) for at, amount in rows if at is not None]


async def standing(
    session: AsyncSession, agency: Account, now: datetime | None = None
) -> Standing | None:
    """Where `agency` stands now under its reseller's levels; None when the reseller has none.
    Periods that ended since the last reading are decided and stored."""
    assert agency.kind is AccountKind.agency
    assert agency.parent_id is not None
    rungs = await rungs_of(session, agency.parent_id)
    if not rungs:
        return None
    return await _stand(session, agency, rungs, now or datetime.now(UTC))


async def _stand(
    session: AsyncSession, agency: Account, rungs: list[Rung], now: datetime
) -> Standing:
    assert agency.parent_id is not None
    rules = await rules_of(session, agency.parent_id)
    row = await session.get(AgencyStanding, agency.id)
    # An agency's first period begins when it joined.
    held_id, start = (
        (None, agency.created_at) if row is None else (row.level_id, row.period_started_at)
    )
    spends = await spends_of(session, agency.id, start)
    held, rolled_start = roll(rungs, rules, spends, find(rungs, held_id), start, now)
    if row is None or rolled_start != start or (held.id if held else None) != held_id:
        values = {"level_id": held.id if held else None, "period_started_at": rolled_start}
        # Two readers roll to the same answer, so the later write changes nothing.
        await session.execute(
            insert(AgencyStanding)
            .values(agency_id=agency.id, **values)
            .on_conflict_do_update(index_elements=[AgencyStanding.agency_id], set_=values)
        )
        if row is not None:
            await session.refresh(row)
    return stand(rungs, rules, spends, held, rolled_start, now)


async def markup_rule(session: AsyncSession, agency: Account) -> PriceRule | None:
    """The reseller's markup for `agency` by the level it holds, as an unsaved rule standing
    where the reseller's markup for all its agencies would; None: its level changes nothing."""
    assert agency.parent_id is not None
    rungs = await rungs_of(session, agency.parent_id)
    if all(rung.markup_percent is None for rung in rungs):
        return None
    level = (await _stand(session, agency, rungs, datetime.now(UTC))).level
    if level is None or level.markup_percent is None:
        return None
    return PriceRule(
        owner_id=agency.parent_id,
        markup_percent=level.markup_percent,
        markup_fixed=Decimal(0),
        floor_margin=Decimal(0),
    )
