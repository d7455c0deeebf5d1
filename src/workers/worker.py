"""`pasok worker`: build the runtime, register every job module, run arq, and run it again
when Redis fails.

arq's worker ends for good when Redis goes away under it (a restart, a failover): its poll
loop raises and nothing starts it again. Here the jobs already running finish their database
work, the failed worker is dropped, and a new one connects after a back-off, with its cron
schedule anew. What the outage cost in Redis (queued jobs, bookkeeping of jobs that ended
meanwhile) the sweeper re-drives from the database.
"""

import asyncio
import contextlib
import logging
import signal
import time
from typing import Any

from arq.worker import Worker
from redis.exceptions import RedisError

from panel.config import Settings
from panel.plumbing import collector, job_queue
from panel.plumbing.embedded import resolve_urls
from panel.plumbing.runtime import Runtime
from workers import (
    catalogue_jobs,
    currency_jobs,
    ledger_audit,
    notification_jobs,
    order_jobs,
    payment_jobs,
    retention_jobs,
    rollup_jobs,
    support_jobs,
    tasks,
    tier_jobs,
    webhook_jobs,
)

JOB_MODULES = (
    catalogue_jobs,
    currency_jobs,
    ledger_audit,
    notification_jobs,
    order_jobs,
    payment_jobs,
    retention_jobs,
    rollup_jobs,
    support_jobs,
    tier_jobs,
    webhook_jobs,
)  # importing a module registers its jobs


log = logging.getLogger("panel.worker")

# Between a failed worker and the next: doubled after each failure up to the most, and back
# to the first once a worker has run for `STEADY_S`.
RECONNECT_FIRST_S = 0.5
RECONNECT_MOST_S = 15.0
STEADY_S = 60.0


def build(
    settings: Settings,
    *,
    burst: bool = False,
    crons: bool = True,
    runtime: Runtime | None = None,
) -> Worker:
    """The worker; `burst` runs what is queued and stops, and `crons=False` leaves the
    schedules out (tests run scheduled jobs by calling them). A worker given a `runtime`
    shares it and leaves it open; otherwise it builds its own and closes it."""
    _, redis_url = resolve_urls(settings)

    async def startup(ctx: dict[str, Any]) -> None:
        ctx["runtime"] = runtime or await Runtime.start(settings)

    async def shutdown(ctx: dict[str, Any]) -> None:
        if runtime is None and (own := ctx.get("runtime")):
            await own.close()

    return Worker(
        functions=tasks.arq_functions(),
        cron_jobs=tasks.arq_cron_jobs() if crons else [],
        redis_settings=job_queue.redis_settings(redis_url),
        on_startup=startup,
        on_shutdown=shutdown,
        burst=burst,
        # `serve` handles the signals: arq's own handlers belong to one worker, not to the
        # process that outlives it.
        handle_signals=False,
        job_timeout=120,
        max_jobs=settings.worker.max_jobs,
        poll_delay=settings.worker.poll_delay_s,
        # No result for a job that failed in arq itself either ("job expired", too many tries):
        # for an hour it would stop the sweeper from queueing that job id again, and the
        # order waiting on it would stay `pending` (tasks.py keeps no result of its own jobs).
        keep_result=0,
    )


def run_worker(settings: Settings) -> None:
    collector.freeze_startup()
    asyncio.run(serve(settings))


async def serve(settings: Settings, stop: asyncio.Event | None = None) -> None:
    """Run workers one after another until SIGINT or SIGTERM (or `stop`), starting a new one
    whenever Redis fails under the last."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    runtime = await Runtime.start(settings, "pasok-worker")
    pause = RECONNECT_FIRST_S
    try:
        while not stop.is_set():
            started = time.monotonic()
            if await _run(build(settings, runtime=runtime), stop):
                return
            if time.monotonic() - started > STEADY_S:
                pause = RECONNECT_FIRST_S
            log.warning(
                "redis failed under the worker; starting again", extra={"fields": {"in_s": pause}}
            )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), pause)
            pause = min(pause * 2, RECONNECT_MOST_S)
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
        await runtime.close()


async def _run(worker: Worker, stop: asyncio.Event) -> bool:
    """Run `worker` until `stop` (True) or until Redis fails under it (False)."""
    main = asyncio.create_task(worker.main())
    stopping = asyncio.create_task(stop.wait())
    await asyncio.wait({main, stopping}, return_when=asyncio.FIRST_COMPLETED)
    stopping.cancel()
    if not main.done():
        # As arq's own signal handler does: running jobs are cancelled, and every job is
        # written to be run again.
        worker.handle_sig(signal.SIGTERM)
        main.cancel()
        await asyncio.gather(main, *worker.tasks.values(), return_exceptions=True)
        await _drop(worker)
        return True
    error = main.exception()
    if error is None:  # a burst worker that ran out of work
        return True
    if not isinstance(error, RedisError | OSError):
        raise error
    log.warning("redis failed under the worker", extra={"fields": {"error": repr(error)}})
    # The jobs under way finish their database work; what they fail to tell Redis afterwards
    # is re-driven from the database.
    await asyncio.gather(*worker.tasks.values(), return_exceptions=True)
    await _drop(worker)
    return False


async def _drop(worker: Worker) -> None:
    """Close what the worker holds of Redis; the runtime it shares stays open."""
    if worker._pool is not None:
        with contextlib.suppress(RedisError, OSError):
            await worker.pool.aclose(close_connection_pool=True)
