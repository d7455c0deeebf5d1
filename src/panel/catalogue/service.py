"""Providers, the services they sell, and the services Pasok sells."""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from panel import action_log
from panel.currencies import service as currencies
from panel.errors import Conflict, Invalid, NotFound
from panel.growth import service_updates
from panel.models import Provider, ProviderService, Service
from panel.providers import dialect_doc
from panel.providers.adapter import UpstreamAdapter, UpstreamError

# Column defaults apply only at INSERT; the quantity check runs before it.
QUANTITY_DEFAULTS = {"min_quantity": 1, "max_quantity": 1}


async def get_provider(session: AsyncSession, provider_id: int) -> Provider:
    provider = await session.get(Provider, provider_id)
    if provider is None:
        raise NotFound(f"provider {provider_id} does not exist")
    return provider


async def create_provider(
    session: AsyncSession,
    *,
    name: str,
    api_url: str,
    api_key: str,
    currency: str,
    adapter: str = "smm_v2",
    dialect: str | None = None,
    api_id: str | None = None,
    api_secret: str | None = None,
    upstream: UpstreamAdapter | None = None,
) -> Provider:
    """Add a provider charging in `currency`. With `upstream`, the provider is asked its
    balance first: one that answers in another currency is refused (Invalid) and nothing is
    written; one that cannot be reached now is added, and checked at every sync."""
    currency = currencies.currency_code(currency)
    dialect = checked_adapter(adapter, dialect, api_id)
    await _name_free(session, name)
    if upstream is not None:
        await _check_currency(upstream, currency)
    provider = Provider(
        name=name,
        api_url=api_url,
        api_key=api_key,
        adapter=adapter,
        dialect=dialect,
        api_id=api_id,
        api_secret=api_secret,
        currency=currency,
        enabled=True,
    )
    session.add(provider)
    await session.flush()
    return provider


def checked_adapter(adapter: str, dialect: str | None, api_id: str | None) -> str | None:
    """What an adapter needs checked before a provider is kept: the dialect document (its text
    is returned, a shipped one's when given its name; Invalid names the line and the field that
    is wrong), or a prepaid provider's username."""
    if adapter == "digiflazz" and not api_id:
        raise Invalid("a prepaid provider needs its username as api_id", field="api_id")
    if adapter != "dialect":
        return None
    text = dialect_doc.resolve(dialect or "")
    try:
        dialect_doc.load(text)
    except dialect_doc.DialectError as exc:
        raise Invalid(str(exc), line=exc.line, field=exc.field) from None
    return text


async def update_provider(session: AsyncSession, provider_id: int, **changes: Any) -> Provider:
    provider = await get_provider(session, provider_id)
    name = changes.get("name")
    if name is not None and name != provider.name:
        await _name_free(session, name)
    # Disabling a provider can leave its services with no live route, or with another cost.
    async with service_updates.recorded(
        session, await service_updates.routed_to_provider(session, provider_id)
    ):
        for field, value in changes.items():
            setattr(provider, field, value)
        await session.flush()
    return provider


async def _check_currency(upstream: UpstreamAdapter, currency: str) -> None:
    try:
        reported = (await upstream.balance()).currency
    except UpstreamError:
        return  # not reachable now: every sync checks again
    if reported is not None and (said := reported.strip().upper()) != currency:
        raise Invalid(
            f"the provider reports its balance in {said[:3]}, not {currency}: "
            "give the currency it charges in"
        )


async def _name_free(session: AsyncSession, name: str) -> None:
    # Names are unique (provider_name_key): asked first, so a taken one is a conflict to
    # show rather than a failed INSERT or UPDATE.
    if await session.scalar(select(Provider.id).where(Provider.name == name)):
        raise Conflict(f"a provider named {name!r} exists")


async def list_providers(session: AsyncSession) -> Sequence[Provider]:
    return (await session.scalars(select(Provider).order_by(Provider.id))).all()


async def upsert_provider_service(
    session: AsyncSession, provider_id: int, external_id: str, *, panel_currency: str, **fields: Any
) -> ProviderService:
    """Record a service as the provider sells it, creating or refreshing it; its cost in the
    panel's currency follows from its rate at the exchange rate in force."""
    provider = await get_provider(session, provider_id)
    existing = await session.scalar(
        select(ProviderService).where(
            ProviderService.provider_id == provider_id,
            ProviderService.external_id == external_id,
        )
    )
    routed = [] if existing is None else await service_updates.routed_to(session, existing.id)
    async with service_updates.recorded(session, routed):
        if existing is None:
            existing = ProviderService(
                provider_id=provider_id, external_id=external_id, **(QUANTITY_DEFAULTS | fields)
            )
            session.add(existing)
        else:
            for field, value in fields.items():
                setattr(existing, field, value)
        _check_quantities(existing.min_quantity, existing.max_quantity)
        exchange_rate = await currencies.rate_for(session, provider.currency, panel_currency)
        currencies.set_cost(existing, exchange_rate)
        await session.flush()
    return existing


async def list_provider_services(
    session: AsyncSession, provider_id: int
) -> Sequence[ProviderService]:
    await get_provider(session, provider_id)
    return (
        await session.scalars(
            select(ProviderService)
            .where(ProviderService.provider_id == provider_id)
            .order_by(ProviderService.id)
        )
    ).all()


async def get_service(session: AsyncSession, service_id: int) -> Service:
    service = await session.get(Service, service_id)
    if service is None:
        raise NotFound(f"service {service_id} does not exist")
    return service


async def create_service(session: AsyncSession, **fields: Any) -> Service:
    service = Service(**(QUANTITY_DEFAULTS | fields))
    _check_quantities(service.min_quantity, service.max_quantity)
    session.add(service)
    await session.flush()
    return service


async def update_service(session: AsyncSession, service_id: int, **changes: Any) -> Service:
    service = await get_service(session, service_id)
    async with service_updates.recorded(session, [service_id]):
        for field, value in changes.items():
            setattr(service, field, value)
        _check_quantities(service.min_quantity, service.max_quantity)
        await session.flush()
    return service


async def list_services(session: AsyncSession) -> Sequence[Service]:
    return (await session.scalars(select(Service).order_by(Service.id))).all()


def _check_quantities(minimum: int, maximum: int) -> None:
    if minimum < 1 or maximum < minimum:
        raise Invalid(f"quantities must satisfy 1 <= min <= max (got min {minimum}, max {maximum})")


# --- an operator's changes, recorded in the action log -----------------------------------------

# Never the API key: the log is read by every operator.
PROVIDER_FIELDS = ("name", "api_url", "adapter", "api_id", "currency", "enabled", "low_balance")
SERVICE_FIELDS = (
    "name",
    "type",
    "category",
    "description",
    "min_quantity",
    "max_quantity",
    "refill",
    "cancel",
    "dripfeed",
    "one_order_per_link",
    "enabled",
)


async def create_provider_by(session: AsyncSession, actor_id: int, **fields: Any) -> Provider:
    provider = await create_provider(session, **fields)
    after = action_log.snapshot(provider, PROVIDER_FIELDS)
    await action_log.record(
        session, actor_id, "provider.create", "provider", provider.id, after=after
    )
    return provider


async def update_provider_by(
    session: AsyncSession, actor_id: int, provider_id: int, **changes: Any
) -> Provider:
    before = action_log.snapshot(await get_provider(session, provider_id), PROVIDER_FIELDS)
    provider = await update_provider(session, provider_id, **changes)
    after = action_log.snapshot(provider, PROVIDER_FIELDS)
    # A new key changes nothing the log shows: say that it changed, not what it is.
    replaced = [name for name in ("api_key", "api_secret") if changes.get(name)]
    note = f"keys replaced: {', '.join(replaced)}" if replaced else ""
    await action_log.record(
        session,
        actor_id,
        "provider.update",
        "provider",
        provider.id,
        before=before,
        after=after,
        note=note,
    )
    return provider


PROVIDER_SERVICE_FIELDS = (
    "external_id",
    "name",
    "type",
    "category",
    "rate",
    "min_quantity",
    "max_quantity",
    "refill",
    "cancel",
    "dripfeed",
)


async def upsert_provider_service_by(
    session: AsyncSession,
    actor_id: int,
    provider_id: int,
    external_id: str,
    *,
    panel_currency: str,
    **fields: Any,
) -> ProviderService:
    """An upstream service recorded by hand, in the action log (the sync's are not: they are
    what the provider said, not an operator's choice)."""
    found = await session.scalar(
        select(ProviderService).where(
            ProviderService.provider_id == provider_id,
            ProviderService.external_id == external_id,
        )
    )
    before = None if found is None else action_log.snapshot(found, PROVIDER_SERVICE_FIELDS)
    saved = await upsert_provider_service(
        session, provider_id, external_id, panel_currency=panel_currency, **fields
    )
    await action_log.record(
        session,
        actor_id,
        "provider_service.put",
        "provider",
        provider_id,
        before=before,
        after=action_log.snapshot(saved, PROVIDER_SERVICE_FIELDS),
    )
    return saved


async def create_service_by(session: AsyncSession, actor_id: int, **fields: Any) -> Service:
    made = await create_service(session, **fields)
    after = action_log.snapshot(made, SERVICE_FIELDS)
    await action_log.record(session, actor_id, "service.create", "service", made.id, after=after)
    return made


async def update_service_by(
    session: AsyncSession, actor_id: int, service_id: int, **changes: Any
) -> Service:
    before = action_log.snapshot(await get_service(session, service_id), SERVICE_FIELDS)
    changed = await update_service(session, service_id, **changes)
    after = action_log.snapshot(changed, SERVICE_FIELDS)
    await action_log.record(
        session, actor_id, "service.update", "service", changed.id, before=before, after=after
    )
    return changed
