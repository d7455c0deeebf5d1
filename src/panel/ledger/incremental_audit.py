"""The ledger audit at the cost of what changed since its last run, not of the years behind it.

A checkpoint names the last entry and the last journal checked; `audit_mark` keeps each ledger
account's entries up to that entry, summed once. A run checks:

- every journal after the checkpoint, and every older journal that gained an entry since
  (entries are append-only, so that is the only way an old journal can change), as the full
  audit checks journals;
- every wallet's cached balance against its mark plus its entries since, and `clearing` (its
  mark plus its entries since) against the charges of the open orders: each account costs one
  row and its new entries, however long its history;
- deposits marked paid without a journal.

The checkpoint then moves to the newest entry and journal older than `SETTLED`: a transaction
open longer than that could still commit rows with lower ids, which a checkpoint past them
would never see. It does not move while anything is breached, so every run reports a breach
until someone deals with it. `audit.audit` still checks everything, on demand and on a slow
schedule.
"""

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, func, literal_column, select, text, union, union_all
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import InvalidRequestError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from panel.ledger.accounts import CLEARING
from panel.ledger.audit import (
    Breach,
    audit,
    clearing_breaches,
    deposit_breaches,
    journal_breaches,
    wallet_breaches,
)
from panel.models import AuditCheckpoint, AuditMark, Entry, Journal, LedgerAccount

SETTLED = timedelta(minutes=5)


async def incremental_audit(session: AsyncSession, now: datetime) -> list[Breach]:
    """Check what changed since the checkpoint and move it on; the breaches found."""
    checkpoint = await session.get(AuditCheckpoint, 1, with_for_update=True)
    if checkpoint is None:
        # The first run has no checkpoint: it reads everything once, then never again.
        checkpoint = AuditCheckpoint(id=1, journal_id=0, entry_id=0, checked_at=now)
        session.add(checkpoint)
    entry_id, journal_id = checkpoint.entry_id, checkpoint.journal_id
    # The journals after the checkpoint and those that gained an entry since, as one set of
    # ids, each part read by its own index: as `id > X OR id IN (...)` PostgreSQL would test
    # the condition on every journal of the history.
    in_scope = union(
        select(Journal.id.label("id")).where(Journal.id > journal_id),
        select(Entry.journal_id).where(Entry.id > entry_id),
    ).subquery()

    def scope(column: Any) -> ColumnElement[bool]:
        within: ColumnElement[bool] = column.in_(select(in_scope.c.id))
        return within

    recent = (
        select(Entry.ledger_account_id, func.sum(Entry.amount).label("total"))
        .where(Entry.id > entry_id)
        .group_by(Entry.ledger_account_id)
    )
    totals = (
        select(
            literal_column("ledger_account_id").label("account_id"),
            func.sum(literal_column("total")).label("total"),
        )
        .select_from(
            union_all(select(AuditMark.ledger_account_id, AuditMark.total), recent).subquery()
        )
        .group_by(literal_column("ledger_account_id"))
        .subquery()
    )
    held = await session.scalar(
        select(func.coalesce(totals.c.total, 0))
        .select_from(LedgerAccount)
        .outerjoin(totals, totals.c.account_id == LedgerAccount.id)
        .where(LedgerAccount.code == CLEARING)
    )
    breaches = (
        await journal_breaches(session, scope)
        + await wallet_breaches(session, totals.c.account_id, totals.c.total, totals)
        + await clearing_breaches(session, held or Decimal(0))
        + await deposit_breaches(session)
    )
    if not breaches:
        await _move(session, checkpoint, now)
    return breaches


async def _move(session: AsyncSession, checkpoint: AuditCheckpoint, now: datetime) -> None:
    horizon = now - SETTLED
    last_entry = await session.scalar(
        select(func.max(Entry.id)).where(Entry.id > checkpoint.entry_id, Entry.created_at < horizon)
    )
    last_journal = await session.scalar(
        select(func.max(Journal.id)).where(
            Journal.id > checkpoint.journal_id, Journal.created_at < horizon
        )
    )
    if last_entry is not None:
        # Added to the marks in one statement: the sums of the entries the checkpoint passes.
        passed = (
            select(Entry.ledger_account_id, func.sum(Entry.amount))
            .where(Entry.id > checkpoint.entry_id, Entry.id <= last_entry)
            .group_by(Entry.ledger_account_id)
        )
        added = insert(AuditMark).from_select(["ledger_account_id", "total"], passed)
        await session.execute(
            added.on_conflict_do_update(
                index_elements=[AuditMark.ledger_account_id],
                set_={"total": AuditMark.total + added.excluded.total},
            )
        )
        checkpoint.entry_id = last_entry
    if last_journal is not None:
        checkpoint.journal_id = last_journal
    checkpoint.checked_at = now
    await session.flush()


async def run(
    sessionmaker: async_sessionmaker[AsyncSession], now: datetime, *, full: bool = False
) -> list[Breach]:
    """One audit, incremental or `full`, in one snapshot: a transfer committing while it runs
    cannot look like a breach."""
    async with sessionmaker() as session, session.begin():
        try:
            await session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        except InvalidRequestError:
            # The session joined a transaction its caller had begun (a test's, a script's):
            # the audit reads within that transaction, as its caller sees the ledger.
            pass
        if full:
            # All of history, on purpose: as long as it takes, this transaction only.
            await session.execute(text("SET LOCAL statement_timeout = 0"))
            return await audit(session)
        return await incremental_audit(session, now)
