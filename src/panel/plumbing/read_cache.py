"""What API v2 reads on every call, kept for a moment: the account a key opens, what an account
pays for a service, its services list. Each domain says what it keeps (`kept`); this module
only knows when a kept value is stale.

Reading them costs more than writing the order itself. An entry is forgotten at once when this
process commits a change to any table it comes from. Changes committed by other processes (an
operator's price edit through another api copy, a revoked key, the worker's catalogue sync)
are heard from PostgreSQL: a trigger on each of those tables notifies `CHANNEL` at commit, and
every api process listens. An entry is kept at most `TTL_HEARD` while the process hears, and
`TTL_UNHEARD` while it does not (not listening, or its listening connection lost), so a missed
notification is never stale for long.
"""

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, Generic, TypeVar

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy import event, make_url
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

from panel.models import Base

log = logging.getLogger("panel.read_cache")

CHANNEL = "pasok_reads_changed"
TTL_HEARD = 60.0  # seconds
TTL_UNHEARD = 5.0
RETRY_S = 1.0  # between attempts to listen again
# Beyond this many entries everything is forgotten: random keys sent by someone guessing
# must not grow the process without bound.
MOST_ENTRIES = 10_000
# The tables keys, accounts and prices are read from.
SOURCES = frozenset(
    {
        "account",
        "api_key",
        "service",
        "route",
        "provider",
        "provider_service",
        "provider_service_cost",
        "price_rule",
        "tier",
    }
)
_Row = TypeVar("_Row", bound=Base)
_Key = TypeVar("_Key")
_Value = TypeVar("_Value")
# An execution option for a statement on a source table that changes nothing kept here (a
# key's time of last use).
NEUTRAL = "pasok_read_cache_neutral"
_TOUCHED = "pasok.read_cache.touched"


class _Changes:
    """How many changes to a source table this process has seen committed, its own or heard
    of. A flag left by a transaction that rolled back only costs a needless bump."""

    generation = 0

    @classmethod
    def bump(cls, *_: object) -> None:
        cls.generation += 1


class ReadCache:
    def __init__(self, *, heard: float = TTL_HEARD, deaf: float = TTL_UNHEARD) -> None:
        self._heard, self._deaf = heard, deaf
        self._hearing = False
        self._listener: asyncio.Task[None] | None = None
        self._kinds: dict[str, _Entries[Hashable, Any]] = {}

    @property
    def hearing(self) -> bool:
        """Whether changes committed by other processes are heard now."""
        return self._hearing

    def _ttl(self) -> float:
        return self._heard if self._hearing else self._deaf

    def listen(self, database_url: str) -> None:
        """Hear the changes every process commits, from now until `close`."""
        self._listener = asyncio.create_task(self._listen(database_url))

    async def close(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener

    async def _hear(self, connection: Any) -> None:
        """Count every change heard, until the connection is lost."""
        lost = asyncio.Event()
        connection.add_termination_listener(lambda _: lost.set())
        await connection.add_listener(CHANNEL, _Changes.bump)
        _Changes.bump()  # whatever changed while nobody listened
        self._hearing = True
        await lost.wait()
        log.warning("lost the connection that listens for changes")

    async def _listen(self, database_url: str) -> None:
        url = make_url(database_url).set(drivername="postgresql").render_as_string(False)
        while True:
            try:
                connection = await asyncpg.connect(url)
            except (OSError, asyncpg.PostgresError):
                log.warning("cannot listen for changes; kept reads live %s s", self._deaf)
                await asyncio.sleep(RETRY_S)
                continue
            try:
                await self._hear(connection)
            finally:
                self._hearing = False
                _Changes.bump()
                with contextlib.suppress(Exception):
                    await connection.close(timeout=1)
            await asyncio.sleep(RETRY_S)

    async def kept(self, kind: str, key: Hashable, read: Callable[[], Awaitable[_Value]]) -> _Value:
        """The value of `kind` (a key's holder, a quote, a services list) for `key`, read by
        `read` when not known or too old; a failed read is raised to every request waiting on
        it and not kept. The value is shared by every request that asks: `read` returns what
        no session holds (`detached`). The domains own what they keep and how it is read."""
        entries = self._kinds.get(kind)
        if entries is None:
            entries = self._kinds[kind] = _Entries(self._ttl)
        value: _Value = await entries.get(key, read)
        return value


class _Entries(Generic[_Key, _Value]):
    """Values by key, each good for `ttl()` seconds and until the next change to the sources.
    Requests that find the same value missing wait for one read of it, not one each: when a
    busy reseller's entry runs out, its many requests in flight would all read it at once."""

    def __init__(self, ttl: Callable[[], float]) -> None:
        self._ttl = ttl
        # When read, the share of the time to live it gets, the generation, the value.
        self._entries: dict[_Key, tuple[float, float, int, _Value]] = {}
        self._reading: dict[_Key, asyncio.Future[_Value]] = {}

    async def get(self, key: _Key, read: Callable[[], Awaitable[_Value]]) -> _Value:
        now, generation = time.monotonic(), _Changes.generation
        kept = self._entries.get(key)
        if kept is not None and now - kept[0] < self._ttl() * kept[1] and kept[2] == generation:
            return kept[3]
        if (reading := self._reading.get(key)) is not None:
            return await asyncio.shield(reading)
        future: asyncio.Future[_Value] = asyncio.get_running_loop().create_future()
        self._reading[key] = future
        try:
            value = await read()
        except BaseException as error:
            future.set_exception(
                error if isinstance(error, Exception) else RuntimeError("the read was abandoned")
            )
            future.exception()  # nobody else may be waiting: not an unretrieved error
            raise
        finally:
            del self._reading[key]
        future.set_result(value)
        if len(self._entries) >= MOST_ENTRIES:
            self._entries.clear()
        # Kept with the generation it was read under: a change committed meanwhile makes it
        # stale at once. Each for a slightly different time, so that entries filled together
        # (a process's first seconds) are not all read again in the same instant.
        self._entries[key] = (now, random.uniform(0.8, 1.0), generation, value)
        return value


@event.listens_for(Session, "after_flush")
def _flushed(session: Session, _: UOWTransaction) -> None:
    for instance in (*session.new, *session.dirty, *session.deleted):
        if _table_of(instance) in SOURCES:
            session.info[_TOUCHED] = True
            return


@event.listens_for(Session, "do_orm_execute")
def _executed(state: ORMExecuteState) -> None:
    if state.execution_options.get(NEUTRAL):
        return
    if state.is_insert or state.is_update or state.is_delete:
        table = getattr(state.statement, "table", None)
        if getattr(table, "name", None) in SOURCES:
            state.session.info[_TOUCHED] = True


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    if session.info.pop(_TOUCHED, False):
        _Changes.generation += 1


def detached(row: _Row) -> _Row:
    """A copy of `row` that belongs to no session, so no session's commit or rollback can
    expire it under the requests that share it."""
    columns = sa_inspect(type(row)).column_attrs
    return type(row)(**{column.key: getattr(row, column.key) for column in columns})


def _table_of(instance: object) -> str | None:
    table = getattr(type(instance), "__table__", None)
    return getattr(table, "name", None)
