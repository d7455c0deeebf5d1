"""The settled-day roll-up kept in step with the ledger by a checkpoint on journal ids.

A fold takes the journals after the checkpoint and older than `SETTLED`, adds their
settlement figures (`settled_days.journal_figures`) to the `settled_day` rows, and moves the
checkpoint to the last of them, all in one transaction: the rows hold exactly the journals up
to the checkpoint, and readers take the journals after it from the ledger. The settling time is
the incremental audit's: a transaction open longer than that could still commit journals with
lower ids, which a checkpoint past them would never fold. Journals are append-only and an
order settles once, so a journal passed never changes, and nothing ever has to be unfolded.

A fold takes at most `BATCH` journal ids, so the first one on a long history is many short
transactions rather than one long one; `catch_up` runs them until the checkpoint reaches the
settling horizon or its time is up, and the next run goes on from there.
"""

import time as clock
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from panel.ledger.incremental_audit import SETTLED
from panel.ledger.settled_days import KEYS, MEASURES, journal_figures
from panel.models import Journal, RollupCheckpoint, SettledDay

BATCH = 200_000  # journal ids per fold
RUN_FOR_S = 60.0  # a run starts no fold after this long, well inside the job timeout


async def fold(session: AsyncSession, now: datetime, batch: int = BATCH) -> int:
    """Fold the next journals (at most `batch` ids) older than the settling time; returns how
    many journal ids the checkpoint moved over (0: caught up)."""
    checkpoint = await session.get(RollupCheckpoint, 1, with_for_update=True)
    if checkpoint is None:
        await session.execute(
            insert(RollupCheckpoint)
            .values(id=1, journal_id=0, folded_at=now)
            .on_conflict_do_nothing(index_elements=[RollupCheckpoint.id])
        )
        checkpoint = await session.get_one(RollupCheckpoint, 1, with_for_update=True)
    after = checkpoint.journal_id
    # The next `batch` journals by id, however sparse the ids are.
    following = (
        select(Journal.id, Journal.created_at)
        .where(Journal.id > after)
        .order_by(Journal.id)
        .limit(batch)
        .subquery()
    )
    last = await session.scalar(
        select(func.max(following.c.id)).where(following.c.created_at < now - SETTLED)
    )
    checkpoint.folded_at = now
    if last is None:
        await session.flush()
        return 0
    figures = journal_figures((Journal.id > after) & (Journal.id <= last)).subquery()
    summed = select(
        *(figures.c[name] for name in KEYS), *(func.sum(figures.c[name]) for name in MEASURES)
    ).group_by(*(figures.c[name] for name in KEYS))
    added = insert(SettledDay).from_select([*KEYS, *MEASURES], summed)
    await session.execute(
        added.on_conflict_do_update(
            index_elements=[getattr(SettledDay, name) for name in KEYS],
            set_={
                name: getattr(SettledDay, name) + getattr(added.excluded, name) for name in MEASURES
            },
        )
    )
    checkpoint.journal_id = last
    await session.flush()
    return int(last) - after


async def catch_up(
    sessionmaker: async_sessionmaker[AsyncSession], now: datetime, run_for_s: float = RUN_FOR_S
) -> int:
    """Fold one batch after another, each in a transaction of its own, until caught up or
    `run_for_s` has passed; returns the journal ids passed."""
    started = clock.monotonic()
    passed = 0
    while True:
        async with sessionmaker() as session, session.begin():
            # One snapshot: the journals counted up to `last` are the ones folded.
            await session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
            step = await fold(session, now)
        passed += step
        if step == 0 or clock.monotonic() - started > run_for_s:
            return passed
