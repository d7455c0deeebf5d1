"""Margin reports: what the panel earned, read from the settlement journals.

An order's money is booked once, when it settles: the upstream's cost to `provider:<id>` and
the panel's share to `revenue`. So for any period and any grouping, cost is the sum of the
provider legs, margin the sum of the revenue legs, and revenue (what resellers paid the panel,
refunds deducted) their sum. A drip-feed Pasok ran itself books each run's cost when the run
settles and the order's margin when the order does; both carry the order's service and
reseller. Tiers are the resellers' tiers now.
"""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import Date, case, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from panel.ledger.accounts import REVENUE
from panel.models import (
    Account,
    Entry,
    Journal,
    JournalKind,
    LedgerAccount,
    LedgerAccountKind,
    Order,
)


class Grouping(StrEnum):
    day = "day"
    provider = "provider"
    service = "service"
    tier = "tier"
    reseller = "reseller"


@dataclass(frozen=True)
class Line:
    key: str | None  # the day (ISO date) or the id of what is grouped by; None: none
    orders: int  # orders settled in the period that earned or cost anything (a drip-feed once)
    revenue: Decimal
    cost: Decimal
    margin: Decimal


async def margins(
    session: AsyncSession, by: Grouping, start: datetime, end: datetime
) -> list[Line]:
    """One line per group for journals settled in [start, end), ordered by key."""
    reseller = Account.__table__.alias("reseller")
    keys: dict[Grouping, Any] = {
        Grouping.day: cast(func.date_trunc("day", Journal.created_at), Date),
        Grouping.provider: Order.provider_id,
        Grouping.service: Order.service_id,
        Grouping.tier: reseller.c.tier_id,
        Grouping.reseller: Order.reseller_id,
    }
    key = keys[by].label("key")
    margin = func.sum(case((LedgerAccount.code == REVENUE, Entry.amount), else_=0))
    cost = func.sum(case((LedgerAccount.kind == LedgerAccountKind.provider, Entry.amount), else_=0))
    settled = func.count(func.distinct(case((Order.parent_id.is_(None), Order.id))))
    rows = await session.execute(
        select(key, settled, cost, margin)
        .select_from(Entry)
        .join(Journal, Journal.id == Entry.journal_id)
        .join(LedgerAccount, LedgerAccount.id == Entry.ledger_account_id)
        .join(Order, Order.id == Journal.order_id)
        .join(reseller, reseller.c.id == Order.reseller_id)
        .where(
            Journal.kind == JournalKind.settlement,
            Journal.created_at >= start,
            Journal.created_at < end,
            (LedgerAccount.code == REVENUE) | (LedgerAccount.kind == LedgerAccountKind.provider),
        )
        .group_by(key)
        .order_by(key)
    )
    return [
        Line(
            key=_shown(value),
            orders=orders,
            revenue=cost_sum + margin_sum,
            cost=cost_sum,
            margin=margin_sum,
        )
        for value, orders, cost_sum, margin_sum in rows
    ]


def _shown(value: object) -> str | None:
    if value is None:
        return None
    return value.isoformat() if isinstance(value, date) else str(value)
