"""Orders written in batches: every order a process takes while its previous batch is being
written goes into the next one, one transaction for all of them.

A batch costs about what one order cost alone (a handful of statements and a commit), and a
buyer's wallet is locked once per batch rather than once per order, so one busy reseller's
orders do not queue on its wallet one commit at a time. Nothing waits to fill a batch: with one
order in flight, the next is written at once.
"""

import asyncio

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from panel.orders import intake
from panel.orders.intake import Intent, Written
from panel.orders.jobs import submission
from panel.plumbing.db import commit
from panel.plumbing.job_queue import Queue
from panel.plumbing.runtime import Runtime

# Enough for every client a process can serve at once; a bigger backlog waits for the next.
MOST_PER_BATCH = 500


class Batcher:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], queue: Queue) -> None:
        self._sessionmaker = sessionmaker
        self._queue = queue
        self._waiting: list[tuple[Intent, asyncio.Future[Written]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def write(self, intent: Intent) -> Written:
        """Write `intent` with whatever else is waiting; its outcome once committed and its
        submission queued."""
        future: asyncio.Future[Written] = asyncio.get_running_loop().create_future()
        self._waiting.append((intent, future))
        if self._writer is None:
            self._writer = asyncio.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        try:
            while self._waiting:
                batch = self._waiting[:MOST_PER_BATCH]
                del self._waiting[:MOST_PER_BATCH]
                await self._write(batch)
        finally:
            self._writer = None

    async def _write(self, batch: list[tuple[Intent, asyncio.Future[Written]]]) -> None:
        try:
            outcomes = await self._commit([intent for intent, _ in batch])
        except _RolledBack as rolled_back:
            if len(batch) > 1:
                # One order the database refuses must not fail the others: each is written
                # again alone. Nothing of the batch was committed.
                for item in batch:
                    await self._write([item])
                return
            _answer(batch[0][1], error=rolled_back.__cause__ or rolled_back)
            return
        except Exception as error:
            # Failed at commit: whether it happened is unknown, so nothing is written again.
            for _, future in batch:
                _answer(future, error=error)
            return
        # Queued before anyone is answered: a client that has its order id may rely on the
        # order being on its way.
        await self._queue.send(
            [submission(o.order_id) for o in outcomes if o.order_id is not None and not o.repeat]
        )
        for (_, future), outcome in zip(batch, outcomes, strict=True):
            _answer(future, outcome)

    async def _commit(self, intents: list[Intent]) -> list[Written]:
        async with self._sessionmaker() as session:
            try:
                outcomes = await intake.write(session, intents)
            except Exception as error:
                await session.rollback()
                raise _RolledBack from error
            await commit(session)
        return outcomes


class _RolledBack(Exception):
    """The batch's statements failed and were rolled back; the cause says why."""


def _answer(
    future: "asyncio.Future[Written]",
    outcome: Written | None = None,
    error: BaseException | None = None,
) -> None:
    if future.done():  # its client has gone
        return
    if error is not None:
        future.set_exception(error)
    else:
        assert outcome is not None
        future.set_result(outcome)


def of(runtime: Runtime) -> Batcher:
    """The process's batcher of API v2 `add` orders."""
    return runtime.part(_built)


def _built(runtime: Runtime) -> Batcher:
    return Batcher(runtime.sessionmaker, runtime.queue)
