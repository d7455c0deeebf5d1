"""Pasok's task layer. The rest of the code defines jobs and enqueues them through this module
only, so the queue library (arq, in maintenance upstream) can be replaced in one place.

A job is `async def job(ctx: JobContext, *args) -> ...`; it runs in one database transaction
that this layer commits on success and rolls back on error. arq may run a job more than once
(a worker dying mid-job): every job must be idempotent.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, cast

from arq import cron
from arq.cron import CronJob
from arq.typing import WorkerCoroutine
from sqlalchemy.ext.asyncio import AsyncSession

from panel.runtime import Runtime


@dataclass
class JobContext:
    runtime: Runtime
    session: AsyncSession


JobFunction = Callable[..., Awaitable[Any]]


@dataclass
class Registry:
    """The jobs and schedules one worker runs."""

    jobs: dict[str, JobFunction] = field(default_factory=dict)
    schedules: list[tuple[str, set[int]]] = field(default_factory=list)

    def job(self, function: JobFunction) -> JobFunction:
        self.jobs[function.__name__] = function
        return function

    def every(self, minutes: set[int]) -> Callable[[JobFunction], JobFunction]:
        """Run the job at these minutes of every hour (cron style)."""

        def register(function: JobFunction) -> JobFunction:
            self.job(function)
            self.schedules.append((function.__name__, minutes))
            return function

        return register


registry = Registry()


def _arq_function(name: str, function: JobFunction) -> WorkerCoroutine:
    async def run(ctx: dict[str, Any], *args: Any) -> Any:
        runtime: Runtime = ctx["runtime"]
        async with runtime.transaction() as session:
            return await function(JobContext(runtime, session), *args)

    run.__name__ = name
    run.__qualname__ = name
    return cast(WorkerCoroutine, run)


def arq_functions() -> list[WorkerCoroutine]:
    return [_arq_function(name, function) for name, function in registry.jobs.items()]


def arq_cron_jobs() -> list[CronJob]:
    by_name = {name: _arq_function(name, function) for name, function in registry.jobs.items()}
    return [
        cron(by_name[name], name=f"cron:{name}", minute=minutes, run_at_startup=False)
        for name, minutes in registry.schedules
    ]
