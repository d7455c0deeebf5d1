"""Database engine and sessions: one transaction per request or job, committed by its owner."""

from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, any_, func, literal
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import DBAPIError
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


def create_engine(
    url: str,
    *,
    pool_size: int = 10,
    name: str = "pasok",
    connect_timeout_s: float = 10.0,
    statement_timeout_s: float = 60.0,
) -> AsyncEngine:
    """`name` is the `application_name` PostgreSQL shows for these connections
    (pg_stat_activity), so an operator can tell the API's from the worker's. A connection
    that cannot be made in `connect_timeout_s` fails instead of hanging its request, and a
    statement running longer than `statement_timeout_s` is cancelled by the server (0: never),
    so one runaway query cannot hold a pooled connection and its locks for ever; a job that
    reads all history on purpose lifts it for its own transaction."""
    # No ping before each checkout: it is a round trip on every request (see bench/README.md).
    # A connection the server dropped fails the one transaction that finds out, which rolls
    # back like any failure; that failure invalidates every pooled connection made before it,
    # so after a database restart one request fails, not one per pooled connection.
    server_settings = {
        "application_name": name,
        "statement_timeout": str(int(statement_timeout_s * 1000)),
    }
    return create_async_engine(
        async_url(url),
        pool_size=pool_size,
        max_overflow=pool_size,
        connect_args={"server_settings": server_settings, "timeout": connect_timeout_s},
    )


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    # expire_on_commit=False: services return ORM rows that handlers serialise after commit.
    return async_sessionmaker(engine, expire_on_commit=False)


class ConnectionLost(Exception):
    """The connection to PostgreSQL broke under a transaction (the server restarted, or an
    administrator ended the backend). `may_have_committed` is False when the transaction
    cannot have committed, so running the same work again on a fresh connection is safe;
    True when the connection broke while COMMIT was on its way, so only work that checks
    what already happened may run again."""

    def __init__(self, may_have_committed: bool) -> None:
        super().__init__(
            "the database connection was lost "
            + ("during commit" if may_have_committed else "before commit")
        )
        self.may_have_committed = may_have_committed


def connection_lost(error: BaseException) -> bool:
    """Whether `error` is the connection breaking, rather than a statement being refused.
    SQLAlchemy has then already invalidated the pool, so the next checkout connects anew."""
    return isinstance(error, DBAPIError) and error.connection_invalidated


def _closed_before_sending(error: BaseException) -> bool:
    # asyncpg refuses to send anything on a connection it already knows is closed; the server
    # then never saw COMMIT and rolled the transaction back when the backend ended.
    return isinstance(error, DBAPIError) and "connection is closed" in str(error.orig)


@asynccontextmanager
async def transaction(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    """A session that commits when the block succeeds and rolls back when it raises. A lost
    connection is raised as `ConnectionLost`, saying whether the work may have committed."""
    session = sessionmaker()
    try:
        yield session
    except BaseException as error:
        await _rollback(session)
        if connection_lost(error):
            raise ConnectionLost(may_have_committed=False) from error
        raise
    else:
        await commit_begun(session)
    finally:
        # Closing a session that holds no transaction and no objects does nothing, yet costs
        # a task and a greenlet on every API v2 `add` answered from what it keeps
        # (bench/README.md). Otherwise the session's own exit closes it, which finishes even
        # if this task is cancelled meanwhile, so a connection cannot be lost on its way back
        # to the pool.
        if session.in_transaction() or session.identity_map:
            async with session:
                pass


async def _rollback(session: AsyncSession) -> None:
    try:
        await session.rollback()
    except DBAPIError as error:
        # Nothing to roll back on a connection that is gone: the server already did.
        if not connection_lost(error):
            raise


async def commit_begun(session: AsyncSession) -> None:
    """Commit if the session began a transaction: a session that read only from what API v2
    keeps never did, and committing it would begin one just to end it."""
    if session.in_transaction():
        await commit(session)


async def commit(session: AsyncSession) -> None:
    """Commit; a lost connection is raised as `ConnectionLost`."""
    try:
        await session.commit()
    except DBAPIError as error:
        if connection_lost(error):
            raise ConnectionLost(not _closed_before_sending(error)) from error
        raise


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
