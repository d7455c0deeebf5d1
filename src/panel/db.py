"""Database engine and sessions: one transaction per request or job, committed by its owner."""

from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, any_, func, literal
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql.selectable import TableValuedAlias
from sqlalchemy.types import TypeEngine


def async_url(url: str) -> str:
    """Normalise a PostgreSQL URL to the asyncpg driver, whatever scheme the operator wrote."""
    for prefix in (
        "postgresql+asyncpg://",
        "postgresql+psycopg://",
        "postgresql://",
        "postgres://",
    ):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    raise ValueError("database URL must be a postgresql:// URL")


def create_engine(url: str, *, pool_size: int = 10) -> AsyncEngine:
    # No ping before each checkout: it is a round trip on every request (8% of an API v2 call
    # that reads one row). A connection the server dropped fails the one transaction that
    # finds out, which rolls back like any failure; that failure invalidates every pooled
    # connection made before it, so after a database restart one request fails, not one per
    # pooled connection.
    return create_async_engine(
        async_url(url),
        pool_size=pool_size,
        max_overflow=pool_size,
    )


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    # expire_on_commit=False: services return ORM rows that handlers serialise after commit.
    return async_sessionmaker(engine, expire_on_commit=False)


@asynccontextmanager
async def transaction(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    """A session that commits when the block succeeds and rolls back when it raises."""
    session = sessionmaker()
    try:
        yield session
    except BaseException:
        await session.rollback()
        raise
    else:
        await commit_begun(session)
    finally:
        # Closing a session that holds no transaction and no objects does nothing, yet costs
        # a task and a greenlet: a tenth of the CPU of an API v2 `add` answered from what it
        # keeps. Otherwise the session's own exit closes it, which finishes even if this task
        # is cancelled meanwhile, so a connection cannot be lost on its way back to the pool.
        if session.in_transaction() or session.identity_map:
            async with session:
                pass


async def commit_begun(session: AsyncSession) -> None:
    """Commit if the session began a transaction: a session that read only from what API v2
    keeps never did, and committing it would begin one just to end it."""
    if session.in_transaction():
        await session.commit()


def one_of(
    column: ColumnElement[int] | InstrumentedAttribute[int], ids: Iterable[int]
) -> ColumnElement[bool]:
    """`column = ANY($1)` with the ids as one array parameter: an `IN` list compiles one
    parameter per id, which costs more than the query itself for thousands of ids."""
    return column == any_(literal(list(ids), ARRAY(BigInteger)))


def arrays_as_rows(*columns: tuple[Sequence[Any], TypeEngine[Any]]) -> TableValuedAlias:
    """Rows from parallel arrays (`unnest`), columns named c0, c1, ...: thousands of rows
    travel as one parameter per column."""
    names = [f"c{number}" for number in range(len(columns))]
    arrays = [literal(list(values), ARRAY(type_)) for values, type_ in columns]
    return func.unnest(*arrays).table_valued(*names).render_derived(with_types=False)
