"""The operator's dashboard: the figures of the panel at a glance, each read from where its
rule lives (the margin report, the review queue, the sweeper's notion of stuck, the providers'
alert levels, the ledger audit's published result)."""

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from panel.catalogue import sync
from panel.config import OrderSettings
from panel.models import Order, OrderStatus, Provider
from panel.orders import sweeper
from panel.plumbing import metrics
from panel.reports import service as reports

log = logging.getLogger("panel.reports")

DAYS = 30


@dataclass(frozen=True)
class Day:
    day: date
    orders: int  # orders settled that day that earned or cost anything
    margin: Decimal


@dataclass(frozen=True)
class Review:
    waiting: int
    oldest_id: int | None
    oldest_at: datetime | None  # when the oldest waiting order was placed


@dataclass(frozen=True)
class Stuck:
    submitting: int  # past the submit timeout: going to review
    pending: int  # past the grace: their job is being queued again


@dataclass(frozen=True)
class ProviderFunds:
    provider_id: int
    name: str
    currency: str
    balance: Decimal | None  # None: never checked
    alert_below: Decimal
    low: bool
    checked_at: datetime | None


@dataclass(frozen=True)
class Dashboard:
    days: list[Day]  # the last `DAYS` days, oldest first, today last, every day present
    statuses: dict[OrderStatus, int]  # every status, zero included
    review: Review
    stuck: Stuck
    providers: list[ProviderFunds]
    audit_breaches: int | None  # the last audit's breaches; None: not run (or not known)

    @property
    def margin(self) -> Decimal:
        return sum((day.margin for day in self.days), Decimal(0))

    @property
    def settled(self) -> int:
        return sum(day.orders for day in self.days)


async def gather(
    session: AsyncSession, redis: Redis, settings: OrderSettings, now: datetime
) -> Dashboard:
    return Dashboard(
        days=await _days(session, now.date()),
        statuses=await _statuses(session),
        review=await _review(session),
        stuck=await _stuck(session, settings, now),
        providers=await _providers(session),
        audit_breaches=await last_audit(redis),
    )


async def _days(session: AsyncSession, today: date) -> list[Day]:
    first = today - timedelta(days=DAYS - 1)
    lines = await reports.between(session, reports.Grouping.day, first, today + timedelta(days=1))
    by_day = {line.key: line for line in lines}
    days = []
    for offset in range(DAYS):
        day = first + timedelta(days=offset)
        line = by_day.get(day.isoformat())
        days.append(Day(day, line.orders, line.margin) if line else Day(day, 0, Decimal(0)))
    return days


async def _statuses(session: AsyncSession) -> dict[OrderStatus, int]:
    rows = await session.execute(select(Order.status, func.count()).group_by(Order.status))
    counted = {status: count for status, count in rows}
    return {status: counted.get(status, 0) for status in OrderStatus}


async def _review(session: AsyncSession) -> Review:
    waiting = Order.status == OrderStatus.needs_review
    count = await session.scalar(select(func.count()).where(waiting)) or 0
    oldest = (
        await session.execute(
            select(Order.id, Order.created_at)
            .where(waiting)
            .order_by(Order.created_at, Order.id)
            .limit(1)
        )
    ).first()
    if oldest is None:
        return Review(count, None, None)
    return Review(count, oldest.id, oldest.created_at)


async def _stuck(session: AsyncSession, settings: OrderSettings, now: datetime) -> Stuck:
    async def count(condition: ColumnElement[bool]) -> int:
        return await session.scalar(select(func.count()).select_from(Order).where(condition)) or 0

    return Stuck(
        submitting=await count(sweeper.stale_submitting(now, settings)),
        pending=await count(sweeper.stale_pending(now, settings)),
    )


async def _providers(session: AsyncSession) -> list[ProviderFunds]:
    providers = await session.scalars(select(Provider).order_by(Provider.name, Provider.id))
    return [
        ProviderFunds(
            provider.id,
            provider.name,
            provider.currency,
            provider.balance,
            provider.low_balance,
            sync.is_low(provider),
            provider.balance_checked_at,
        )
        for provider in providers
    ]


async def last_audit(redis: Redis) -> int | None:
    """The breaches the last ledger audit found, as it published them for every process."""
    try:
        value = await redis.get(metrics.AUDIT_RESULT_KEY)
    except (RedisError, OSError):
        log.warning("redis did not answer; ledger audit result unknown")
        return None
    return int(value) if value is not None else None
