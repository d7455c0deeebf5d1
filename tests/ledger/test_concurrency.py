"""The ledger under real concurrency: many connections, each movement its own committed
transaction, against one PostgreSQL."""

import asyncio
from collections import Counter
from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from panel.accounts import service as accounts
from panel.errors import InsufficientFunds
from panel.ledger import accounts as ledger_accounts
from panel.ledger import service as ledger
from panel.ledger.audit import audit
from panel.ledger.service import Leg, post
from panel.models import AccountKind, JournalKind

# The engine's pool holds 20 connections plus 20 overflow; keep a few free for the sampler and
# the checks, so that no task waits for the pool's timeout instead of for PostgreSQL.
CONCURRENCY = 30

# A wallet's cached balance and the sum of its entries, read in one snapshot.
SAMPLE = text(
    "SELECT la.balance, "
    "(SELECT COALESCE(SUM(amount), 0) FROM entry WHERE ledger_account_id = la.id) "
    "FROM ledger_account la WHERE la.id = :id"
)


async def _wallet(committed: async_sessionmaker[AsyncSession], funds: Decimal) -> tuple[int, int]:
    """A reseller whose wallet holds `funds`: (account id, wallet ledger account id)."""
    async with committed.begin() as session:
        reseller = await accounts.create(session, kind=AccountKind.reseller, name="R")
        if funds:
            await ledger.top_up(session, reseller.id, funds, "bank transfer", None)
        wallet = await ledger_accounts.wallet_of(session, reseller.id)
        return reseller.id, wallet.id


async def test_concurrent_debits_never_overdraw(
    committed: async_sessionmaker[AsyncSession],
) -> None:
    price = Decimal("1.234567")
    account_id, wallet = await _wallet(committed, price * 50)
    async with committed() as session:
        clearing = await ledger_accounts.system(session, ledger_accounts.REVENUE)

    gate = asyncio.Semaphore(CONCURRENCY)

    async def debit(n: int) -> str:
        async with gate, committed() as session:
            try:
                await post(
                    session,
                    kind=JournalKind.order,
                    reason=f"order {n}",
                    legs=[Leg(wallet, -price), Leg(clearing, price)],
                )
                await session.commit()
            except InsufficientFunds as refused:
                await session.rollback()
                return f"refused {refused.extra}"
            return "ok"

    # The table's CHECK (balance >= 0) already refuses a negative cached balance, but only as an
    # IntegrityError at the moment of the write, and only for the cached column: an outside
    # reader is what shows the balance and the sum of entries (which no constraint guards) stay
    # equal and non-negative at every committed point, while the debits race.
    samples: list[tuple[Decimal, Decimal]] = []
    done = asyncio.Event()

    async def sample() -> None:
        async with committed() as session:
            while not done.is_set():
                row = (await session.execute(SAMPLE, {"id": wallet})).one()
                samples.append((row[0], row[1]))
                await session.rollback()  # a fresh snapshot for the next read
                await asyncio.sleep(0)

    sampler = asyncio.create_task(sample())
    try:
        outcomes = Counter(await asyncio.gather(*(debit(n) for n in range(1, 201))))
    finally:
        done.set()
        await sampler

    assert outcomes == {"ok": 50, f"refused {{'ledger_account_id': {wallet}}}": 150}
    assert len(samples) >= 5, "the sampler never ran alongside the debits"
    assert [s for s in samples if s[0] < 0 or s[1] < 0] == []
    assert [s for s in samples if s[0] != s[1]] == []
    # It saw the wallet somewhere between full and empty, not only at one end.
    assert any(0 < cached < price * 50 for cached, _ in samples)
    async with committed() as session:
        assert await ledger.balance(session, account_id) == 0
        assert (await session.execute(SAMPLE, {"id": wallet})).one() == (0, 0)
        debits = await session.scalar(
            text("SELECT count(*) FROM entry WHERE ledger_account_id = :id AND amount < 0"),
            {"id": wallet},
        )
        assert debits == 50
        assert await audit(session) == []


# A thousand commits serialised on two rows: 7 to 10 s on two cores.
@pytest.mark.slow
async def test_opposite_transfers_do_not_deadlock(
    committed: async_sessionmaker[AsyncSession],
) -> None:
    amount = Decimal("0.100001")
    rounds = 500
    funds = amount * rounds  # enough for every transfer one way to run before any back
    a_id, a = await _wallet(committed, funds)
    b_id, b = await _wallet(committed, funds)
    gate = asyncio.Semaphore(CONCURRENCY)

    # Wallet to wallet between two resellers: not agency funding, so an operator's adjustment.
    async def transfer(source: int, target: int, n: int) -> None:
        async with gate, committed() as session:
            await post(
                session,
                kind=JournalKind.adjustment,
                reason=f"transfer {n}",
                legs=[Leg(source, -amount), Leg(target, amount)],
            )
            await session.commit()

    tasks = [
        asyncio.create_task(transfer(a, b, n) if n % 2 else transfer(b, a, n))
        for n in range(2 * rounds)
    ]
    # PostgreSQL breaks each deadlock after deadlock_timeout (1 s) by failing one of its
    # transactions: a ledger that locks wallets in leg order shows up below as hundreds of
    # "deadlock detected" errors. The timeout only keeps such a run from taking minutes.
    async with asyncio.timeout(120):
        results = await asyncio.gather(*tasks, return_exceptions=True)

    failures = [repr(r) for r in results if isinstance(r, BaseException)]
    assert failures == []
    async with committed() as session:
        assert await ledger.balance(session, a_id) == funds
        assert await ledger.balance(session, b_id) == funds
        legs = await session.execute(
            text(
                "SELECT e.ledger_account_id, sign(e.amount), count(*) FROM entry e "
                "JOIN journal j ON j.id = e.journal_id "
                "WHERE j.kind = 'adjustment' AND e.ledger_account_id IN (:a, :b) "
                "GROUP BY 1, 2"
            ),
            {"a": a, "b": b},
        )
        assert sorted(tuple(row) for row in legs) == [
            (a, -1, rounds),
            (a, 1, rounds),
            (b, -1, rounds),
            (b, 1, rounds),
        ]
        assert await audit(session) == []
