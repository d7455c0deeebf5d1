"""Pasok's task layer. The rest of the code defines jobs and enqueues them through this module
and `panel.plumbing.job_queue` only, so the queue library (arq, in maintenance upstream) can be
replaced in one place.

Most jobs are `async def job(ctx: JobContext, *args)`: they run in one database transaction
that this layer commits on success and rolls back on error. A job that must commit before a
slow outside call (sending an order upstream) is registered with `own_transactions=True` and
gets the `Runtime`, opening `runtime.transaction()` blocks itself. arq may run a job more than
once (a worker dying mid-job): every job must be idempotent, and so a job that meets a lost
database connection is simply run again a moment later.
"""

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from arq import Retry, cron
from arq.cron import CronJob
from arq.typing import WorkerCoroutine
from arq.worker import Function, func
from sqlalchemy.ext.asyncio import AsyncSession

from panel.plumbing import logs
from panel.plumbing.db import ConnectionLost
from panel.plumbing.runtime import Runtime

# Between tries of a job whose database connection was lost: the pool reconnects at once, and
# a server that is restarting takes a few seconds.
RETRY_AFTER_LOST_S = 2
RECORD_TRIES = 10

_T = TypeVar("_T")


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
    hours: set[int] | None = None


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
        hours: set[int] | None = None,
        own_transactions: bool = False,
    ) -> Callable[[JobFunction], JobFunction]:
        """Run the job at these minutes of every hour (or of these `hours`, UTC) and/or seconds
        of every minute."""

        def register(function: JobFunction) -> JobFunction:
            self.job(own_transactions=own_transactions)(function)
            self.schedules.append(Schedule(function.__name__, minutes, seconds, hours))
            return function

        return register


registry = Registry()


async def record_outcome(runtime: Runtime, record: Callable[[AsyncSession], Awaitable[_T]]) -> _T:
    """Run `record` in a transaction of its own, again while the database connection is lost.
    For the step after an outside call: retrying the whole job would not make the call again,
    and what it answered would be lost. `record` must look at what already happened first,
    since a try whose connection broke during commit may have committed."""
    tries = 1
    while True:
        try:
            async with runtime.transaction() as session:
                return await record(session)
        except ConnectionLost:
            if tries == RECORD_TRIES:
                raise
            await asyncio.sleep(min(tries, 5))
            tries += 1


def _arq_function(name: str, job: Job) -> Function:
    # The job's own arguments by name (`order_id`, `refill_id`, ...), bound to every log line
    # it writes with the job's name and id.
    names = list(inspect.signature(job.function).parameters)[1:]

    async def run(ctx: dict[str, Any], *args: Any) -> Any:
        runtime: Runtime = ctx["runtime"]
        with logs.bound(job=name, job_id=ctx.get("job_id"), **dict(zip(names, args, strict=False))):
            try:
                if job.own_transactions:
                    return await job.function(runtime, *args)
                async with runtime.transaction() as session:
                    return await job.function(JobContext(runtime, session), *args)
            except ConnectionLost as lost:
                raise Retry(defer=RETRY_AFTER_LOST_S) from lost

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
            hour=s.hours,
            minute=s.minutes,
            second=s.seconds if s.seconds is not None else 0,
            run_at_startup=False,
            keep_result=0,
        )
        for s in registry.schedules
    ]
