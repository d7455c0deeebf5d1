"""The incremental ledger audit: it checks what came after its checkpoint, finds a breach
planted anywhere in that work, keeps each account's sum up to the checkpoint exact, and holds
its checkpoint while anything is breached."""

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from panel.accounts import service as accounts
from panel.ledger import service as ledger
from panel.ledger.incremental_audit import SETTLED, run
from panel.models import AccountKind, AuditCheckpoint, AuditMark, Entry

Plant = Callable[[AsyncSession, int], Awaitable[None]]
LATER = timedelta(minutes=1)


def _later() -> datetime:
    # Past the settling time, so the checkpoint may move over everything committed so far.
    return datetime.now(UTC) + SETTLED + LATER


async def _world(committed: async_sessionmaker[AsyncSession]) -> int:
    """A reseller topped up and funding an agency; the agency's id."""
    async with committed.begin() as session:
        reseller = await accounts.create(session, kind=AccountKind.reseller, name="R")
        agency = await accounts.create(
            session, kind=AccountKind.agency, name="A", parent_id=reseller.id
        )
        await ledger.top_up(session, reseller.id, Decimal("30"), "bank transfer", None)
        await ledger.fund_agency(session, agency.id, Decimal("12.5"), "funds", None)
        return agency.id


async def _journal(session: AsyncSession, kind: str = "adjustment") -> int:
    found = await session.scalar(
        text("INSERT INTO journal (kind, reason) VALUES (:kind, 'planted') RETURNING id"),
        {"kind": kind},
    )
    assert found is not None
    return int(found)


async def _entry(session: AsyncSession, journal_id: int, code: str, amount: str) -> None:
    await session.execute(
        text(
            "INSERT INTO entry (journal_id, ledger_account_id, amount) "
            "SELECT :journal, id, :amount FROM ledger_account WHERE code = :code"
        ),
        {"journal": journal_id, "code": code, "amount": Decimal(amount)},
    )


async def _unbalanced_journal(session: AsyncSession, agency_id: int) -> None:
    journal_id = await _journal(session)
    await _entry(session, journal_id, f"wallet:{agency_id}", "5")
    await session.execute(
        text("UPDATE ledger_account SET balance = balance + 5 WHERE owner_id = :id"),
        {"id": agency_id},
    )


async def _entry_in_an_old_journal(session: AsyncSession, agency_id: int) -> None:
    oldest = await session.scalar(text("SELECT min(id) FROM journal"))
    await _entry(session, int(oldest or 0), f"wallet:{agency_id}", "1")


async def _balance_without_entries(session: AsyncSession, agency_id: int) -> None:
    await session.execute(
        text("UPDATE ledger_account SET balance = balance + 1 WHERE owner_id = :id"),
        {"id": agency_id},
    )


async def _fx_outside_a_settlement(session: AsyncSession, agency_id: int) -> None:
    journal_id = await _journal(session)
    await _entry(session, journal_id, "fx", "2")
    await _entry(session, journal_id, "external", "-2")


async def _clearing_without_an_order(session: AsyncSession, agency_id: int) -> None:
    journal_id = await _journal(session)
    await _entry(session, journal_id, "clearing", "3")
    await _entry(session, journal_id, "external", "-3")


@pytest.mark.parametrize(
    ("plant", "invariants"),
    [
        (_unbalanced_journal, {"journal_zero_sum"}),
        (_entry_in_an_old_journal, {"journal_zero_sum", "cached_equals_summed"}),
        (_balance_without_entries, {"cached_equals_summed"}),
        (_fx_outside_a_settlement, {"fx_only_on_converted_settlements"}),
        (_clearing_without_an_order, {"clearing_equals_open_orders"}),
    ],
)
async def test_a_breach_planted_after_the_checkpoint_is_found_and_holds_it(
    committed: async_sessionmaker[AsyncSession], plant: Plant, invariants: set[str]
) -> None:
    agency_id = await _world(committed)
    assert await run(committed, _later()) == []
    async with committed() as session:
        before = await session.get_one(AuditCheckpoint, 1)
    async with committed.begin() as session:
        await ledger.top_up(session, agency_id, Decimal("1"), "more work", None)
        await plant(session, agency_id)

    found = await run(committed, _later())
    assert {breach.invariant for breach in found} == invariants
    # Held while breached: the next run reports it again.
    async with committed() as session:
        held = await session.get_one(AuditCheckpoint, 1)
        assert (held.entry_id, held.journal_id) == (before.entry_id, before.journal_id)
    assert {breach.invariant for breach in await run(committed, _later())} == invariants
    # The full audit agrees.
    assert {breach.invariant for breach in await run(committed, _later(), full=True)} >= invariants


async def test_marks_equal_the_sums_they_stand_for_and_recent_work_waits(
    committed: async_sessionmaker[AsyncSession],
) -> None:
    agency_id = await _world(committed)
    # Nothing is old enough yet: checked, but the checkpoint stays where it was.
    assert await run(committed, datetime.now(UTC)) == []
    async with committed() as session:
        assert (await session.get_one(AuditCheckpoint, 1)).entry_id == 0
    for step in range(3):
        async with committed.begin() as session:
            await ledger.top_up(session, agency_id, Decimal(step + 1), "work", None)
        assert await run(committed, _later()) == []
    async with committed() as session:
        checkpoint = await session.get_one(AuditCheckpoint, 1)
        assert checkpoint.entry_id == await session.scalar(select(func.max(Entry.id)))
        summed = dict(
            (
                await session.execute(
                    select(Entry.ledger_account_id, func.sum(Entry.amount))
                    .where(Entry.id <= checkpoint.entry_id)
                    .group_by(Entry.ledger_account_id)
                )
            ).all()
        )
        marks = dict(
            (await session.execute(select(AuditMark.ledger_account_id, AuditMark.total))).all()
        )
    assert marks == summed
    assert await run(committed, _later(), full=True) == []
