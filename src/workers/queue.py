"""Sending jobs to the queue (arq on Redis). Deterministic `job_id`s make a second enqueue of
the same work a no-op while the first is queued or running."""

import logging
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from arq.connections import ArqRedis, RedisSettings, create_pool

from panel.outbox import JobRequest

log = logging.getLogger("panel.jobs")


def redis_settings(url: str) -> RedisSettings:
    return RedisSettings.from_dsn(url)


class Queue:
    def __init__(self, pool: ArqRedis) -> None:
        self._pool = pool

    @classmethod
    async def connect(cls, redis_url: str) -> "Queue":
        return cls(await create_pool(redis_settings(redis_url)))

    async def enqueue(
        self,
        name: str,
        *args: Any,
        job_id: str | None = None,
        defer_by: timedelta | None = None,
    ) -> bool:
        """Queue `name(*args)`; False when a job with `job_id` already exists."""
        job = await self._pool.enqueue_job(name, *args, _job_id=job_id, _defer_by=defer_by)
        return job is not None

    async def send(self, requests: Iterable[JobRequest]) -> None:
        """Send what a committed transaction asked for. A failure is logged, not raised: the
        transaction already happened, and the sweeper re-drives work whose job was lost."""
        for request in requests:
            try:
                await self.enqueue(
                    request.name, *request.args, job_id=request.job_id, defer_by=request.defer_by
                )
            except Exception:
                log.exception("job not queued", extra={"fields": {"job": request.name}})

    async def close(self) -> None:
        await self._pool.aclose()
