"""What a running process shares across requests or jobs: built once at start-up, closed at
shutdown, never at import time."""

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

import httpx
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from panel.config import Settings
from panel.plumbing import outbox, upstream_http
from panel.plumbing.db import create_engine, create_sessionmaker, transaction
from panel.plumbing.embedded import resolve_urls
from panel.plumbing.job_queue import CONNECT_TIMEOUT_S, Queue
from panel.plumbing.read_cache import ReadCache

_Part = TypeVar("_Part")


@dataclass
class Runtime:
    settings: Settings
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    redis: Redis
    queue: Queue
    http: httpx.AsyncClient  # upstream providers and gateways
    reads: ReadCache = field(init=False)  # what API v2 reads on every call
    # What the domains keep for the life of the process, by the function that builds it.
    _parts: dict[Callable[..., Any], Any] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.reads = ReadCache()

    def part(self, build: "Callable[[Runtime], _Part]") -> _Part:
        """What a domain keeps for the life of the process (the order batcher, a read shared
        by the requests in flight, the providers' adapters, a client of its own), built by
        `build` on first use and kept: the domains plug into the runtime, which knows none of
        them. What has an `aclose` is closed with the runtime."""
        if build not in self._parts:
            self._parts[build] = build(self)
        return cast(_Part, self._parts[build])

    @classmethod
    async def start(cls, settings: Settings, name: str = "pasok") -> "Runtime":
        """`name` says which process this is, to PostgreSQL among others."""
        database_url, redis_url = resolve_urls(settings)
        engine = create_engine(
            database_url,
            pool_size=settings.db_pool_size,
            name=name,
            connect_timeout_s=settings.db_connect_timeout_s,
            statement_timeout_s=settings.db_statement_timeout_s,
        )
        return cls(
            settings=settings,
            engine=engine,
            sessionmaker=create_sessionmaker(engine),
            redis=Redis.from_url(redis_url, socket_connect_timeout=CONNECT_TIMEOUT_S),
            queue=await Queue.connect(redis_url),
            http=upstream_http.build_client(settings.http),
        )

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One unit of work: commit on success, roll back on error, then send the jobs it
        asked for (only if it committed)."""
        async with transaction(self.sessionmaker) as session:
            yield session
        await self.queue.send(outbox.take(session))

    async def close(self) -> None:
        await self.reads.close()
        await self.http.aclose()
        for part in self._parts.values():
            if hasattr(part, "aclose"):
                await part.aclose()
        await self.queue.close()
        await self.redis.aclose()
        await self.engine.dispose()
