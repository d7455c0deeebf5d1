"""Webhook crons: order events and service updates become deliveries, and due deliveries are
sent."""

import asyncio
from datetime import UTC, datetime

from panel.growth import update_feed
from panel.plumbing.runtime import Runtime
from panel.webhooks import network, sender, service
from workers.tasks import JobContext, registry

EVERY_5_SECONDS = set(range(0, 60, 5))


@registry.every(seconds=EVERY_5_SECONDS)
async def fan_out_webhooks(ctx: JobContext) -> int:
    return await service.fan_out(ctx.session, datetime.now(UTC), ctx.runtime.settings.currency)


@registry.every(seconds=EVERY_5_SECONDS)
async def fan_out_service_updates(ctx: JobContext) -> int:
    return await update_feed.fan_out(ctx.session, datetime.now(UTC), ctx.runtime.settings.currency)


@registry.every(seconds=EVERY_5_SECONDS, own_transactions=True)
async def send_webhooks(runtime: Runtime) -> int:
    """Send every due delivery, a batch at a time; returns how many were delivered."""
    settings = runtime.settings.webhooks
    delivered = 0
    # Only what was due when the run began: a delivery that fails in this run is due again
    # in a later one, however short its backoff, so a run always ends.
    started = datetime.now(UTC)
    while True:
        async with runtime.transaction() as session:
            due = await service.claim_due(session, started, datetime.now(UTC), settings)
        if not due:
            return delivered
        # Sent side by side: one slow receiver must not hold up everyone else's events.
        results = await asyncio.gather(
            *(sender.send(network.client_of(runtime), d, settings) for d in due)
        )
        async with runtime.transaction() as session:
            for d, result in zip(due, results, strict=True):
                await service.record(session, d.delivery_id, result, datetime.now(UTC), settings)
        delivered += sum(result.delivered for result in results)
