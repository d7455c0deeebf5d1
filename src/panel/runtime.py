"""What a running process shares across requests or jobs: built once at start-up, closed at
shutdown, never at import time."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial

import httpx
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from panel import outbox
from panel.coalesce import Coalescer
from panel.config import Settings
from panel.db import create_engine, create_sessionmaker, transaction
from panel.embedded import resolve_urls
from panel.job_queue import CONNECT_TIMEOUT_S, Queue
from panel.ledger import balance_reads
from panel.orders import status_reads
from panel.orders.batcher import Batcher
from panel.providers.registry import Adapters
from panel.providers.smm_v2 import build_client
from panel.read_cache import ReadCache
from panel.webhooks import network as webhook_network


@dataclass
class Runtime:
    settings: Settings
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    redis: Redis
    queue: Queue
    http: httpx.AsyncClient
    adapters: Adapters
    batcher: Batcher = field(init=False)  # orders of API v2 `add`, written in batches
    reads: ReadCache = field(init=False)  # what API v2 reads on every call
    # Orders' statuses and wallet balances, each read for every request in flight at once.
    statuses: Coalescer[status_reads.Asked, status_reads.Seen] = field(init=False)
    balances: Coalescer[int, Decimal] = field(init=False)
    # Buyers' webhook receivers: a client of its own, which connects only to checked addresses.
    webhook_http: httpx.AsyncClient = field(init=False)

    def __post_init__(self) -> None:
        self.batcher = Batcher(self.sessionmaker, self.queue)
        self.reads = ReadCache()
        self.statuses = Coalescer(partial(status_reads.read, self.sessionmaker))
        self.balances = Coalescer(partial(balance_reads.read, self.sessionmaker))
        self.webhook_http = webhook_network.build_client(self.settings.http, self.settings.webhooks)

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
        http = build_client(settings.http)
        return cls(
            settings=settings,
            engine=engine,
            sessionmaker=create_sessionmaker(engine),
            redis=Redis.from_url(redis_url, socket_connect_timeout=CONNECT_TIMEOUT_S),
            queue=await Queue.connect(redis_url),
            http=http,
            adapters=Adapters(http),
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
        await self.webhook_http.aclose()
        await self.queue.close()
        await self.redis.aclose()
        await self.engine.dispose()
