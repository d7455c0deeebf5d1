"""The exchange-rate cron: rates from the automatic source, when the operator has one, and the
stale flags every API copy reports."""

import logging
from datetime import UTC, datetime
from decimal import Decimal

from panel.currencies import service as currencies
from panel.currencies.source import UrlRateSource, fetch_all
from panel.plumbing import metrics
from panel.plumbing.runtime import Runtime
from workers.tasks import registry

log = logging.getLogger("panel.currencies")


@registry.every(minutes={5, 35}, own_transactions=True)
async def refresh_exchange_rates(runtime: Runtime) -> int:
    """Returns how many rates the source set."""
    settings = runtime.settings
    panel_currency = settings.currency
    fetched: dict[str, Decimal] = {}
    if settings.currencies.rate_source_url:
        async with runtime.transaction() as session:
            wanted = await currencies.needed(session, panel_currency)
        # Asked with no transaction open: a slow source holds no locks.
        source = UrlRateSource(runtime.http, settings.currencies.rate_source_url)
        fetched = await fetch_all(source, wanted, panel_currency)
    async with runtime.transaction() as session:
        for currency, rate in fetched.items():
            await currencies.set_rate(
                session, currency, rate, panel_currency=panel_currency, source=currencies.SOURCE
            )
        found = await currencies.in_force(
            session, panel_currency, settings.currencies.rate_max_age_s, datetime.now(UTC)
        )
    for in_force in found:
        if in_force.stale:
            log.warning(
                "exchange rate stale",
                extra={"fields": {"currency": in_force.currency, "age_s": in_force.age_s}},
            )
    await metrics.publish_exchange_rates(runtime.redis, {r.currency: r.stale for r in found})
    return len(fetched)
