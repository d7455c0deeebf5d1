"""Margin reports: what the panel earned, read from the settlement journals.

An order's money is booked once, when it settles: the upstream's cost to `provider:<id>` and
the panel's share to `revenue`. So for any period and any grouping, cost is the sum of the
provider legs, margin the sum of the revenue legs, and revenue (what resellers paid the panel,
refunds deducted) their sum. A drip-feed Pasok ran itself books each run's cost when the run
settles and the order's margin when the order does; both carry the order's service and
reseller. Tiers are the resellers' tiers now.

Where a provider charges in another currency, its cost is booked in the panel's currency at
the exchange rate in force at settlement, and any move of that rate since the order was sent
is on `fx` (so revenue = cost + margin + fx). Beside it, each line carries what the providers
charged in their own currencies: their rates for what was delivered.

Days are UTC days of the settlement journals, summed by `ledger.settled_days`: a report costs
the days it covers (a row per reseller, buyer, service and provider that settled anything on
each), not the journals and entries behind them.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from panel.errors import Invalid
from panel.ledger import settled_days
from panel.models import Account, Provider, Service, Tier

LONGEST = timedelta(days=366)  # the longest period a report covers
DEFAULT_DAYS = 30


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
    fx: Decimal = Decimal(0)  # exchange gains (positive) and losses
    # What the providers charged in their own currencies, by currency code.
    provider_costs: dict[str, Decimal] = field(default_factory=dict)


async def between(session: AsyncSession, by: Grouping, first: date, after: date) -> list[Line]:
    """One line per group for the journals settled on the UTC days [first, after), ordered
    by key. Read from the settled-day roll-up and the journals after its checkpoint."""
    settled = settled_days.rows(first, after)
    reseller = Account.__table__.alias("reseller")
    keys: dict[Grouping, Any] = {
        Grouping.day: settled.c.day,
        Grouping.provider: settled.c.provider_id,
        Grouping.service: settled.c.service_id,
        Grouping.tier: reseller.c.tier_id,
        Grouping.reseller: settled.c.reseller_id,
    }
    key = keys[by].label("key")
    grouped = settled.join(reseller, reseller.c.id == settled.c.reseller_id)
    rows = await session.execute(
        select(
            key,
            func.sum(settled.c.orders),
            func.sum(settled.c.cost),
            func.sum(settled.c.margin),
            func.sum(settled.c.fx),
        )
        .select_from(grouped)
        .group_by(key)
        # A group is a line once one of its settlements earned or cost the panel something.
        .having(func.sum(settled.c.booked) > 0)
        .order_by(key)
    )
    lines = [
        Line(
            key=_shown(value),
            orders=int(orders),
            revenue=cost_sum + margin_sum + fx_sum,
            cost=cost_sum,
            margin=margin_sum,
            fx=fx_sum,
        )
        for value, orders, cost_sum, margin_sum, fx_sum in rows
    ]
    by_key = {line.key: line for line in lines}
    # Per group and provider currency: the providers' rates for what was delivered (orders
    # sent before currencies were recorded have none).
    costs = await session.execute(
        select(key, settled.c.currency, func.sum(settled.c.provider_cost))
        .select_from(grouped)
        .where(settled.c.currency.is_not(None))
        .group_by(key, settled.c.currency)
    )
    for value, currency, amount in costs:
        line = by_key.get(_shown(value))
        if line is not None:
            line.provider_costs[currency] = amount
    return lines


def period(start: date | None, end: date | None, today: date) -> tuple[date, date]:
    """The days a report covers, [first, after): `after` is tomorrow and `first` 30 days
    before it unless given. Refused (`Invalid`): backwards, empty, or longer than 366 days."""
    after = end or today + timedelta(days=1)
    try:
        first = start or after - timedelta(days=DEFAULT_DAYS)
    except OverflowError:  # an `end` in the first month of year 1
        raise Invalid("end is too early for a report") from None
    if not first < after:
        raise Invalid("start must come before end")
    if after - first > LONGEST:
        raise Invalid("a report covers at most 366 days")
    return first, after


def total(lines: list[Line]) -> Line:
    """The lines added up (key None)."""
    zero = Decimal(0)
    provider_costs: dict[str, Decimal] = {}
    for line in lines:
        for currency, amount in line.provider_costs.items():
            provider_costs[currency] = provider_costs.get(currency, zero) + amount
    return Line(
        key=None,
        orders=sum(line.orders for line in lines),
        revenue=sum((line.revenue for line in lines), zero),
        cost=sum((line.cost for line in lines), zero),
        margin=sum((line.margin for line in lines), zero),
        fx=sum((line.fx for line in lines), zero),
        provider_costs=provider_costs,
    )


async def group_names(session: AsyncSession, by: Grouping, lines: list[Line]) -> dict[str, str]:
    """What each line's key names, for people: the provider's, service's, tier's or reseller's
    name (a day is its own name)."""
    tables: dict[Grouping, Any] = {
        Grouping.provider: Provider,
        Grouping.service: Service,
        Grouping.tier: Tier,
        Grouping.reseller: Account,
    }
    keys = {line.key for line in lines if line.key is not None}
    if by is Grouping.day or not keys:
        return {key: key for key in keys}
    table = tables[by]
    rows = await session.execute(
        select(table.id, table.name).where(table.id.in_([int(key) for key in keys]))
    )
    return {str(row_id): name for row_id, name in rows}


def _shown(value: object) -> str | None:
    if value is None:
        return None
    return value.isoformat() if isinstance(value, date) else str(value)
