"""Support as figures: how long tickets wait for their first answer (the automation's and a
person's) and for resolution; medians and 90th percentiles over 30 days, per reseller (its
agencies' tickets) or for the operator (the tickets that reach it)."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, extract, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from panel.models import Account, Ticket
from panel.support.tickets import answered_by

WINDOW = timedelta(days=30)


@dataclass(frozen=True)
class Spread:
    """Seconds: the median and the 90th percentile, over `count` tickets; None without any."""

    count: int
    median_s: int | None
    p90_s: int | None


@dataclass(frozen=True)
class Figures:
    tickets: int
    open: int
    first_auto_answer: Spread
    first_human_answer: Spread
    resolution: Spread


def _spread(end: Any) -> list[ColumnElement[Any]]:
    seconds = extract("epoch", end - Ticket.created_at)
    present = end.is_not(None)
    return [
        func.count().filter(present),
        func.percentile_cont(0.5).within_group(seconds).filter(present),
        func.percentile_cont(0.9).within_group(seconds).filter(present),
    ]


async def figures_for(session: AsyncSession, viewer: Account, now: datetime) -> Figures:
    """The tickets `viewer` answers, opened in the last 30 days."""
    row = (
        await session.execute(
            select(
                func.count(),
                func.count().filter(Ticket.resolved_at.is_(None)),
                *_spread(Ticket.first_auto_answer_at),
                *_spread(Ticket.first_human_answer_at),
                *_spread(Ticket.resolved_at),
            ).where(answered_by(viewer), Ticket.created_at > now - WINDOW)
        )
    ).one()
    spreads = [Spread(int(row[i]), _whole(row[i + 1]), _whole(row[i + 2])) for i in (2, 5, 8)]
    return Figures(int(row[0]), int(row[1]), *spreads)


def _whole(seconds: float | None) -> int | None:
    return None if seconds is None else round(seconds)


async def median_response_s(session: AsyncSession, reseller_id: int, now: datetime) -> int | None:
    """What a reseller may show on its brand's pages: the median time to a first answer,
    automatic or human, over 30 days of its agencies' tickets."""
    first = func.coalesce(Ticket.first_auto_answer_at, Ticket.first_human_answer_at)
    median = await session.scalar(
        select(
            func.percentile_cont(0.5).within_group(extract("epoch", first - Ticket.created_at))
        ).where(
            Ticket.reseller_id == reseller_id,
            Ticket.account_id != reseller_id,
            Ticket.created_at > now - WINDOW,
            first.is_not(None),
        )
    )
    return _whole(median)
