"""Complaint rates: tickets per 100 orders over the last 30 days, by reason and in all, for
each service and each provider, refreshed beside the quality figures and shown with them.

A ticket counts once against each service (and provider) of its orders, however many of that
service's orders it names. The orders are counted as the quality figures count them: those
that finished in the window, a service's as its buyers saw them (a drip-feed once), a
provider's every order it was sent. A subject with no such orders has no rate (there is
nothing to divide by), however many tickets name it."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from panel.catalogue.quality import PROVIDER, SERVICE, WINDOW
from panel.models import ComplaintFigures, Order, Ticket, TicketOrder, TicketReason

ALL = "all"
PLACES = Decimal("0.0001")
REASONS = tuple(reason.value for reason in TicketReason)


@dataclass(frozen=True)
class Complaints:
    """One subject's rates: `per_100` in all, and for every reason (0 with no such ticket)."""

    orders: int
    tickets: int
    per_100: Decimal
    by_reason: dict[str, Decimal]
    computed_at: datetime


async def refresh(session: AsyncSession, now: datetime) -> int:
    """Recompute every rate; returns how many subjects have one."""
    computed: list[ComplaintFigures] = []
    subjects = 0
    for subject, order_key, which, ticket_key in (
        (SERVICE, Order.service_id, Order.parent_id.is_(None), TicketOrder.service_id),
        (PROVIDER, Order.provider_id, Order.provider_id.is_not(None), TicketOrder.provider_id),
    ):
        orders = await _orders(session, order_key, which, now)
        tickets = await _tickets(session, ticket_key, now)
        for subject_id, count in sorted(orders.items()):
            subjects += 1
            counts = tickets.get(subject_id, {})
            for reason in (ALL, *sorted(r for r in counts if r != ALL)):
                computed.append(
                    ComplaintFigures(
                        subject=subject,
                        subject_id=subject_id,
                        reason=reason,
                        tickets=counts.get(reason, 0),
                        orders=count,
                        per_100=_per_100(counts.get(reason, 0), count),
                        computed_at=now,
                    )
                )
    await session.execute(delete(ComplaintFigures))
    session.add_all(computed)
    await session.flush()
    return subjects


async def figures_of(
    session: AsyncSession, subject: str, ids: Sequence[int] | None = None
) -> dict[int, Complaints]:
    query = select(ComplaintFigures).where(ComplaintFigures.subject == subject)
    if ids is not None:
        query = query.where(ComplaintFigures.subject_id.in_(ids))
    rows: dict[int, list[ComplaintFigures]] = {}
    for row in await session.scalars(query):
        rows.setdefault(row.subject_id, []).append(row)
    found = {}
    for subject_id, figures in rows.items():
        by_reason = {row.reason: row for row in figures}
        total = by_reason.get(ALL)
        if total is None:
            continue
        found[subject_id] = Complaints(
            orders=total.orders,
            tickets=total.tickets,
            per_100=total.per_100,
            by_reason={
                reason: by_reason[reason].per_100 if reason in by_reason else Decimal(0)
                for reason in REASONS
            },
            computed_at=total.computed_at,
        )
    return found


async def _orders(
    session: AsyncSession, key: Any, which: ColumnElement[bool], now: datetime
) -> dict[int, int]:
    counted = await session.execute(
        select(key, func.count())
        .where(which, Order.finished_at >= now - WINDOW, key.is_not(None))
        .group_by(key)
    )
    return {subject_id: count for subject_id, count in counted}


async def _tickets(session: AsyncSession, key: Any, now: datetime) -> dict[int, dict[str, int]]:
    """Tickets opened in the window, per subject: by reason, and in all."""
    counted = await session.execute(
        select(key, Ticket.reason, func.count(func.distinct(Ticket.id)))
        .join(Ticket, Ticket.id == TicketOrder.ticket_id)
        .where(Ticket.created_at >= now - WINDOW, key.is_not(None))
        .group_by(key, Ticket.reason)
    )
    found: dict[int, dict[str, int]] = {}
    for subject_id, reason, count in counted:
        counts = found.setdefault(subject_id, {})
        counts[reason.value] = count
        # A ticket has one reason: the reasons' counts add up to the distinct tickets.
        counts[ALL] = counts.get(ALL, 0) + count
    return found


def _per_100(tickets: int, orders: int) -> Decimal:
    return (Decimal(tickets) * 100 / Decimal(orders)).quantize(PLACES)
