"""The connection pool without a ping before each checkout: when the server drops connections
(a restart, a failover), one transaction fails and the pool starts afresh. A session that
never began a transaction is not made to begin one at its end, and one that holds something is
closed however its block ends."""

import asyncio

import pytest
from sqlalchemy import event, inspect, select, text

from panel.ledger import accounts
from panel.models import LedgerAccount
from panel.plumbing.db import (
    ConnectionLost,
    commit_begun,
    create_engine,
    create_sessionmaker,
    transaction,
)

POOL = 4


async def test_dropped_connections_fail_one_transaction_not_one_each(database_url: str) -> None:
    engine = create_engine(database_url, pool_size=POOL)
    sessionmaker = create_sessionmaker(engine)
    try:
        # Fill the pool: POOL connections open at once, then all returned to it.
        sessions = [sessionmaker() for _ in range(POOL)]
        pids = [await session.scalar(text("SELECT pg_backend_pid()")) for session in sessions]
        for session in sessions:
            await session.close()
        assert len(set(pids)) == POOL

        killer = create_engine(database_url, pool_size=1)
        async with killer.connect() as connection:
            for pid in pids:
                await connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        await killer.dispose()

        lost: list[ConnectionLost] = []
        for _ in range(POOL + 2):
            try:
                async with transaction(sessionmaker) as session:
                    assert await session.scalar(text("SELECT 1")) == 1
            except ConnectionLost as error:
                lost.append(error)
        # One failure, and known not to have committed: safe to run again.
        assert [error.may_have_committed for error in lost] == [False]
    finally:
        await engine.dispose()


async def test_only_a_begun_transaction_is_committed(database_url: str) -> None:
    engine = create_engine(database_url, pool_size=1)
    begun: list[object] = []
    try:
        async with create_sessionmaker(engine)() as session:
            event.listen(session.sync_session, "after_begin", lambda *args: begun.append(args))
            await commit_begun(session)
            assert begun == []
            assert not session.in_transaction()

            await session.execute(text("CREATE TEMP TABLE kept (n int) ON COMMIT DROP"))
            await commit_begun(session)
            assert len(begun) == 1
            assert not session.in_transaction()
            # Committed: ON COMMIT DROP has dropped the table.
            gone = await session.scalar(text("SELECT to_regclass('pg_temp.kept') IS NULL"))
            assert gone is True
    finally:
        await engine.dispose()


async def test_a_transaction_closes_its_session_whichever_way_it_ends(database_url: str) -> None:
    engine = create_engine(database_url, pool_size=2)
    sessionmaker = create_sessionmaker(engine)
    clearing = select(LedgerAccount).where(LedgerAccount.code == accounts.CLEARING)
    try:
        async with transaction(sessionmaker) as session:
            committed = await session.scalar(clearing)
        held: list[LedgerAccount | None] = []

        async def refused() -> None:
            async with transaction(sessionmaker) as session:
                held.append(await session.scalar(clearing))
                raise ValueError("refused")

        with pytest.raises(ValueError, match="refused"):
            await refused()

        async def cut_short() -> None:
            async with transaction(sessionmaker) as session:
                await session.execute(text("SELECT pg_sleep(5)"))

        task = asyncio.create_task(cut_short())
        while engine.pool.checkedout() == 0:  # type: ignore[attr-defined]
            await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

        # Closed: what each session held is detached, and every connection is back.
        assert inspect(committed).detached
        assert inspect(held[0]).detached
        assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    finally:
        await engine.dispose()
