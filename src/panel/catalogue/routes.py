"""Routes: the ordered upstreams that can fulfil a Pasok service."""

from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import ColumnElement, and_, delete, or_, select
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.ext.asyncio import AsyncSession

from panel import action_log
from panel.errors import Invalid, NotFound
from panel.growth import service_updates
from panel.models import Provider, ProviderService, Route, Service


def live() -> ColumnElement[bool]:
    """A route can take orders: its provider service is listed and has a cost in the panel's
    currency (its provider's currency has an exchange rate), its provider enabled and not known
    to be out of funds."""
    return and_(
        ProviderService.active.is_(True),
        ProviderService.cost.is_not(None),
        Provider.enabled.is_(True),
        or_(Provider.balance.is_(None), Provider.balance > 0),
    )


async def priced_services(
    session: AsyncSession, service_ids: Sequence[int] | None = None
) -> list[tuple[Service, Decimal]]:
    """Enabled services (all, or those asked) with the cost in the panel's currency of their
    first live route, by service id; services with no live route are left out."""
    query = (
        select(Service, ProviderService.cost)
        .join(Route, Route.service_id == Service.id)
        .join(ProviderService, ProviderService.id == Route.provider_service_id)
        .join(Provider, Provider.id == ProviderService.provider_id)
        .where(Service.enabled.is_(True), live())
        # DISTINCT ON keeps each service's first row: its primary live route.
        .ext(distinct_on(Service.id))
        .order_by(Service.id, Route.position)
    )
    if service_ids is not None:
        query = query.where(Service.id.in_(service_ids))
    return [(service, cost) for service, cost in await session.execute(query) if cost is not None]


async def live_routes(session: AsyncSession, service_id: int) -> list[ProviderService]:
    """The provider services able to fulfil `service_id`, primary first."""
    rows = await session.scalars(
        select(ProviderService)
        .join(Route, Route.provider_service_id == ProviderService.id)
        .join(Provider, Provider.id == ProviderService.provider_id)
        .where(Route.service_id == service_id, live())
        .order_by(Route.position)
    )
    return list(rows)


async def replace(
    session: AsyncSession, service_id: int, provider_service_ids: Sequence[int]
) -> list[Route]:
    """Set the service's routes to `provider_service_ids`, in that order of preference."""
    if await session.get(Service, service_id) is None:
        raise NotFound(f"service {service_id} does not exist")
    if len(set(provider_service_ids)) != len(provider_service_ids):
        raise Invalid("a provider service appears twice in the routes")
    known = set(
        await session.scalars(
            select(ProviderService.id).where(ProviderService.id.in_(provider_service_ids))
        )
    )
    if missing := [ps for ps in provider_service_ids if ps not in known]:
        raise Invalid(f"provider services {missing} do not exist")
    # New routes can make a service orderable (new, or back), take it out, or move its cost.
    async with service_updates.recorded(session, [service_id]):
        await session.execute(delete(Route).where(Route.service_id == service_id))
        routes = [
            Route(service_id=service_id, provider_service_id=ps, position=position)
            for position, ps in enumerate(provider_service_ids)
        ]
        session.add_all(routes)
        await session.flush()
    return routes


async def of_service(session: AsyncSession, service_id: int) -> list[Route]:
    rows = await session.scalars(
        select(Route).where(Route.service_id == service_id).order_by(Route.position)
    )
    return list(rows)


async def replace_by(
    session: AsyncSession, actor_id: int, service_id: int, provider_service_ids: Sequence[int]
) -> list[Route]:
    """`replace`, recorded as the operator's with the routes before and after."""
    before = [route.provider_service_id for route in await of_service(session, service_id)]
    saved = await replace(session, service_id, provider_service_ids)
    await action_log.record(
        session,
        actor_id,
        "service.routes",
        "service",
        service_id,
        before={"routes": before},
        after={"routes": [route.provider_service_id for route in saved]},
    )
    return saved
