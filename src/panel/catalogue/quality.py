"""Quality figures: how each service and each provider did over the last 30 days, measured on
Pasok's own orders, so a reseller can choose on facts rather than on a provider's word.

Of the orders that finished in the window: the share completed, partial, and canceled or
failed; the median start delay (sent upstream → delivery first seen under way) and the median
time to complete (sent → completed); and of the refills that ended, the share completed. A
service's figures count its orders as its buyers saw them (a drip-feed once); a provider's
count every order it was sent, the runs of a drip-feed included.
"""

from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, delete, extract, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from panel.models import Order, OrderStatus, QualityFigures, Refill, RefillStatus

WINDOW = timedelta(days=30)
SERVICE, PROVIDER = "service", "provider"
PLACES = Decimal("0.0001")


async def refresh(session: AsyncSession, now: datetime) -> int:
    """Recompute every figure; returns how many subjects have figures."""
    computed = [
        *await _figures(session, SERVICE, Order.service_id, Order.parent_id.is_(None), now),
        *await _figures(session, PROVIDER, Order.provider_id, Order.provider_id.is_not(None), now),
    ]
    await session.execute(delete(QualityFigures))
    session.add_all(computed)
    await session.flush()
    return len(computed)


async def figures_of(
    session: AsyncSession, subject: str, ids: Sequence[int] | None = None
) -> dict[int, QualityFigures]:
    query = select(QualityFigures).where(QualityFigures.subject == subject)
    if ids is not None:
        query = query.where(QualityFigures.subject_id.in_(ids))
    return {figures.subject_id: figures for figures in await session.scalars(query)}


def _median_seconds(start: Any, end: Any, condition: ColumnElement[bool]) -> ColumnElement[Any]:
    seconds = extract("epoch", end - start)
    return func.percentile_cont(0.5).within_group(seconds).filter(condition)


async def _figures(
    session: AsyncSession,
    subject: str,
    key: Any,
    which: ColumnElement[bool],
    now: datetime,
) -> list[QualityFigures]:
    since = now - WINDOW
    finished = (
        select(
            key.label("id"),
            func.count().label("orders"),
            func.count().filter(Order.status == OrderStatus.completed).label("completed"),
            func.count().filter(Order.status == OrderStatus.partial).label("partial"),
            func.count()
            .filter(Order.status.in_([OrderStatus.canceled, OrderStatus.failed]))
            .label("canceled"),
            _median_seconds(
                Order.submitted_at, Order.started_at, Order.started_at.is_not(None)
            ).label("start"),
            _median_seconds(
                Order.submitted_at,
                Order.finished_at,
                (Order.status == OrderStatus.completed) & Order.submitted_at.is_not(None),
            ).label("complete"),
        )
        .where(which, Order.finished_at >= since, key.is_not(None))
        .group_by(key)
    )
    refills = (
        select(
            key.label("id"),
            func.count().label("refills"),
            func.count().filter(Refill.status == RefillStatus.completed).label("refilled"),
        )
        .join(Order, Order.id == Refill.order_id)
        .where(
            which,
            Refill.status.in_([RefillStatus.completed, RefillStatus.rejected]),
            Refill.updated_at >= since,
            key.is_not(None),
        )
        .group_by(key)
    )
    ended = {row.id: row for row in await session.execute(finished)}
    refilled = {row.id: row for row in await session.execute(refills)}
    made = []
    for subject_id in sorted(set(ended) | set(refilled)):
        row, refill = ended.get(subject_id), refilled.get(subject_id)
        orders = row.orders if row else 0
        made.append(
            QualityFigures(
                subject=subject,
                subject_id=subject_id,
                computed_at=now,
                orders=orders,
                completion_rate=_rate(row.completed, orders) if row else None,
                partial_rate=_rate(row.partial, orders) if row else None,
                cancel_rate=_rate(row.canceled, orders) if row else None,
                median_start_s=_whole(row.start) if row else None,
                median_complete_s=_whole(row.complete) if row else None,
                refills=refill.refills if refill else 0,
                refill_success_rate=_rate(refill.refilled, refill.refills) if refill else None,
            )
        )
    return made


def _rate(part: int, whole: int) -> Decimal | None:
    return (Decimal(part) / Decimal(whole)).quantize(PLACES) if whole else None


def _whole(seconds: float | None) -> int | None:
    return None if seconds is None else round(seconds)
