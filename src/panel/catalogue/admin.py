"""`/admin/v1`: providers, their services, Pasok's services and the routes between them."""

from dataclasses import asdict
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, status

from panel.catalogue import quality, routes, service, sync
from panel.catalogue.schemas import (
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
    ServiceUpdate,
    SyncReportOut,
)
from panel.deps import RuntimeDep, SessionDep
from panel.schemas import PathId
from panel.support import complaints

router = APIRouter(tags=["admin: catalogue"])


def _provider_fields(body: ProviderCreate | ProviderUpdate) -> dict[str, Any]:
    fields = body.model_dump(exclude_unset=True)
    if body.api_url is not None:
        fields["api_url"] = str(body.api_url)
    if body.api_key is not None:
        fields["api_key"] = body.api_key.get_secret_value()
    return fields


@router.post("/providers", status_code=status.HTTP_201_CREATED)
async def create_provider(
    body: ProviderCreate, session: SessionDep, runtime: RuntimeDep
) -> ProviderOut:
    """Add a provider. It is asked its balance first: if it answers in another currency than
    `currency`, it is refused."""
    fields = _provider_fields(body) | {"currency": body.currency or runtime.settings.currency}
    upstream = runtime.adapters.probe(fields["api_url"], fields["api_key"])
    provider = await service.create_provider(session, upstream=upstream, **fields)
    return ProviderOut.model_validate(provider)


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
    dry_run: Annotated[bool, Query(description="show the changes without making them")] = False,
) -> SyncReportOut:
    """Bring in the provider's services and balance now, and show what changed."""
    synced = await sync.sync_now(session, runtime, provider_id, dry_run=dry_run)
    return SyncReportOut.model_validate(
        asdict(synced.report)
        | {"applied": synced.applied, "balance": synced.balance.balance, "balance_low": synced.low}
    )


@router.patch("/providers/{provider_id}")
async def update_provider(
    provider_id: PathId, body: ProviderUpdate, session: SessionDep
) -> ProviderOut:
    provider = await service.update_provider(session, provider_id, **_provider_fields(body))
    return ProviderOut.model_validate(provider)


@router.put("/providers/{provider_id}/services")
async def put_provider_service(
    provider_id: PathId, body: ProviderServiceIn, session: SessionDep, runtime: RuntimeDep
) -> ProviderServiceOut:
    """Record one upstream service by hand (catalogue sync does this for whole providers)."""
    fields = body.model_dump(exclude={"external_id"})
    saved = await service.upsert_provider_service(
        session,
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
async def create_service(body: ServiceCreate, session: SessionDep) -> ServiceOut:
    return ServiceOut.model_validate(await service.create_service(session, **body.model_dump()))


@router.get("/services")
async def list_services(session: SessionDep) -> list[ServiceOut]:
    return [ServiceOut.model_validate(s) for s in await service.list_services(session)]


@router.patch("/services/{service_id}")
async def update_service(
    service_id: PathId, body: ServiceUpdate, session: SessionDep
) -> ServiceOut:
    changes = body.model_dump(exclude_unset=True, exclude_none=True)
    return ServiceOut.model_validate(await service.update_service(session, service_id, **changes))


@router.put("/services/{service_id}/routes")
async def put_routes(service_id: PathId, body: RoutesIn, session: SessionDep) -> list[RouteOut]:
    saved = await routes.replace(session, service_id, body.provider_service_ids)
    return [RouteOut.model_validate(route) for route in saved]


@router.get("/services/{service_id}/routes")
async def get_routes(service_id: PathId, session: SessionDep) -> list[RouteOut]:
    await service.get_service(session, service_id)
    return [
        RouteOut.model_validate(route) for route in await routes.of_service(session, service_id)
    ]
