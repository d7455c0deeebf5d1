"""The ledger's invariants, checked against the whole database. Any breach is a bug or
tampering: it is reported loudly, never repaired silently."""

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from panel.ledger.accounts import CLEARING, FX
from panel.models import (
    TERMINAL,
    Deposit,
    DepositStatus,
    Entry,
    Journal,
    JournalKind,
    LedgerAccount,
    Order,
)


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
    deposit has one."""
    breaches: list[Breach] = []

    unbalanced = await session.execute(
        select(Journal.id, func.coalesce(func.sum(Entry.amount), 0), func.count(Entry.id))
        .outerjoin(Entry, Entry.journal_id == Journal.id)
        .group_by(Journal.id)
        .having((func.coalesce(func.sum(Entry.amount), 0) != 0) | (func.count(Entry.id) < 2))
    )
    for journal_id, total, count in unbalanced:
        breaches.append(
            Breach("journal_zero_sum", f"journal:{journal_id}", f"sum {total} over {count} entries")
        )

    summed = (
        select(Entry.ledger_account_id, func.sum(Entry.amount).label("total"))
        .group_by(Entry.ledger_account_id)
        .subquery()
    )
    wallets = await session.execute(
        select(LedgerAccount.code, LedgerAccount.balance, func.coalesce(summed.c.total, 0))
        .outerjoin(summed, summed.c.ledger_account_id == LedgerAccount.id)
        .where(LedgerAccount.balance.is_not(None))
        .where(
            (LedgerAccount.balance != func.coalesce(summed.c.total, 0))
            | (LedgerAccount.balance < 0)
        )
    )
    for code, cached, total in wallets:
        invariant = "wallet_not_negative" if cached < 0 else "cached_equals_summed"
        breaches.append(Breach(invariant, code, f"cached {cached}, entries sum to {total}"))

    held = await session.scalar(
        select(func.coalesce(func.sum(Entry.amount), 0))
        .join(LedgerAccount, LedgerAccount.id == Entry.ledger_account_id)
        .where(LedgerAccount.code == CLEARING)
    )
    owed = await session.scalar(
        select(func.coalesce(func.sum(Order.charge), 0)).where(Order.status.not_in(TERMINAL))
    )
    if held != owed:
        breaches.append(
            Breach("clearing_equals_open_orders", CLEARING, f"holds {held}, open orders {owed}")
        )

    # An exchange difference only arises where a provider's cost was converted: anything else
    # on `fx` is money moved out of sight of the margin reports.
    stray = await session.execute(
        select(Journal.id, Entry.amount)
        .join(Entry, Entry.journal_id == Journal.id)
        .join(LedgerAccount, LedgerAccount.id == Entry.ledger_account_id)
        .outerjoin(Order, Order.id == Journal.order_id)
        .where(
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
        .where(Deposit.journal_id.is_not(None))
        .group_by(Deposit.journal_id)
        .subquery()
    )
    uncaused = await session.execute(
        select(Journal.id, func.coalesce(credits.c.deposits, 0))
        .outerjoin(credits, credits.c.journal_id == Journal.id)
        .where(Journal.kind == JournalKind.deposit)
        .where(func.coalesce(credits.c.deposits, 0) != 1)
    )
    for journal_id, deposits in uncaused:
        breaches.append(
            Breach("deposit_credited_once", f"journal:{journal_id}", f"{deposits} deposits")
        )
    uncredited = await session.scalars(
        select(Deposit.id).where(Deposit.status == DepositStatus.paid, Deposit.journal_id.is_(None))
    )
    for deposit_id in uncredited:
        breaches.append(Breach("deposit_credited_once", f"deposit:{deposit_id}", "no journal"))
    return breaches
