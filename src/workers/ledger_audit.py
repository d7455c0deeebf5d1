"""The ledger audit crons: what changed checked every ten minutes, everything once a day at
03:05, any breach shouted."""

import logging
from datetime import UTC, datetime

from panel import metrics
from panel.ledger.incremental_audit import run
from panel.runtime import Runtime
from workers.tasks import registry

log = logging.getLogger("panel.ledger.audit")


@registry.every(minutes={0, 10, 20, 30, 40, 50}, own_transactions=True)
async def ledger_audit(runtime: Runtime) -> int:
    return await _audit(runtime, full=False)


@registry.every(hours={3}, minutes={5}, own_transactions=True)
async def ledger_audit_full(runtime: Runtime) -> int:
    return await _audit(runtime, full=True)


async def _audit(runtime: Runtime, *, full: bool) -> int:
    breaches = await run(runtime.sessionmaker, datetime.now(UTC), full=full)
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
    await metrics.publish_audit(runtime.redis, len(breaches))
    return len(breaches)
