"""The ledger's invariants, checked against the whole database. Any breach is a bug or
tampering: it is reported loudly, never repaired silently."""

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, func, select, text, true
from sqlalchemy.ext.asyncio import AsyncSession

from panel.ledger.accounts import CLEARING, FX
from panel.models import (
    Deposit,
    DepositStatus,
    Entry,
    Journal,
    JournalKind,
    LedgerAccount,
    Order,
    VoucherUse,
)
from panel.models.order import OPEN_SQL


@dataclass(frozen=True)
class Breach:
    invariant: str
    subject: str
    detail: str


async def audit(session: AsyncSession) -> list[Breach]:
    """Every journal sums to zero and has two entries or more; every wallet's cached balance
    equals the sum of its entries and is not negative; `clearing` holds exactly the charges of
    the orders still open; `fx` moves only in the settlement of an order that recorded an
    exchange rate; a deposit journal belongs to exactly one credited deposit, and a credited
    deposit has one. Reads the whole history: `incremental_audit` checks what came since its
    last run."""
    summed = (
        select(Entry.ledger_account_id, func.sum(Entry.amount).label("total"))
        .group_by(Entry.ledger_account_id)
        .subquery()
    )
    held = await session.scalar(
        select(func.coalesce(func.sum(Entry.amount), 0))
        .join(LedgerAccount, LedgerAccount.id == Entry.ledger_account_id)
        .where(LedgerAccount.code == CLEARING)
    )
    return (
        await journal_breaches(session, lambda journal_id: true())
        + await wallet_breaches(session, summed.c.ledger_account_id, summed.c.total, summed)
        + await clearing_breaches(session, held or Decimal(0))
        + await deposit_breaches(session)
    )


Scope = Callable[[Any], ColumnElement[bool]]  # which journals, as a condition on a journal id


async def journal_breaches(session: AsyncSession, scope: Scope) -> list[Breach]:
    """The invariants of single journals, for the journals in `scope`: each sums to zero over
    two entries or more, moves `fx` only in a converted settlement, and is a deposit journal
    only for the one deposit it credited."""
    breaches: list[Breach] = []
    unbalanced = await session.execute(
        select(Journal.id, func.coalesce(func.sum(Entry.amount), 0), func.count(Entry.id))
        .outerjoin(Entry, Entry.journal_id == Journal.id)
        .where(scope(Journal.id))
        .group_by(Journal.id)
        .having((func.coalesce(func.sum(Entry.amount), 0) != 0) | (func.count(Entry.id) < 2))
    )
    for journal_id, total, count in unbalanced:
        breaches.append(
            Breach("journal_zero_sum", f"journal:{journal_id}", f"sum {total} over {count} entries")
        )
    # An exchange difference only arises where a provider's cost was converted: anything else
    # on `fx` is money moved out of sight of the margin reports.
    stray = await session.execute(
        select(Journal.id, Entry.amount)
        .join(Entry, Entry.journal_id == Journal.id)
        .join(LedgerAccount, LedgerAccount.id == Entry.ledger_account_id)
        .outerjoin(Order, Order.id == Journal.order_id)
        .where(
            scope(Journal.id),
            LedgerAccount.code == FX,
            (Journal.kind != JournalKind.settlement) | Order.exchange_rate.is_(None),
        )
    )
    for journal_id, amount in stray:
        breaches.append(
            Breach("fx_only_on_converted_settlements", f"journal:{journal_id}", f"fx {amount}")
        )
    # A deposit is credited once: one journal per paid deposit, and no deposit journal without
    # the deposit that caused it.
    credits = (
        select(Deposit.journal_id, func.count().label("deposits"))
        .where(Deposit.journal_id.is_not(None), scope(Deposit.journal_id))
        .group_by(Deposit.journal_id)
        .subquery()
    )
    uncaused = await session.execute(
        select(Journal.id, func.coalesce(credits.c.deposits, 0))
        .outerjoin(credits, credits.c.journal_id == Journal.id)
        .where(scope(Journal.id), Journal.kind == JournalKind.deposit)
        .where(func.coalesce(credits.c.deposits, 0) != 1)
    )
    for journal_id, deposits in uncaused:
        breaches.append(
            Breach("deposit_credited_once", f"journal:{journal_id}", f"{deposits} deposits")
        )
    return breaches


async def wallet_breaches(
    session: AsyncSession, account_id: Any, total: Any, totals: Any
) -> list[Breach]:
    """Wallets whose cached balance is not `total` (their entries' sum, from `totals` joined
    on `account_id`), or is negative."""
    summed = func.coalesce(total, 0)
    wallets = await session.execute(
        select(LedgerAccount.code, LedgerAccount.balance, summed)
        .outerjoin(totals, account_id == LedgerAccount.id)
        .where(LedgerAccount.balance.is_not(None))
        .where((LedgerAccount.balance != summed) | (LedgerAccount.balance < 0))
    )
    breaches = []
    for code, cached, entries in wallets:
        invariant = "wallet_not_negative" if cached < 0 else "cached_equals_summed"
        breaches.append(Breach(invariant, code, f"cached {cached}, entries sum to {entries}"))
    return breaches


async def clearing_breaches(session: AsyncSession, held: Decimal) -> list[Breach]:
    """`clearing`, holding `held`, against what the orders still open paid into it: each
    buyer's charge, and the discount a reseller paid for its agency's voucher."""
    owed = await session.scalar(
        select(func.coalesce(func.sum(Order.charge + func.coalesce(VoucherUse.funded, 0)), 0))
        .select_from(Order)
        .outerjoin(VoucherUse, VoucherUse.order_id == Order.id)
        # Written out, so that the open orders are read through their partial index rather
        # than the whole history's orders.
        .where(text(OPEN_SQL))
    )
    if held != owed:
        return [
            Breach("clearing_equals_open_orders", CLEARING, f"holds {held}, open orders {owed}")
        ]
    return []


async def deposit_breaches(session: AsyncSession) -> list[Breach]:
    """Deposits marked paid that no journal credited."""
    uncredited = await session.scalars(
        select(Deposit.id).where(Deposit.status == DepositStatus.paid, Deposit.journal_id.is_(None))
    )
    return [Breach("deposit_credited_once", f"deposit:{d}", "no journal") for d in uncredited]
