"""Sending jobs to the queue (arq on Redis). Deterministic `job_id`s make a second enqueue of
the same work a no-op while the first is queued or running."""

import logging
import time
import uuid
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from arq.connections import ArqRedis, RedisSettings
from arq.constants import in_progress_key_prefix, job_key_prefix, result_key_prefix
from arq.jobs import serialize_job
from arq.utils import timestamp_ms

from panel.plumbing.outbox import JobRequest

log = logging.getLogger("panel.jobs")

# What arq's own enqueue does for one job (skip it if its id is queued, running or has a
# result; else store it and schedule it), for many jobs in one round trip: a batch of orders
# accepted together is queued together. A job sent to re-drive first loses the mark of a
# worker that died running it, so that the job still queued under its id runs again now.
_SEND = """
local queued = 0
for i = 1, #ARGV / 5 do
  local job_key, result_key, in_progress_key = KEYS[3 * i - 1], KEYS[3 * i], KEYS[3 * i + 1]
  if ARGV[5 * i] == '1' then
    redis.call('del', in_progress_key)
  end
  if redis.call('exists', job_key, result_key) == 0 then
    redis.call('psetex', job_key, ARGV[5 * i - 3], ARGV[5 * i - 1])
    redis.call('zadd', KEYS[1], ARGV[5 * i - 2], ARGV[5 * i - 4])
    queued = queued + 1
  end
end
return queued
"""


# How long a connection attempt to Redis may take: past it, Redis counts as down.
CONNECT_TIMEOUT_S = 2.0
# After sending failed, this long passes before the next try: while Redis is down, orders are
# still taken and answered at once, and the sweeper sends their jobs once it is back.
PAUSE_AFTER_FAILURE_S = 1.0


def redis_settings(url: str) -> RedisSettings:
    return RedisSettings.from_dsn(url)


class Queue:
    def __init__(self, redis: ArqRedis) -> None:
        self._redis = redis
        self._send = redis.register_script(_SEND)
        self._paused_until = 0.0

    @classmethod
    async def connect(cls, redis_url: str) -> "Queue":
        # One connection rather than a pool: before every command, redis-py checks a pooled
        # connection for stray data with a zero timeout, which costs a whole turn of the event
        # loop, and a batch of API v2 orders is answered only once its jobs are queued.
        return cls(
            ArqRedis.from_url(
                redis_url, single_connection_client=True, socket_connect_timeout=CONNECT_TIMEOUT_S
            )
        )

    async def enqueue(
        self,
        name: str,
        *args: Any,
        job_id: str | None = None,
        defer_by: timedelta | None = None,
    ) -> bool:
        """Queue `name(*args)`; False when a job with `job_id` already exists."""
        return await self._queue([JobRequest(name, args, job_id, defer_by)]) == 1

    async def send(self, requests: Sequence[JobRequest]) -> None:
        """Send what a committed transaction asked for. A failure is logged, not raised: the
        transaction already happened, and the sweeper re-drives work whose job was lost."""
        if not requests:
            return
        names = sorted({request.name for request in requests})
        if time.monotonic() < self._paused_until:
            log.warning(
                "jobs not queued: redis was down a moment ago", extra={"fields": {"jobs": names}}
            )
            return
        try:
            await self._queue(requests)
        except Exception:
            self._paused_until = time.monotonic() + PAUSE_AFTER_FAILURE_S
            log.exception("jobs not queued", extra={"fields": {"jobs": names}})

    async def _queue(self, requests: Sequence[JobRequest]) -> int:
        """How many of `requests` were queued (the others' ids were already known)."""
        now = timestamp_ms()
        keys: list[str] = [self._redis.default_queue_name]
        argv: list[str | int | bytes] = []
        for request in requests:
            job_id = request.job_id or uuid.uuid4().hex
            delay = int(request.defer_by.total_seconds() * 1000) if request.defer_by else 0
            payload = serialize_job(
                request.name, request.args, {}, None, now, serializer=self._redis.job_serializer
            )
            keys += [
                job_key_prefix + job_id,
                result_key_prefix + job_id,
                in_progress_key_prefix + job_id,
            ]
            # Kept as long as arq keeps a job: a day past the time it is due.
            expires = delay + self._redis.expires_extra_ms
            argv += [job_id, expires, now + delay, payload, "1" if request.redrive else "0"]
        queued: int = await self._send(keys=keys, args=argv)
        return queued

    async def close(self) -> None:
        await self._redis.aclose()
