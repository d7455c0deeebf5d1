"""Catalogue sync: what a provider sells now, brought into Pasok.

Each of the provider's services is created or refreshed, with every rate change kept in the
cost history; a service the provider no longer lists goes inactive; a Pasok service left with
no live route is disabled. Rates are kept in the provider's currency, and each service's cost
in the panel's currency is derived from it at the exchange rate in force
(`currencies.service.convert`). Prices follow by themselves: Pasok's rates are computed from
the primary route's cost under the price rules (their floors included) whenever they are asked
for. Orders are never touched: each keeps the rate and charge it was accepted at.

A provider that reports another currency than the one it was added with is flagged
(`reported_currency`, a log line, a metric) and nothing it said is used: its numbers would be
read in the wrong currency.

What comes from a provider is data: stored as text through bound parameters, cut to the
column's size, never run or rendered as given.
"""

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import ROUND_UP, Decimal

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from panel import action_log
from panel.catalogue import routes
from panel.catalogue.service import get_provider
from panel.currencies import service as currencies
from panel.growth import service_updates
from panel.models import Provider, ProviderService, ProviderServiceCost, Route, Service
from panel.money import PLACES
from panel.plumbing import metrics
from panel.plumbing.retention import BATCH, delete_batch
from panel.plumbing.runtime import Runtime
from panel.providers import registry
from panel.providers.adapter import Balance, UpstreamService

log = logging.getLogger("panel.catalogue")

MAX_QUANTITY = 2_147_483_647
MAX_RATE = Decimal(10) ** 14


@dataclass(frozen=True)
class RateChange:
    external_id: str
    old: Decimal
    new: Decimal


@dataclass
class SyncReport:
    """What a sync changed, as an operator reads it."""

    provider_id: int
    added: list[str] = field(default_factory=list)
    repriced: list[RateChange] = field(default_factory=list)
    gone: list[str] = field(default_factory=list)  # no longer listed: inactive
    back: list[str] = field(default_factory=list)  # listed again: active
    skipped: list[str] = field(default_factory=list)  # unusable rows (no id, bad numbers)
    disabled_services: list[int] = field(default_factory=list)
    # What the provider answered in when that is not its currency: nothing was brought in.
    currency_mismatch: str | None = None


@dataclass(frozen=True)
class Synced:
    """A sync an operator asked for: what changed (or would), and the balance reported."""

    report: SyncReport
    balance: Balance
    low: bool
    applied: bool


@dataclass(frozen=True)
class Listing:
    """What a provider said: the services it sells and its balance with us."""

    services: Sequence[UpstreamService]
    balance: Balance


async def fetch(runtime: Runtime, provider: Provider) -> Listing:
    """Ask the provider; no transaction needs to be open meanwhile. UpstreamError if it cannot
    be read."""
    adapter = registry.of(runtime).for_provider(provider)
    return Listing(await adapter.services(), await adapter.balance())


async def bring_in(
    session: AsyncSession, provider: Provider, listing: Listing, now: datetime, panel_currency: str
) -> tuple[SyncReport, bool]:
    """Apply what the provider said: its catalogue, then its balance. Returns the report and
    whether the balance is low. A provider answering in another currency than its own is
    flagged and nothing else is changed."""
    other = reported_currency(provider, listing)
    provider.reported_currency = other
    if other is not None:
        log.warning(
            "provider answers in another currency",
            extra={
                "fields": {
                    "provider": provider.id,
                    "currency": provider.currency,
                    "reported": other,
                }
            },
        )
        return SyncReport(provider.id, currency_mismatch=other), False
    exchange_rate = await currencies.rate_for(session, provider.currency, panel_currency)
    # What buyers see change (prices, services gone or back, a provider out of funds taken out
    # of routing) is recorded with the sync, in its transaction.
    watched = await service_updates.routed_to_provider(session, provider.id)
    async with service_updates.recorded(session, watched):
        report = await apply(session, provider, listing.services, now, exchange_rate)
        low = await record_balance(session, provider, listing.balance.balance, now)
    return report, low


def reported_currency(provider: Provider, listing: Listing) -> str | None:
    """The currency the provider answered in, when it is not the provider's own; None when it
    is or the provider did not say."""
    said = [listing.balance.currency] + [service.currency for service in listing.services]
    others = sorted({code.strip().upper() for code in said if code} - {provider.currency})
    return others[0][:3] if others else None


async def publish(runtime: Runtime, provider: Provider, listing: Listing, low: bool) -> None:
    """Once the sync has committed: the balance for the metrics and alerts, and whether the
    provider answered in its own currency."""
    mismatch = reported_currency(provider, listing) is not None
    await metrics.publish_provider_currency(runtime.redis, provider.id, mismatch)
    if mismatch:
        return
    balance = str(listing.balance.balance)
    await metrics.publish_provider_balance(runtime.redis, provider.id, balance, low)


async def sync_now(
    session: AsyncSession, runtime: Runtime, provider_id: int, *, dry_run: bool = False
) -> Synced:
    """Bring in one provider's services and balance within the caller's transaction; with
    `dry_run`, only find out what would change. An unreadable provider raises UpstreamError
    before anything is written."""
    provider = await get_provider(session, provider_id)
    listing = await fetch(runtime, provider)
    savepoint = await session.begin_nested()
    now = datetime.now(UTC)
    report, low = await bring_in(session, provider, listing, now, runtime.settings.currency)
    if dry_run:
        await savepoint.rollback()
    else:
        await savepoint.commit()
        await publish(runtime, provider, listing, low)
    return Synced(report, listing.balance, low, applied=not dry_run)


async def apply(
    session: AsyncSession,
    provider: Provider,
    listed: Sequence[UpstreamService],
    now: datetime,
    exchange_rate: Decimal | None,
) -> SyncReport:
    """Bring the provider's catalogue in line with `listed`, each service's cost derived at
    `exchange_rate` (None: the provider's currency has no rate yet, so no cost)."""
    report = SyncReport(provider.id)
    known = {
        ps.external_id: ps
        for ps in await session.scalars(
            select(ProviderService).where(ProviderService.provider_id == provider.id)
        )
    }
    seen: set[str] = set()
    for upstream in listed:
        read = _read(upstream)
        if read is None or upstream.external_id in seen:
            report.skipped.append(upstream.external_id[:64])
            continue
        seen.add(upstream.external_id)
        rate, fields = read
        existing = known.get(upstream.external_id)
        if existing is None:
            existing = ProviderService(provider_id=provider.id, external_id=upstream.external_id)
            session.add(existing)
            report.added.append(upstream.external_id)
        elif existing.rate != rate:
            report.repriced.append(RateChange(upstream.external_id, existing.rate, rate))
        if existing.active is False:
            report.back.append(upstream.external_id)
        rate_changed = existing.rate != rate
        existing.rate = rate
        for name, value in fields.items():
            setattr(existing, name, value)
        currencies.set_cost(existing, exchange_rate)
        existing.active = True
        existing.synced_at = now
        if rate_changed:
            await session.flush()
            session.add(ProviderServiceCost(provider_service_id=existing.id, rate=existing.rate))
    for external_id, existing in known.items():
        if external_id not in seen and existing.active:
            existing.active = False
            report.gone.append(external_id)
    await session.flush()
    if report.gone:
        report.disabled_services = await disable_unrouted(session)
    return report


async def record_balance(
    session: AsyncSession, provider: Provider, balance: Decimal, now: datetime
) -> bool:
    """Keep what the provider says Pasok has with it; True when that is below its alert
    level. Routing skips a provider with nothing left."""
    provider.balance = balance
    provider.balance_checked_at = now
    low = is_low(provider)
    if low:
        log.warning(
            "provider balance low",
            extra={
                "fields": {
                    "provider": provider.id,
                    "balance": str(balance),
                    "alert_below": str(provider.low_balance),
                }
            },
        )
    return low


def is_low(provider: Provider) -> bool:
    """Below its alert level or out of funds, as last reported; False while never checked."""
    if provider.balance is None:
        return False
    return provider.balance < provider.low_balance or provider.balance <= 0


async def disable_unrouted(session: AsyncSession) -> list[int]:
    """Disable the enabled services that have routes but none of them live; their ids."""
    live = (
        select(Route.id)
        .join(ProviderService, ProviderService.id == Route.provider_service_id)
        .join(Provider, Provider.id == ProviderService.provider_id)
        .where(Route.service_id == Service.id, routes.live())
    )
    routed = select(Route.id).where(Route.service_id == Service.id)
    stranded = list(
        await session.scalars(
            select(Service).where(Service.enabled.is_(True), exists(routed), ~exists(live))
        )
    )
    for service in stranded:
        service.enabled = False
    return [service.id for service in stranded]


def _read(upstream: UpstreamService) -> tuple[Decimal, dict[str, object]] | None:
    """The rate and other columns of a listed service, or None when it cannot be used."""
    if not upstream.external_id or len(upstream.external_id) > 64:
        return None
    if not upstream.rate.is_finite() or not 0 <= upstream.rate < MAX_RATE:
        return None
    if not 1 <= upstream.min_quantity <= upstream.max_quantity <= MAX_QUANTITY:
        return None
    # NUMERIC(20, 6): a cost finer than that is rounded up, never down.
    rate = upstream.rate.quantize(PLACES, rounding=ROUND_UP)
    return rate, {
        "name": upstream.name[:500] or upstream.external_id,
        "type": upstream.type[:64] or "Default",
        "category": upstream.category[:200],
        "min_quantity": upstream.min_quantity,
        "max_quantity": upstream.max_quantity,
        "refill": upstream.refill,
        "cancel": upstream.cancel,
        "dripfeed": upstream.dripfeed,
        "description": upstream.description[:20_000],
    }


async def sync_by(
    session: AsyncSession,
    runtime: Runtime,
    actor_id: int,
    provider_id: int,
    *,
    dry_run: bool = False,
) -> Synced:
    """A sync an operator asked for, recorded with what it changed (a dry run changes nothing
    and is not recorded)."""
    synced = await sync_now(session, runtime, provider_id, dry_run=dry_run)
    if synced.applied:
        report = synced.report
        await action_log.record(
            session,
            actor_id,
            "provider.sync",
            "provider",
            provider_id,
            after={
                "added": len(report.added),
                "repriced": len(report.repriced),
                "gone": len(report.gone),
                "back": len(report.back),
                "disabled_services": report.disabled_services,
            },
        )
    return synced


async def purge_cost_history(
    session: AsyncSession, now: datetime, days: float, batch: int = BATCH
) -> int:
    """Forget rate changes older than `days`, at most `batch` of them; returns how many. Each
    provider service's newest change stays whatever its age: since when its rate holds. Orders
    keep the costs they were sent at, so no money depends on this history."""
    newer = aliased(ProviderServiceCost)
    return await delete_batch(
        session,
        ProviderServiceCost,
        select(ProviderServiceCost.id).where(
            ProviderServiceCost.created_at < now - timedelta(days=days),
            select(newer.id)
            .where(
                newer.provider_service_id == ProviderServiceCost.provider_service_id,
                newer.id > ProviderServiceCost.id,
            )
            .exists(),
        ),
        oldest_first=ProviderServiceCost.created_at,
        batch=batch,
    )
