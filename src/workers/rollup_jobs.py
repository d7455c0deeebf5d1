"""The roll-up cron: the settlement journals since the last fold summed into `settled_day`,
every five minutes. Readers are exact without it (they add what it has not folded yet); it
keeps what they add small."""

import logging
from datetime import UTC, datetime

from panel.ledger import rollup
from panel.plumbing.runtime import Runtime
from workers.tasks import registry

log = logging.getLogger("panel.ledger.rollup")


@registry.every(minutes=set(range(2, 60, 5)), own_transactions=True)
async def fold_settled_days(runtime: Runtime) -> int:
    passed = await rollup.catch_up(runtime.sessionmaker, datetime.now(UTC))
    log.info("settlements folded", extra={"fields": {"journal_ids": passed}})
    return passed
