"""Posting journals: the one way money moves in Pasok.

Every movement is a journal whose entries sum to zero, written in the caller's transaction.
A wallet can never go below zero: its cached balance is changed by one conditional UPDATE per
wallet, in wallet id order so that concurrent transfers in opposite directions cannot deadlock.
"""

from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from panel import action_log
from panel.errors import InsufficientFunds, Invalid
from panel.ledger import accounts
from panel.models import Account, AccountKind, Entry, Journal, JournalKind, LedgerAccount
from panel.money import PLACES

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
    """Write balanced journals in one statement, each wallet moved once by the sum of its legs;
    the journal ids in the order given. A wallet that would go below zero refuses them all
    (InsufficientFunds, or Invalid past what it can hold): the caller must roll back."""
    # Wallets that did move before the refusal stay moved in the caller's transaction, which
    # rolls back (or back to a savepoint) as it does for any failure. The poller settles
    # thousands of orders at once through here.
    for posting in postings:
        _check_balanced(posting.legs)
        if not posting.reason.strip():
            raise Invalid("a reason is required")
    deltas: dict[int, Decimal] = defaultdict(Decimal)
    for posting in postings:
        for leg in posting.legs:
            deltas[leg.ledger_account_id] += leg.amount
    moving = {account_id: delta for account_id, delta in deltas.items() if delta != 0}
    legs = [(number, leg) for number, posting in enumerate(postings) for leg in posting.legs]
    rows = await session.execute(
        _POST,
        {
            "ids": list(moving),
            "deltas": list(moving.values()),
            "most": MAX_BALANCE,
            "kinds": [posting.kind.value for posting in postings],
            "reasons": [posting.reason for posting in postings],
            "actors": [posting.actor_id for posting in postings],
            "orders": [posting.order_id for posting in postings],
            "leg_postings": [number for number, _ in legs],
            "leg_accounts": [leg.ledger_account_id for _, leg in legs],
            "leg_amounts": [leg.amount for _, leg in legs],
        },
    )
    journal_ids = []
    for is_wallet, row_id, balance, moved, _ in rows:
        if not is_wallet:
            journal_ids.append(row_id)
            continue
        if not moved and moving[row_id] > 0:
            raise Invalid("the balance would exceed the largest amount a wallet holds")
        if not moved:
            raise InsufficientFunds("Not enough funds on balance", ledger_account_id=row_id)
        # A copy of the wallet this session already holds shows the new balance, not the old.
        held = session.identity_map.get(identity_key(LedgerAccount, row_id))
        if held is not None:
            set_committed_value(held, "balance", balance)
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


# One round trip for a whole posting, however many journals: the fewer trips while a wallet is
# locked, the sooner the next order of the same buyer can lock it.
#
# Every wallet among the legs is locked in id order (ORDER BY under a row lock locks in that
# order), so transfers in opposite directions cannot deadlock. The lock is the one an UPDATE
# takes, NO KEY UPDATE, which lets other transactions' entries reference the wallet meanwhile
# (their foreign key takes KEY SHARE). Each then moves by its delta unless that would take it
# below zero or past what NUMERIC(20, 6) holds; accounts without a cached balance (the
# system's) are not wallets and are left alone. If any wallet refused, no journal is written.
# Journals and entries travel as one array per column; journal ids are drawn from the
# sequence in the order the postings were given (WITH ORDINALITY), so each entry finds its
# journal without a second query. The answer: one row per wallet (whether it moved), then
# one per journal, in the order given.
_POST = text("""
WITH delta AS (
    SELECT * FROM unnest(CAST(:ids AS integer[]), CAST(:deltas AS numeric[])) AS d(id, delta)
),
locked AS MATERIALIZED (
    SELECT ledger_account.id, ledger_account.balance + delta.delta AS after
    FROM ledger_account JOIN delta USING (id)
    WHERE ledger_account.balance IS NOT NULL
    ORDER BY ledger_account.id
    FOR NO KEY UPDATE OF ledger_account
),
moved AS (
    UPDATE ledger_account SET balance = locked.after
    FROM locked
    WHERE ledger_account.id = locked.id AND locked.after BETWEEN 0 AND :most
    RETURNING ledger_account.id
),
wallet AS MATERIALIZED (
    SELECT locked.id, locked.after, moved.id IS NOT NULL AS moved
    FROM locked LEFT JOIN moved USING (id)
),
posting AS MATERIALIZED (
    SELECT nextval('journal_id_seq') AS id, p.*
    FROM unnest(CAST(:kinds AS text[]), CAST(:reasons AS text[]), CAST(:actors AS integer[]),
                CAST(:orders AS bigint[])) WITH ORDINALITY AS p(kind, reason, actor_id, order_id, n)
    WHERE NOT EXISTS (SELECT FROM wallet WHERE NOT wallet.moved)
),
journals AS (
    INSERT INTO journal (id, kind, reason, actor_id, order_id)
    SELECT id, kind, reason, actor_id, order_id FROM posting
),
entries AS (
    INSERT INTO entry (journal_id, ledger_account_id, amount)
    SELECT posting.id, leg.ledger_account_id, leg.amount
    FROM unnest(CAST(:leg_postings AS bigint[]), CAST(:leg_accounts AS integer[]),
                CAST(:leg_amounts AS numeric[])) AS leg(n, ledger_account_id, amount)
    JOIN posting ON posting.n = leg.n + 1
)
SELECT true, id, after, moved, 0 AS n FROM wallet
UNION ALL
SELECT false, id, NULL, NULL, n FROM posting
ORDER BY 1 DESC, 5
""")


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
    wallet, external = await accounts.wallet_and_system(session, account_id, accounts.EXTERNAL)
    return await post(
        session,
        kind=kind,
        reason=reason,
        actor_id=actor_id,
        legs=[Leg(external, -amount), Leg(wallet, amount)],
    )


async def top_up_by(
    session: AsyncSession, actor_id: int, account_id: int, amount: Decimal, reason: str
) -> Journal:
    """An operator's top-up, in the action log with the balance before and after."""
    return await _logged(session, actor_id, "money.top_up", account_id, amount, reason, top_up)


async def adjust_by(
    session: AsyncSession, actor_id: int, account_id: int, amount: Decimal, reason: str
) -> Journal:
    """An operator's adjustment, in the action log with the balance before and after."""
    return await _logged(session, actor_id, "money.adjust", account_id, amount, reason, adjust)


async def _logged(
    session: AsyncSession,
    actor_id: int,
    action: str,
    account_id: int,
    amount: Decimal,
    reason: str,
    move: Callable[[AsyncSession, int, Decimal, str, int | None], Awaitable[Journal]],
) -> Journal:
    before = await balance(session, account_id)
    journal = await move(session, account_id, amount, reason, actor_id)
    after = await balance(session, account_id)
    await action_log.record(
        session,
        actor_id,
        action,
        "account",
        account_id,
        before={"balance": before},
        after={"balance": after, "amount": amount, "journal_id": journal.id},
        note=reason,
    )
    return journal


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
    """A wallet's entries, newest first, each with the balance it left behind: the wallet's
    balance less what every later entry moved. One statement, so the balance and the entries
    are of one moment; what it reads grows with how far back the page is, not with the whole
    history of the wallet (a busy reseller's runs to millions of entries a year)."""
    wallet = await accounts.wallet_of(session, account_id)
    page = select(Entry.id, Entry.journal_id, Entry.amount, Entry.created_at).where(
        Entry.ledger_account_id == wallet.id
    )
    if before is not None:
        page = page.where(Entry.id < before)
    lines = page.order_by(Entry.id.desc()).limit(limit).subquery()
    balance = select(LedgerAccount.balance).where(LedgerAccount.id == wallet.id)
    # What moved after the page's newest line (nothing, on the first page) ...
    after_page = select(func.coalesce(func.sum(Entry.amount), 0)).where(
        Entry.ledger_account_id == wallet.id,
        Entry.id > select(func.max(lines.c.id)).scalar_subquery(),
    )
    # ... and after each line within the page.
    after_line = func.coalesce(
        func.sum(lines.c.amount).over(order_by=lines.c.id.desc(), rows=(None, -1)), 0
    )
    left = balance.scalar_subquery() - after_page.scalar_subquery() - after_line
    query = (
        select(lines, left.label("balance_after"), Journal.kind, Journal.reason, Journal.order_id)
        .join(Journal, Journal.id == lines.c.journal_id)
        .order_by(lines.c.id.desc())
    )
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
