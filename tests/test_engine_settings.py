"""Every connection says which process it is and bounds its statements: PostgreSQL shows the
name in pg_stat_activity and cancels a statement past the timeout."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from panel.plumbing.db import create_engine


async def test_a_connection_is_named_and_a_runaway_statement_is_cancelled(
    database_url: str,
) -> None:
    engine = create_engine(database_url, pool_size=1, name="pasok-test", statement_timeout_s=0.3)
    try:
        async with engine.connect() as connection:
            shown = await connection.scalar(
                text("SELECT application_name FROM pg_stat_activity WHERE pid = pg_backend_pid()")
            )
            assert shown == "pasok-test"
            assert await connection.scalar(text("SHOW statement_timeout")) == "300ms"
            with pytest.raises(DBAPIError, match="statement timeout"):
                await connection.execute(text("SELECT pg_sleep(2)"))
    finally:
        await engine.dispose()
