"""What API v2 reads on every call, kept for a moment: the account a key opens, and what an
account pays for a service.

Reading them costs more than writing the order itself. Kept for at most `TTL`, and forgotten
at once when this process commits a change to any table they come from; another process's
change (an operator's price edit, a revoked key, a suspension) is seen within `TTL`.
"""

import asyncio
import hashlib
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Generic, TypeVar

from sqlalchemy import event
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

from panel.models import Account, Base
from panel.pricing.service import Quote

TTL = 5.0  # seconds
# Beyond this many entries everything is forgotten: random keys sent by someone guessing
# must not grow the process without bound.
MOST = 10_000
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
    """How many commits of this process have changed a source table. A flag left by a
    transaction that rolled back only costs the next commit of its session a needless bump."""

    generation = 0


class ReadCache:
    def __init__(self, ttl: float = TTL) -> None:
        self._callers: _Kept[str, Account | None] = _Kept(ttl)
        self._quotes: _Kept[tuple[int, int], Quote] = _Kept(ttl)

    async def caller(
        self, key: str, authenticate: Callable[[], Awaitable[Account | None]]
    ) -> Account | None:
        """The account `key` opens (None: it opens none), read by `authenticate` when not
        known or too old."""

        async def read() -> Account | None:
            found = await authenticate()
            return _copy(found) if found is not None else None

        # Kept by digest: the plaintext is never kept.
        return await self._callers.get(hashlib.sha256(key.encode()).hexdigest(), read)

    async def quote(
        self, account: Account, service_id: int, read: Callable[[], Awaitable[Quote]]
    ) -> Quote:
        """What `account` pays for `service_id`, read by `read` when not known or too old; a
        refusal from `read` is raised and not kept."""

        async def copied() -> Quote:
            quote = await read()
            return replace(quote, service=_copy(quote.service))

        return await self._quotes.get((account.id, service_id), copied)


class _Kept(Generic[_Key, _Value]):
    """Values by key, each good for `ttl` seconds and until the next change to the sources.
    Requests that find the same value missing wait for one read of it, not one each: when a
    busy reseller's entry runs out, its many requests in flight would all read it at once."""

    def __init__(self, ttl: float) -> None:
        self._ttl = ttl
        self._entries: dict[_Key, tuple[float, int, _Value]] = {}
        self._reading: dict[_Key, asyncio.Future[_Value]] = {}

    async def get(self, key: _Key, read: Callable[[], Awaitable[_Value]]) -> _Value:
        now, generation = time.monotonic(), _Changes.generation
        kept = self._entries.get(key)
        if kept is not None and kept[0] > now and kept[1] == generation:
            return kept[2]
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
        if len(self._entries) >= MOST:
            self._entries.clear()
        # Kept with the generation it was read under: a change committed meanwhile makes it
        # stale at once. Each for a slightly different time, so that entries filled together
        # (a process's first seconds) are not all read again in the same instant.
        self._entries[key] = (now + self._ttl * random.uniform(0.8, 1.0), generation, value)
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


def _copy(row: _Row) -> _Row:
    """A copy of `row` that belongs to no session, so no session's commit or rollback can
    expire it under the requests that share it."""
    columns = sa_inspect(type(row)).column_attrs
    return type(row)(**{column.key: getattr(row, column.key) for column in columns})


def _table_of(instance: object) -> str | None:
    table = getattr(type(instance), "__table__", None)
    return getattr(table, "name", None)
