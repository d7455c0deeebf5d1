"""Pasok's task layer. The rest of the code defines jobs and enqueues them through this module
and `workers.queue` only, so the queue library (arq, in maintenance upstream) can be replaced
in one place.

Most jobs are `async def job(ctx: JobContext, *args)`: they run in one database transaction
that this layer commits on success and rolls back on error. A job that must commit before a
slow outside call (sending an order upstream) is registered with `own_transactions=True` and
gets the `Runtime`, opening `runtime.transaction()` blocks itself. arq may run a job more than
once (a worker dying mid-job): every job must be idempotent.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, cast

from arq import cron
from arq.cron import CronJob
from arq.typing import WorkerCoroutine
from arq.worker import Function, func
from sqlalchemy.ext.asyncio import AsyncSession

from panel.runtime import Runtime


@dataclass
class JobContext:
    runtime: Runtime
    session: AsyncSession


JobFunction = Callable[..., Awaitable[Any]]


@dataclass(frozen=True)
class Job:
    function: JobFunction
    own_transactions: bool


@dataclass(frozen=True)
class Schedule:
    name: str
    minutes: set[int] | None
    seconds: set[int] | None


@dataclass
class Registry:
    """The jobs and schedules one worker runs."""

    jobs: dict[str, Job] = field(default_factory=dict)
    schedules: list[Schedule] = field(default_factory=list)

    def job(self, *, own_transactions: bool = False) -> Callable[[JobFunction], JobFunction]:
        def register(function: JobFunction) -> JobFunction:
            self.jobs[function.__name__] = Job(function, own_transactions)
            return function

        return register

    def every(
        self,
        *,
        minutes: set[int] | None = None,
        seconds: set[int] | None = None,
        own_transactions: bool = False,
    ) -> Callable[[JobFunction], JobFunction]:
        """Run the job at these minutes of every hour and/or seconds of every minute."""

        def register(function: JobFunction) -> JobFunction:
            self.job(own_transactions=own_transactions)(function)
            self.schedules.append(Schedule(function.__name__, minutes, seconds))
            return function

        return register


registry = Registry()


def _arq_function(name: str, job: Job) -> Function:
    async def run(ctx: dict[str, Any], *args: Any) -> Any:
        runtime: Runtime = ctx["runtime"]
        if job.own_transactions:
            return await job.function(runtime, *args)
        async with runtime.transaction() as session:
            return await job.function(JobContext(runtime, session), *args)

    run.__name__ = name
    run.__qualname__ = name
    # No results are kept: nothing reads them, and a kept result would block the same job id
    # from being queued again for as long as it is kept.
    return func(cast(WorkerCoroutine, run), name=name, keep_result=0)


def arq_functions() -> list[Function]:
    return [_arq_function(name, job) for name, job in registry.jobs.items()]


def arq_cron_jobs() -> list[CronJob]:
    return [
        cron(
            _arq_function(s.name, registry.jobs[s.name]).coroutine,
            name=f"cron:{s.name}",
            minute=s.minutes,
            second=s.seconds if s.seconds is not None else 0,
            run_at_startup=False,
            keep_result=0,
        )
        for s in registry.schedules
    ]
