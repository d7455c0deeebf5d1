"""What each settlement journal settled, and those figures summed by UTC day, read exactly.

Every order's money closes in one settlement journal (`orders.settlement`): the buyer's refund,
the reseller's margin, the provider's cost, `fx`, and the panel's `revenue`. `journal_figures`
reads a set of such journals as one row each, keyed by the day it was posted (UTC), the order's
reseller, buyer, service, provider and provider currency:

- `booked`: it has a revenue, provider or fx leg (it earned or cost the panel something);
  `orders`: booked and the buyer's own order (a drip-feed's runs are not);
- `buyer_kept`: what the buyer paid (its charge) less the leg back to its wallet;
- `reseller_kept`: the reseller's own charge less its share of the refund, as
  `money.refund_for` rounds it (an agency's order moves no money of the reseller's until
  settlement, so this one is not a leg);
- `cost`, `margin`, `fx`: the provider, revenue and fx legs;
- `provider_cost`: the provider's rate for what was delivered, in its own currency.

`settled_day` keeps these summed for the journals up to the roll-up's checkpoint
(`ledger.rollup`). `rows` reads those days and adds the journals after the checkpoint straight
from the ledger, in one statement, so a reader's answer is the same as summing every journal
itself, whether the fold ran a second ago or never.
"""

from collections.abc import Sequence
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    Numeric,
    Select,
    Subquery,
    and_,
    case,
    cast,
    func,
    literal,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.orm import aliased

from panel.ledger.accounts import FX, REVENUE
from panel.models import (
    Entry,
    Journal,
    JournalKind,
    LedgerAccount,
    LedgerAccountKind,
    Order,
    OrderCharge,
    RollupCheckpoint,
    SettledDay,
)
from panel.money import PER

SCALE = 6  # money.PLACES
MICROS = 10**SCALE
MONEY = Numeric(20, 6)

KEYS = ("day", "reseller_id", "account_id", "service_id", "provider_id", "currency")
MEASURES = (
    "journals",
    "booked",
    "orders",
    "buyer_kept",
    "reseller_kept",
    "cost",
    "margin",
    "fx",
    "provider_cost",
)


def moment(day: date) -> datetime:
    """The first instant of a UTC day."""
    return datetime.combine(day, time(), tzinfo=UTC)


def _refund(charge: Any, remains: Any, quantity: Any) -> ColumnElement[Any]:
    """`money.refund_for` in SQL: the share of `charge` for `remains`, rounded down to six
    places. In whole millionths, so no division rounds before the truncation does."""
    share = func.div(charge * MICROS * remains, quantity) / MICROS
    return type_coerce(case((quantity > 0, share), else_=0), MONEY)


def journal_figures(which: ColumnElement[bool]) -> Select[Any]:
    """One row per settlement journal matching `which` (a condition on `Journal` and
    `Order`), with the `KEYS` and `MEASURES` columns."""
    panel_leg = (LedgerAccount.code.in_([REVENUE, FX])) | (
        LedgerAccount.kind == LedgerAccountKind.provider
    )

    def legs(condition: ColumnElement[bool]) -> ColumnElement[Any]:
        return func.coalesce(func.sum(case((condition, Entry.amount))), 0)

    per_journal = (
        select(
            Journal.created_at,
            Order.id.label("order_id"),
            Order.reseller_id,
            Order.account_id,
            Order.service_id,
            Order.provider_id,
            Order.parent_id,
            Order.quantity,
            Order.remains,
            Order.cost_rate,
            Order.cost_per_item,
            Order.provider_currency,
            legs(LedgerAccount.kind == LedgerAccountKind.provider).label("cost"),
            legs(LedgerAccount.code == REVENUE).label("margin"),
            legs(LedgerAccount.code == FX).label("fx"),
            legs(LedgerAccount.owner_id == Order.account_id).label("refunded"),
            func.bool_or(panel_leg).label("booked"),
        )
        .select_from(Journal)
        .join(Order, Order.id == Journal.order_id)
        .join(Entry, Entry.journal_id == Journal.id)
        .join(LedgerAccount, LedgerAccount.id == Entry.ledger_account_id)
        .where(Journal.kind == JournalKind.settlement, which)
        .group_by(Journal.id, Order.id)
        .subquery()
    )
    j = per_journal.c
    buyer, reseller = aliased(OrderCharge), aliased(OrderCharge)
    remains = func.coalesce(j.remains, 0)
    reseller_paid = func.coalesce(reseller.amount, 0)
    # What the provider charged for what was delivered, as settlement computes it
    # (`settlement.cost_for`: half-up, six places; PostgreSQL's round is half away from zero,
    # the same on these positive amounts).
    per = case((j.cost_per_item, 1), else_=PER)
    provider_cost = func.round(j.cost_rate * (j.quantity - remains) / per, SCALE)
    return (
        select(
            cast(func.timezone("UTC", j.created_at), Date).label("day"),
            j.reseller_id,
            j.account_id,
            j.service_id,
            j.provider_id,
            case((j.cost_rate.is_not(None), j.provider_currency)).label("currency"),
            literal(1).label("journals"),
            case((j.booked, 1), else_=0).label("booked"),
            case((j.booked & j.parent_id.is_(None), 1), else_=0).label("orders"),
            type_coerce(func.coalesce(buyer.amount, 0) - j.refunded, MONEY).label("buyer_kept"),
            type_coerce(reseller_paid - _refund(reseller_paid, remains, j.quantity), MONEY).label(
                "reseller_kept"
            ),
            type_coerce(j.cost, MONEY).label("cost"),
            type_coerce(j.margin, MONEY).label("margin"),
            type_coerce(j.fx, MONEY).label("fx"),
            type_coerce(case((j.cost_rate.is_not(None), provider_cost), else_=0), MONEY).label(
                "provider_cost"
            ),
        )
        .select_from(per_journal)
        .outerjoin(buyer, and_(buyer.order_id == j.order_id, buyer.account_id == j.account_id))
        .outerjoin(
            reseller, and_(reseller.order_id == j.order_id, reseller.account_id == j.reseller_id)
        )
    )


def checkpoint() -> ColumnElement[int]:
    """The last journal the roll-up holds (0: none), read in the reader's own statement."""
    return (
        select(func.coalesce(func.max(RollupCheckpoint.journal_id), 0))
        .where(RollupCheckpoint.id == 1)
        .scalar_subquery()
    )


def rows(
    first: date,
    after: date,
    *,
    resellers: Sequence[int] | None = None,
    buyers: Sequence[int] | None = None,
) -> Subquery:
    """The settled figures of the UTC days [first, after), with the `KEYS` and `MEASURES`
    columns: the roll-up's rows up to its checkpoint and one row per journal after it. Sum
    them as a reader needs; `resellers` and `buyers` narrow them to those accounts."""
    rolled = select(*(getattr(SettledDay, name) for name in KEYS + MEASURES)).where(
        SettledDay.day >= first, SettledDay.day < after
    )
    tail_only: list[ColumnElement[bool]] = [
        Journal.id > checkpoint(),
        Journal.created_at >= moment(first),
        Journal.created_at < moment(after),
    ]
    if resellers is not None:
        rolled = rolled.where(SettledDay.reseller_id.in_(resellers))
        tail_only.append(Order.reseller_id.in_(resellers))
    if buyers is not None:
        rolled = rolled.where(SettledDay.account_id.in_(buyers))
        tail_only.append(Order.account_id.in_(buyers))
    tail = journal_figures(and_(*tail_only))
    return union_all(rolled, tail).subquery("settled")
