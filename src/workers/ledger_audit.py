"""The ledger audit cron: every invariant checked every ten minutes, any breach shouted."""

import logging

from panel import metrics
from panel.ledger.audit import audit
from workers.tasks import JobContext, registry

log = logging.getLogger("panel.ledger.audit")


@registry.every(minutes={0, 10, 20, 30, 40, 50})
async def ledger_audit(ctx: JobContext) -> int:
    breaches = await audit(ctx.session)
    for breach in breaches:
        log.error(
            "ledger invariant breached",
            extra={
                "fields": {
                    "invariant": breach.invariant,
                    "subject": breach.subject,
                    "detail": breach.detail,
                }
            },
        )
    await metrics.publish_audit(ctx.runtime.redis, len(breaches))
    return len(breaches)
