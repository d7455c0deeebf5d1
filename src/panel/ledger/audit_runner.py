"""The one way to run the ledger audit, for `pasok audit`, the worker's crons and
`/admin/v1/ledger/audit`: in one snapshot (`incremental_audit.run`), every breach logged, the
count published as a metric.

One snapshot matters: read under READ COMMITTED, `clearing` and the open orders are two
statements, and an order accepted or settled between them looks like a breach that is not
there.
"""

import logging
from datetime import datetime

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from panel.ledger.audit import Breach
from panel.ledger.incremental_audit import run
from panel.plumbing import metrics

log = logging.getLogger("panel.ledger.audit")


async def check(
    sessionmaker: async_sessionmaker[AsyncSession],
    redis: Redis,
    now: datetime,
    *,
    full: bool = False,
) -> list[Breach]:
    """Audit what changed since the last run, or everything when `full`; the breaches."""
    breaches = await run(sessionmaker, now, full=full)
    for breach in breaches:
        log.error(
            "ledger invariant breached",
            extra={
                "fields": {
                    "invariant": breach.invariant,
                    "subject": breach.subject,
                    "detail": breach.detail,
                    "full": full,
                }
            },
        )
    await metrics.publish_audit(redis, len(breaches))
    return breaches
