"""Idempotency keys are kept a day, then forgotten by this cron."""

from datetime import UTC, datetime

from panel import idempotency
from workers.tasks import JobContext, registry


@registry.every(minutes={7, 37})
async def forget_idempotency_keys(ctx: JobContext) -> int:
    return await idempotency.purge(ctx.session, datetime.now(UTC))
