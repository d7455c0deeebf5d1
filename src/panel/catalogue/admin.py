"""`/admin/v1`: providers, their services, Pasok's services and the routes between them."""

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, status

from panel.catalogue import bulk_import, connection, quality, routes, service, sync
from panel.catalogue.schemas import (
    ConnectionCheckOut,
    FailoverIn,
    FailoverOut,
    ImportIn,
    ImportOut,
    ProviderCreate,
    ProviderOut,
    ProviderServiceIn,
    ProviderServiceOut,
    ProviderUpdate,
    QualityRow,
    RouteOut,
    RoutesIn,
    ServiceCreate,
    ServiceOut,
    ServicesEnabledIn,
    ServicesEnabledOut,
    ServiceUpdate,
    SyncReportOut,
)
from panel.errors import Invalid
from panel.keys.callers import OperatorDep
from panel.plumbing.deps import RuntimeDep, SessionDep
from panel.plumbing.schemas import PathId
from panel.pricing import glance
from panel.providers import registry
from panel.support import complaints

router = APIRouter(tags=["admin: catalogue"])


def _provider_fields(body: ProviderCreate | ProviderUpdate) -> dict[str, Any]:
    fields = body.model_dump(exclude_unset=True)
    if body.api_url is not None:
        fields["api_url"] = str(body.api_url)
    if body.api_key is not None:
        fields["api_key"] = body.api_key.get_secret_value()
    if getattr(body, "api_secret", None) is not None:
        fields["api_secret"] = body.api_secret.get_secret_value()  # type: ignore[union-attr]
    return fields


@router.post("/providers", status_code=status.HTTP_201_CREATED)
async def create_provider(
    body: ProviderCreate, session: SessionDep, runtime: RuntimeDep, operator: OperatorDep
) -> ProviderOut:
    """Add a provider. It is asked its balance first: if it answers in another currency than
    `currency`, it is refused."""
    fields = _provider_fields(body) | {"currency": body.currency or runtime.settings.currency}
    adapter = fields.get("adapter", "smm_v2")
    fields["dialect"] = service.checked_adapter(
        adapter, fields.get("dialect"), fields.get("api_id")
    )
    upstream = registry.of(runtime).probe(
        fields["api_url"],
        fields["api_key"],
        adapter=adapter,
        dialect=fields["dialect"],
        api_id=fields.get("api_id"),
        api_secret=fields.get("api_secret"),
    )
    provider = await service.create_provider_by(
        session, operator.account_id, upstream=upstream, **fields
    )
    return ProviderOut.model_validate(provider)


@router.post("/providers/check")
async def check_provider(
    body: ProviderCreate, runtime: RuntimeDep, operator: OperatorDep
) -> ConnectionCheckOut:
    """Ask a provider not yet added its balance and catalogue, with the body a create takes,
    and report what worked. Nothing is written."""
    fields = _provider_fields(body)
    currency = body.currency or runtime.settings.currency
    report = await connection.check_new(
        registry.of(runtime),
        currency,
        api_url=fields["api_url"],
        api_key=fields["api_key"],
        adapter=fields.get("adapter", "smm_v2"),
        dialect=fields.get("dialect"),
        api_id=fields.get("api_id"),
        api_secret=fields.get("api_secret"),
    )
    return ConnectionCheckOut.model_validate(report)


@router.get("/providers")
async def list_providers(session: SessionDep) -> list[ProviderOut]:
    return [ProviderOut.model_validate(p) for p in await service.list_providers(session)]


@router.get("/quality")
async def quality_figures(
    session: SessionDep,
    subject: Annotated[Literal["service", "provider"], Query()] = "service",
) -> list[QualityRow]:
    """Every service's (or provider's) 30-day figures, from Pasok's own orders, with the
    tickets they drew per 100 orders: by provider, which routes draw complaints."""
    found = await quality.figures_of(session, subject)
    rates = await complaints.figures_of(session, subject)
    return [
        QualityRow.model_validate(found[key]).with_complaints(rates.get(key))
        for key in sorted(found)
    ]


@router.post("/providers/{provider_id}/sync")
async def sync_provider(
    provider_id: PathId,
    session: SessionDep,
    runtime: RuntimeDep,
    operator: OperatorDep,
    dry_run: Annotated[bool, Query(description="show the changes without making them")] = False,
) -> SyncReportOut:
    """Bring in the provider's services and balance now, and show what changed."""
    synced = await sync.sync_by(session, runtime, operator.account_id, provider_id, dry_run=dry_run)
    return SyncReportOut.model_validate(
        asdict(synced.report)
        | {"applied": synced.applied, "balance": synced.balance.balance, "balance_low": synced.low}
    )


@router.patch("/providers/{provider_id:int}")
async def update_provider(
    provider_id: PathId, body: ProviderUpdate, session: SessionDep, operator: OperatorDep
) -> ProviderOut:
    provider = await service.update_provider_by(
        session, operator.account_id, provider_id, **_provider_fields(body)
    )
    return ProviderOut.model_validate(provider)


@router.put("/providers/{provider_id}/services")
async def put_provider_service(
    provider_id: PathId,
    body: ProviderServiceIn,
    session: SessionDep,
    runtime: RuntimeDep,
    operator: OperatorDep,
) -> ProviderServiceOut:
    """Record one upstream service by hand (catalogue sync does this for whole providers)."""
    fields = body.model_dump(exclude={"external_id"})
    saved = await service.upsert_provider_service_by(
        session,
        operator.account_id,
        provider_id,
        body.external_id,
        panel_currency=runtime.settings.currency,
        **fields,
    )
    return ProviderServiceOut.model_validate(saved)


@router.get("/providers/{provider_id}/services")
async def list_provider_services(
    provider_id: PathId, session: SessionDep
) -> list[ProviderServiceOut]:
    found = await service.list_provider_services(session, provider_id)
    return [ProviderServiceOut.model_validate(ps) for ps in found]


@router.post("/services", status_code=status.HTTP_201_CREATED)
async def create_service(
    body: ServiceCreate, session: SessionDep, operator: OperatorDep
) -> ServiceOut:
    made = await service.create_service_by(session, operator.account_id, **body.model_dump())
    return ServiceOut.model_validate(made)


@router.get("/services")
async def list_services(session: SessionDep) -> list[ServiceOut]:
    return [ServiceOut.model_validate(s) for s in await service.list_services(session)]


# `:int`: /services/enabled and /services/failover are no service ids.
@router.patch("/services/{service_id:int}")
async def update_service(
    service_id: PathId, body: ServiceUpdate, session: SessionDep, operator: OperatorDep
) -> ServiceOut:
    changes = body.model_dump(exclude_unset=True, exclude_none=True)
    changed = await service.update_service_by(session, operator.account_id, service_id, **changes)
    return ServiceOut.model_validate(changed)


@router.post("/services/enabled")
async def set_services_enabled(
    body: ServicesEnabledIn, session: SessionDep, operator: OperatorDep
) -> ServicesEnabledOut:
    """Enable or disable many services at once; none changes if one does not exist."""
    changed = await glance.set_enabled(session, operator.account_id, body.service_ids, body.enabled)
    return ServicesEnabledOut(changed=changed)


@router.put("/services/{service_id}/routes")
async def put_routes(
    service_id: PathId, body: RoutesIn, session: SessionDep, operator: OperatorDep
) -> list[RouteOut]:
    saved = await routes.replace_by(
        session, operator.account_id, service_id, body.provider_service_ids
    )
    return [RouteOut.model_validate(route) for route in saved]


@router.get("/services/{service_id}/routes")
async def get_routes(service_id: PathId, session: SessionDep) -> list[RouteOut]:
    await service.get_service(session, service_id)
    return [
        RouteOut.model_validate(route) for route in await routes.of_service(session, service_id)
    ]


@router.post("/providers/{provider_id}/import")
async def import_services(
    provider_id: PathId, body: ImportIn, session: SessionDep, operator: OperatorDep
) -> ImportOut:
    """Sell the provider's services picked (or `all` matching `filters`): one service each,
    routed to it. Picks already sold are not imported again; they come back in `already`."""
    now = datetime.now(UTC)
    actor = operator.account_id
    if body.all == bool(body.picks):
        raise Invalid("send either picks or all: true")
    if body.all:
        shown = bulk_import.Filter(**(body.filters.model_dump() if body.filters else {}))
        done = await bulk_import.import_matching(
            session, actor, provider_id, shown, now, body.category_map
        )
    else:
        picks = [bulk_import.Pick(**pick.model_dump()) for pick in body.picks]
        done = await bulk_import.import_services(
            session, actor, provider_id, picks, now, body.category_map
        )
    return ImportOut.model_validate(done)


@router.post("/services/failover")
async def add_failover(body: FailoverIn, session: SessionDep, operator: OperatorDep) -> FailoverOut:
    """Add each provider service as the last route of its service, once."""
    pairs = [bulk_import.Pair(p.service_id, p.provider_service_id) for p in body.pairs]
    done = await bulk_import.add_failover(session, operator.account_id, pairs)
    return FailoverOut.model_validate(
        {"added": [asdict(p) for p in done.added], "already": [asdict(p) for p in done.already]}
    )
