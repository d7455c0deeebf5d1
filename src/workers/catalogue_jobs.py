"""The catalogue crons: every enabled provider's services and balance, brought in hourly, and
the quality figures, recomputed every ten minutes."""

import logging
from datetime import UTC, datetime

from sqlalchemy import select

from panel.catalogue import quality, sync
from panel.models import Provider
from panel.plumbing.runtime import Runtime
from panel.providers.adapter import UpstreamError
from panel.support import complaints
from workers.tasks import JobContext, registry

log = logging.getLogger("panel.catalogue")


@registry.every(minutes={2, 12, 22, 32, 42, 52})
async def refresh_quality(ctx: JobContext) -> int:
    """The 30-day quality figures of every service and provider, recomputed, and their
    complaint rates with them."""
    now = datetime.now(UTC)
    refreshed = await quality.refresh(ctx.session, now)
    await complaints.refresh(ctx.session, now)
    return refreshed


@registry.every(minutes={15}, own_transactions=True)
async def sync_catalogues(runtime: Runtime) -> int:
    """Returns how many providers were synced."""
    async with runtime.transaction() as session:
        providers = list(await session.scalars(select(Provider).where(Provider.enabled.is_(True))))
    synced = 0
    for provider in providers:
        try:
            await sync_provider(runtime, provider.id)
            synced += 1
        except UpstreamError as error:
            # One provider down must not stop the others; the next hour tries again.
            log.warning(
                "catalogue sync failed",
                extra={"fields": {"provider": provider.id, "error": str(error)}},
            )
    return synced


async def sync_provider(runtime: Runtime, provider_id: int) -> sync.SyncReport:
    # The provider is asked with no transaction open: a slow upstream holds no locks.
    async with runtime.transaction() as session:
        provider = await session.get_one(Provider, provider_id)
    listing = await sync.fetch(runtime, provider)
    async with runtime.transaction() as session:
        provider = await session.get_one(Provider, provider_id, with_for_update=True)
        report, low = await sync.bring_in(
            session, provider, listing, datetime.now(UTC), runtime.settings.currency
        )
    await sync.publish(runtime, provider, listing, low)
    return report
