"""The ledger audit against a real database: clean after ordinary activity, loud on tampering;
and the append-only trigger on journals and entries."""

from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from panel.accounts import service as accounts
from panel.ledger import accounts as ledger_accounts
from panel.ledger import service as ledger
from panel.ledger.audit import Breach, audit
from panel.ledger.service import Leg, post
from panel.models import Account, AccountKind, JournalKind


async def _activity(session: AsyncSession) -> tuple[Account, Account]:
    """A reseller and its agency after a little of everything the ledger does."""
    reseller = await accounts.create(session, kind=AccountKind.reseller, name="R")
    agency = await accounts.create(
        session, kind=AccountKind.agency, name="A", parent_id=reseller.id
    )
    await ledger.top_up(session, reseller.id, Decimal("100"), "bank transfer", None)
    await ledger.adjust(session, reseller.id, Decimal("-0.000001"), "rounding correction", None)
    await ledger.adjust(session, reseller.id, Decimal("2.5"), "goodwill", None)
    await ledger.fund_agency(session, agency.id, Decimal("40"), "monthly budget", None)
    wallet = (await ledger_accounts.wallet_of(session, agency.id)).id
    clearing = await ledger_accounts.system(session, ledger_accounts.EXTERNAL)
    revenue = await ledger_accounts.system(session, ledger_accounts.REVENUE)
    await post(
        session,
        kind=JournalKind.order,
        reason="order 1",
        legs=[Leg(wallet, Decimal("-12.345678")), Leg(clearing, Decimal("12.345678"))],
    )
    await post(
        session,
        kind=JournalKind.refund,
        reason="order 1 partial",
        legs=[Leg(clearing, Decimal("-2.345678")), Leg(wallet, Decimal("2.345678"))],
    )
    await post(
        session,
        kind=JournalKind.settlement,
        reason="order 1 completed",
        legs=[Leg(clearing, Decimal("-10")), Leg(revenue, Decimal("10"))],
    )
    return reseller, agency


async def test_audit_is_clean_after_activity(session: AsyncSession) -> None:
    assert await audit(session) == []
    reseller, agency = await _activity(session)
    assert await ledger.balance(session, reseller.id) == Decimal("62.499999")
    assert await ledger.balance(session, agency.id) == Decimal("30")
    assert await audit(session) == []


async def test_audit_reports_a_tampered_cached_balance(session: AsyncSession) -> None:
    _, agency = await _activity(session)
    await session.execute(
        text("UPDATE ledger_account SET balance = balance + 0.000001 WHERE owner_id = :id"),
        {"id": agency.id},
    )
    assert await audit(session) == [
        Breach(
            "cached_equals_summed",
            f"wallet:{agency.id}",
            "cached 30.000001, entries sum to 30.000000",
        )
    ]


async def test_audit_reports_a_wallet_without_entries_but_with_a_balance(
    session: AsyncSession,
) -> None:
    reseller = await accounts.create(session, kind=AccountKind.reseller, name="R")
    await session.execute(
        text("UPDATE ledger_account SET balance = 5 WHERE owner_id = :id"), {"id": reseller.id}
    )
    assert [(b.invariant, b.subject) for b in await audit(session)] == [
        ("cached_equals_summed", f"wallet:{reseller.id}")
    ]


async def _raw_journal(session: AsyncSession, legs: list[tuple[int, Decimal]]) -> int:
    """A journal written straight into the tables, past every check `post` makes."""
    journal_id = await session.scalar(
        text("INSERT INTO journal (kind, reason) VALUES ('adjustment', 'raw') RETURNING id")
    )
    assert journal_id is not None
    for ledger_account_id, amount in legs:
        await session.execute(
            text("INSERT INTO entry (journal_id, ledger_account_id, amount) VALUES (:j, :a, :x)"),
            {"j": journal_id, "a": ledger_account_id, "x": amount},
        )
    return int(journal_id)


async def test_audit_reports_an_unbalanced_journal(session: AsyncSession) -> None:
    await _activity(session)
    external = await ledger_accounts.system(session, ledger_accounts.EXTERNAL)
    revenue = await ledger_accounts.system(session, ledger_accounts.REVENUE)
    # System accounts only, so that no wallet's cached balance disagrees as well.
    journal_id = await _raw_journal(
        session, [(external, Decimal("-4.000001")), (revenue, Decimal("4"))]
    )
    assert await audit(session) == [
        Breach("journal_zero_sum", f"journal:{journal_id}", "sum -0.000001 over 2 entries")
    ]


async def test_audit_reports_journals_with_fewer_than_two_entries(
    session: AsyncSession,
) -> None:
    external = await ledger_accounts.system(session, ledger_accounts.EXTERNAL)
    empty = await _raw_journal(session, [])
    single = await _raw_journal(session, [(external, Decimal("3"))])
    breaches = sorted(await audit(session), key=lambda b: b.subject)
    assert [(b.invariant, b.subject) for b in breaches] == sorted(
        [("journal_zero_sum", f"journal:{empty}"), ("journal_zero_sum", f"journal:{single}")],
        key=lambda pair: pair[1],
    )


async def test_audit_reports_a_wallet_entry_written_around_post(session: AsyncSession) -> None:
    """An entry that moved money into a wallet without its cached balance following: both the
    journal and the wallet disagree."""
    reseller, _ = await _activity(session)
    wallet = (await ledger_accounts.wallet_of(session, reseller.id)).id
    journal_id = await _raw_journal(session, [(wallet, Decimal("1"))])
    found = {(b.invariant, b.subject) for b in await audit(session)}
    assert found == {
        ("journal_zero_sum", f"journal:{journal_id}"),
        ("cached_equals_summed", f"wallet:{reseller.id}"),
    }


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE entry SET amount = amount * 2 WHERE journal_id = :j",
        "UPDATE entry SET ledger_account_id = ledger_account_id WHERE journal_id = :j",
        "DELETE FROM entry WHERE journal_id = :j",
        "UPDATE journal SET reason = 'rewritten' WHERE id = :j",
        "UPDATE journal SET order_id = 99 WHERE id = :j",
        "DELETE FROM journal WHERE id = :j",
    ],
)
async def test_journals_and_entries_are_append_only(session: AsyncSession, statement: str) -> None:
    reseller = await accounts.create(session, kind=AccountKind.reseller, name="R")
    journal = await ledger.top_up(session, reseller.id, Decimal("7"), "bank transfer", None)
    snapshot = "SELECT ledger_account_id, amount FROM entry WHERE journal_id = :j ORDER BY id"
    entries = (await session.execute(text(snapshot), {"j": journal.id})).all()
    assert len(entries) == 2

    with pytest.raises(DBAPIError, match="append-only"):
        async with session.begin_nested():
            await session.execute(text(statement), {"j": journal.id})

    assert (await session.execute(text(snapshot), {"j": journal.id})).all() == entries
    reason = await session.scalar(
        text("SELECT reason FROM journal WHERE id = :j"), {"j": journal.id}
    )
    assert reason == "bank transfer"
    assert await audit(session) == []
