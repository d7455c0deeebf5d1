"""What a reseller earns on its agencies' orders, read from the ledger.

An agency's order moves money twice: the agency's whole charge into `clearing` when it is
accepted (journal `order`), and when it ends the settlement journal refunds the agency its
undelivered share and credits the reseller's wallet with its margin on what was delivered
(see `panel.orders.settlement`). So, per settled order: what the agency paid, refunds
deducted, is the sum of the agency's wallet entries in both journals; the margin is the
reseller's wallet entry in the settlement; and what the reseller paid, refunds deducted, is
the difference. An order still open has earned nothing yet and is left out; it counts from
the day it settles.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, FunctionElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from panel.models import Account, Entry, Journal, JournalKind, LedgerAccount, Order
from panel.orders.service import seen_by

# The periods shown: the last 7 days, the last 30, and all time (None).
WINDOWS: tuple[int | None, ...] = (7, 30, None)
ZERO = Decimal(0)


@dataclass(frozen=True)
class Figures:
    orders: int  # settled in the period
    agencies_paid: Decimal
    reseller_paid: Decimal
    margin: Decimal


NONE = Figures(0, ZERO, ZERO, ZERO)


@dataclass(frozen=True)
class Margins:
    total: dict[int | None, Figures]  # by window
    by_agency: dict[int, dict[int | None, Figures]]  # agency id -> by window


async def margins(session: AsyncSession, reseller: Account, now: datetime) -> Margins:
    """The reseller's margin on its agencies' settled orders, for each of `WINDOWS` up to
    `now`, in total and by agency: one query, summed by the database."""
    wallet_owner = LedgerAccount.owner_id
    # One row per settled order of an agency: what the agency paid net, and the margin.
    per_order = (
        select(
            Order.account_id.label("agency_id"),
            func.max(Journal.created_at)
            .filter(Journal.kind == JournalKind.settlement)
            .label("settled_at"),
            (
                -func.coalesce(func.sum(Entry.amount).filter(wallet_owner == Order.account_id), 0)
            ).label("paid"),
            func.coalesce(
                func.sum(Entry.amount).filter(wallet_owner == Order.reseller_id), 0
            ).label("margin"),
        )
        .select_from(Order)
        .join(Journal, Journal.order_id == Order.id)
        .join(Entry, Entry.journal_id == Journal.id)
        .join(LedgerAccount, LedgerAccount.id == Entry.ledger_account_id)
        .where(
            seen_by(reseller),
            Order.account_id != reseller.id,
            Journal.kind.in_((JournalKind.order, JournalKind.settlement)),
        )
        .group_by(Order.id)
        .having(func.bool_or(Journal.kind == JournalKind.settlement))
        .subquery()
    )
    columns: list[ColumnElement[Any]] = []
    for days in WINDOWS:
        # No upper bound: an order settled a moment ago by a clock a little ahead of this
        # process's still counts.
        since = [per_order.c.settled_at >= now - timedelta(days=days)] if days else []
        columns += [
            _within(func.count(), since),
            func.coalesce(_within(func.sum(per_order.c.paid), since), 0),
            func.coalesce(_within(func.sum(per_order.c.margin), since), 0),
        ]
    # ROLLUP adds the total over all agencies as the row whose agency is NULL.
    rows = await session.execute(
        select(per_order.c.agency_id, *columns).group_by(func.rollup(per_order.c.agency_id))
    )
    total: dict[int | None, Figures] = dict.fromkeys(WINDOWS, NONE)
    by_agency: dict[int, dict[int | None, Figures]] = {}
    for agency_id, *sums in rows:
        figures = {
            days: Figures(
                orders=sums[3 * n],
                agencies_paid=sums[3 * n + 1],
                reseller_paid=sums[3 * n + 1] - sums[3 * n + 2],
                margin=sums[3 * n + 2],
            )
            for n, days in enumerate(WINDOWS)
        }
        if agency_id is None:
            total = figures
        else:
            by_agency[agency_id] = figures
    return Margins(total, by_agency)


def _within(
    aggregate: FunctionElement[Any], conditions: list[ColumnElement[bool]]
) -> ColumnElement[Any]:
    return aggregate.filter(*conditions) if conditions else aggregate
