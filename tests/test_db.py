"""The connection pool without a ping before each checkout: when the server drops connections
(a restart, a failover), one transaction fails and the pool starts afresh."""

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from panel.db import create_engine, create_sessionmaker, transaction

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

        failures = 0
        for _ in range(POOL + 2):
            try:
                async with transaction(sessionmaker) as session:
                    assert await session.scalar(text("SELECT 1")) == 1
            except DBAPIError:
                failures += 1
        assert failures == 1
    finally:
        await engine.dispose()
