"""`pasok worker`: build the runtime, register every job module, run arq."""

from typing import Any

from arq.worker import Worker

from panel import collector
from panel.config import Settings
from panel.embedded import resolve_urls
from panel.runtime import Runtime
from workers import (
    catalogue_jobs,
    idempotency_jobs,
    ledger_audit,
    order_jobs,
    queue,
    tasks,
    tier_jobs,
    webhook_jobs,
)

JOB_MODULES = (
    catalogue_jobs,
    idempotency_jobs,
    ledger_audit,
    order_jobs,
    tier_jobs,
    webhook_jobs,
)  # importing a module registers its jobs


def build(settings: Settings, *, burst: bool = False, crons: bool = True) -> Worker:
    """The worker; `burst` runs what is queued and stops, and `crons=False` leaves the
    schedules out (tests run scheduled jobs by calling them)."""
    _, redis_url = resolve_urls(settings)

    async def startup(ctx: dict[str, Any]) -> None:
        ctx["runtime"] = await Runtime.start(settings)

    async def shutdown(ctx: dict[str, Any]) -> None:
        if runtime := ctx.get("runtime"):
            await runtime.close()

    return Worker(
        functions=tasks.arq_functions(),
        cron_jobs=tasks.arq_cron_jobs() if crons else [],
        redis_settings=queue.redis_settings(redis_url),
        on_startup=startup,
        on_shutdown=shutdown,
        burst=burst,
        handle_signals=not burst,
        job_timeout=120,
    )


def run_worker(settings: Settings) -> None:
    worker = build(settings)
    collector.settle()
    worker.run()
