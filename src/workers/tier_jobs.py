"""The earned-tier cron: resellers promoted and demoted by their 90-day spend."""

import logging
from datetime import UTC, datetime

from panel.pricing import standing
from workers.tasks import JobContext, registry

log = logging.getLogger("panel.pricing")


@registry.every(minutes={45})
async def review_tiers(ctx: JobContext) -> int:
    changes = await standing.review(ctx.session, datetime.now(UTC), ctx.runtime.settings.tiers)
    for change in changes:
        log.info(
            "reseller tier changed",
            extra={
                "fields": {
                    "account": change.account_id,
                    "from_tier": change.from_tier_id,
                    "to_tier": change.to_tier_id,
                    "spend_90d": str(change.spend_90d),
                }
            },
        )
    return len(changes)
