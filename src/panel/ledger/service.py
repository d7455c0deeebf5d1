"""Posting journals: the one way money moves in Pasok.

Every movement is a journal whose entries sum to zero, written in the caller's transaction.
A wallet can never go below zero: its cached balance is changed by one conditional UPDATE per
wallet, in wallet id order so that concurrent transfers in opposite directions cannot deadlock.
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Integer,
    Numeric,
    String,
    Text,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from panel.db import arrays_as_rows
from panel.errors import InsufficientFunds, Invalid
from panel.ledger import accounts
from panel.models import Account, AccountKind, Base, Entry, Journal, JournalKind, LedgerAccount
from panel.money import PLACES

# The tables themselves, for Core inserts.
JOURNAL = Base.metadata.tables["journal"]
ENTRY = Base.metadata.tables["entry"]

# NUMERIC(20, 6) holds up to 14 whole digits.
MAX_BALANCE = Decimal("99999999999999.999999")


@dataclass(frozen=True)
class Leg:
    ledger_account_id: int
    amount: Decimal  # positive credits the account, negative debits it


@dataclass(frozen=True)
class Posting:
    """A journal to write: why, who, which order, and its legs."""

    kind: JournalKind
    reason: str
    legs: Sequence[Leg]
    actor_id: int | None = None
    order_id: int | None = None


async def post(
    session: AsyncSession,
    *,
    kind: JournalKind,
    reason: str,
    legs: Sequence[Leg],
    actor_id: int | None = None,
    order_id: int | None = None,
) -> Journal:
    """Write one balanced journal and move the cached wallet balances with it."""
    [journal_id] = await post_many(session, [Posting(kind, reason, legs, actor_id, order_id)])
    return await session.get_one(Journal, journal_id)


async def post_many(session: AsyncSession, postings: Sequence[Posting]) -> list[int]:
    """Write balanced journals together (the poller settles thousands at once): each wallet's
    balance moves once by the sum of its legs, then all journals and entries are inserted in
    two statements. Returns the journal ids in the order given."""
    for posting in postings:
        _check_balanced(posting.legs)
        if not posting.reason.strip():
            raise Invalid("a reason is required")
    await _move_wallets(session, [leg for posting in postings for leg in posting.legs])
    # Ids are drawn first so journals and entries can each go in as one INSERT from arrays:
    # a few parameters however many rows, where a row-by-row insert costs more than the rows.
    journal_ids = list(
        await session.scalars(
            select(func.nextval("journal_id_seq")).select_from(
                func.generate_series(1, len(postings))
            )
        )
    )
    await session.execute(
        insert(JOURNAL).from_select(
            ["id", "kind", "reason", "actor_id", "order_id"],
            select(
                *arrays_as_rows(
                    (journal_ids, BigInteger()),
                    ([p.kind.value for p in postings], String()),
                    ([p.reason for p in postings], Text()),
                    ([p.actor_id for p in postings], Integer()),
                    ([p.order_id for p in postings], BigInteger()),
                ).c
            ),
        )
    )
    legs = [
        (journal_id, leg)
        for journal_id, posting in zip(journal_ids, postings, strict=True)
        for leg in posting.legs
    ]
    await session.execute(
        insert(ENTRY).from_select(
            ["journal_id", "ledger_account_id", "amount"],
            select(
                *arrays_as_rows(
                    ([journal_id for journal_id, _ in legs], BigInteger()),
                    ([leg.ledger_account_id for _, leg in legs], Integer()),
                    ([leg.amount for _, leg in legs], Numeric(20, 6)),
                ).c
            ),
        )
    )
    return journal_ids


def _check_balanced(legs: Sequence[Leg]) -> None:
    if len(legs) < 2:
        raise Invalid("a journal needs at least two entries")
    for leg in legs:
        if leg.amount == 0 or not -MAX_BALANCE <= leg.amount <= MAX_BALANCE:
            raise Invalid(f"entry amount {leg.amount} must be non-zero and fit NUMERIC(20, 6)")
        if leg.amount.quantize(PLACES) != leg.amount:
            raise Invalid(f"entry amount {leg.amount} has more than 6 decimals")
    if sum(leg.amount for leg in legs) != 0:
        raise Invalid("journal entries do not sum to zero")


async def _move_wallets(session: AsyncSession, legs: Iterable[Leg]) -> None:
    deltas: dict[int, Decimal] = defaultdict(Decimal)
    for leg in legs:
        deltas[leg.ledger_account_id] += leg.amount
    wallet_ids = set(
        await session.scalars(
            select(LedgerAccount.id).where(
                LedgerAccount.id.in_(deltas), LedgerAccount.balance.is_not(None)
            )
        )
    )
    for ledger_account_id in sorted(wallet_ids):
        delta = deltas[ledger_account_id]
        if delta == 0:
            continue
        moved = await session.scalar(
            update(LedgerAccount)
            .where(
                LedgerAccount.id == ledger_account_id,
                LedgerAccount.balance + delta >= 0,
                LedgerAccount.balance + delta <= MAX_BALANCE,
            )
            .values(balance=LedgerAccount.balance + delta)
            # Returning the row refreshes any copy this session already holds, so a caller
            # that loaded the wallet before posting reads the new balance, not the old one.
            .returning(LedgerAccount)
            .execution_options(synchronize_session=False, populate_existing=True)
        )
        if moved is None and delta > 0:
            raise Invalid("the balance would exceed the largest amount a wallet holds")
        if moved is None:
            raise InsufficientFunds(
                "Not enough funds on balance", ledger_account_id=ledger_account_id
            )


def _positive(amount: Decimal) -> Decimal:
    if amount <= 0:
        raise Invalid("amount must be greater than zero")
    return amount


async def top_up(
    session: AsyncSession, account_id: int, amount: Decimal, reason: str, actor_id: int | None
) -> Journal:
    """Money paid into the panel lands in the account's wallet."""
    return await _from_outside(
        session, JournalKind.topup, account_id, _positive(amount), reason, actor_id
    )


async def adjust(
    session: AsyncSession, account_id: int, amount: Decimal, reason: str, actor_id: int | None
) -> Journal:
    """An operator's correction, either way; a debit cannot take the wallet below zero."""
    if amount == 0:
        raise Invalid("amount must not be zero")
    return await _from_outside(
        session, JournalKind.adjustment, account_id, amount, reason, actor_id
    )


async def _from_outside(
    session: AsyncSession,
    kind: JournalKind,
    account_id: int,
    amount: Decimal,
    reason: str,
    actor_id: int | None,
) -> Journal:
    """Move `amount` between the outside world and a wallet (negative: out of the wallet)."""
    wallet = await accounts.wallet_of(session, account_id)
    external = await accounts.system(session, accounts.EXTERNAL)
    return await post(
        session,
        kind=kind,
        reason=reason,
        actor_id=actor_id,
        legs=[Leg(external, -amount), Leg(wallet.id, amount)],
    )


async def fund_agency(
    session: AsyncSession, agency_id: int, amount: Decimal, reason: str, actor_id: int | None
) -> Journal:
    """A reseller moves money from its own wallet into one of its agencies' wallets."""
    agency = await session.get(Account, agency_id)
    if agency is None or agency.kind is not AccountKind.agency or agency.parent_id is None:
        raise Invalid(f"account {agency_id} is not an agency")
    reseller_wallet = await accounts.wallet_of(session, agency.parent_id)
    agency_wallet = await accounts.wallet_of(session, agency.id)
    amount = _positive(amount)
    return await post(
        session,
        kind=JournalKind.agency_funding,
        reason=reason,
        actor_id=actor_id,
        legs=[Leg(reseller_wallet.id, -amount), Leg(agency_wallet.id, amount)],
    )


async def balance(session: AsyncSession, account_id: int) -> Decimal:
    wallet = await accounts.wallet_of(session, account_id)
    assert wallet.balance is not None
    return wallet.balance


async def balances(session: AsyncSession, account_ids: Sequence[int]) -> dict[int, Decimal]:
    """The wallet balance of each of `account_ids` that has a wallet."""
    rows = await session.execute(
        select(LedgerAccount.owner_id, LedgerAccount.balance).where(
            LedgerAccount.owner_id.in_(account_ids), LedgerAccount.balance.is_not(None)
        )
    )
    return {owner: balance for owner, balance in rows if owner is not None and balance is not None}


@dataclass(frozen=True)
class StatementLine:
    entry_id: int
    journal_id: int
    kind: JournalKind
    reason: str
    order_id: int | None
    amount: Decimal
    balance_after: Decimal
    created_at: datetime


async def statement(
    session: AsyncSession, account_id: int, *, before: int | None = None, limit: int = 100
) -> list[StatementLine]:
    """A wallet's entries, newest first, each with the balance it left behind."""
    wallet = await accounts.wallet_of(session, account_id)
    running = (
        select(
            Entry.id,
            Entry.journal_id,
            Entry.amount,
            Entry.created_at,
            func.sum(Entry.amount).over(order_by=Entry.id).label("balance_after"),
        )
        .where(Entry.ledger_account_id == wallet.id)
        .subquery()
    )
    query = (
        select(running, Journal.kind, Journal.reason, Journal.order_id)
        .join(Journal, Journal.id == running.c.journal_id)
        .order_by(running.c.id.desc())
        .limit(limit)
    )
    if before is not None:
        query = query.where(running.c.id < before)
    rows = (await session.execute(query)).all()
    return [
        StatementLine(
            entry_id=row.id,
            journal_id=row.journal_id,
            kind=row.kind,
            reason=row.reason,
            order_id=row.order_id,
            amount=row.amount,
            balance_after=row.balance_after,
            created_at=row.created_at,
        )
        for row in rows
    ]
