"""What a running process shares across requests or jobs: built once at start-up, closed at
shutdown, never at import time."""

from dataclasses import dataclass

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from panel.config import Settings
from panel.db import create_engine, create_sessionmaker
from panel.embedded import resolve_urls


@dataclass
class Runtime:
    settings: Settings
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    redis: Redis

    @classmethod
    def start(cls, settings: Settings) -> "Runtime":
        database_url, redis_url = resolve_urls(settings)
        engine = create_engine(database_url, pool_size=settings.db_pool_size)
        return cls(
            settings=settings,
            engine=engine,
            sessionmaker=create_sessionmaker(engine),
            redis=Redis.from_url(redis_url),
        )

    async def close(self) -> None:
        await self.redis.aclose()
        await self.engine.dispose()
