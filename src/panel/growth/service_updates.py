"""Service updates: every change to a service that a buyer would care about (new, price up or
down, quantities, disabled, enabled, refill, cancel), for a feed per buyer at its own prices.

Changes are recorded where they are made (the catalogue sync, an operator's edits of services,
upstream services and routes, a new exchange rate) by `recorded`: the services' state is read
before and after, in the same transaction, and what differs is kept. A service's state is what
the pricing code sells: orderable means enabled with a live route, and its cost is its primary
live route's, in the panel's currency (`routes.priced_services`).

One row per change serves every buyer: a price change keeps the base cost before and after,
and each reader's rates are derived from it by that reader's price rules (tiers, the
operator's rules, the reseller's markup for its agencies) when it is read, through the same
`pricing.Pricer` that prices orders. A change of price rules themselves is not a change of the
catalogue and is not in the feed: the services list shows the new prices.

Reading them, each buyer at its own rates, and the `service.updated` webhooks are in
`update_feed`. This module imports no pricing or webhooks, so the catalogue can call it.
"""

from collections.abc import AsyncIterator, Collection
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from panel.catalogue import routes
from panel.models import (
    Provider,
    ProviderService,
    Route,
    Service,
    ServiceChange,
    ServiceUpdate,
)
from panel.plumbing.retention import BATCH, delete_batch


@dataclass(frozen=True)
class State:
    """What a buyer sees of a service at one moment."""

    orderable: bool
    cost: Decimal | None  # the primary live route's cost; None when not orderable
    min_quantity: int
    max_quantity: int
    refill: bool
    cancel: bool


async def states(session: AsyncSession, service_ids: Collection[int] | None) -> dict[int, State]:
    """The state of these services (None: of every service), by id."""
    query = select(Service)
    if service_ids is not None:
        query = query.where(Service.id.in_(service_ids))
    found = list(await session.scalars(query))
    ids = None if service_ids is None else [service.id for service in found]
    costs = {service.id: cost for service, cost in await routes.priced_services(session, ids)}
    return {
        service.id: State(
            orderable=service.id in costs,
            cost=costs.get(service.id),
            min_quantity=service.min_quantity,
            max_quantity=service.max_quantity,
            refill=service.refill,
            cancel=service.cancel,
        )
        for service in found
    }


async def routed_to_provider(session: AsyncSession, provider_id: int) -> list[int]:
    """The services with a route to any of the provider's services: those its changes move."""
    found = await session.scalars(
        select(Route.service_id)
        .join(ProviderService, ProviderService.id == Route.provider_service_id)
        .where(ProviderService.provider_id == provider_id)
        .distinct()
    )
    return list(found)


async def routed_in_currency(session: AsyncSession, currency: str) -> list[int]:
    """The services with a route to a provider charging in `currency`: those its exchange
    rate moves."""
    found = await session.scalars(
        select(Route.service_id)
        .join(ProviderService, ProviderService.id == Route.provider_service_id)
        .join(Provider, Provider.id == ProviderService.provider_id)
        .where(Provider.currency == currency)
        .distinct()
    )
    return list(found)


async def routed_to(session: AsyncSession, provider_service_id: int) -> list[int]:
    """The services with a route to this provider service."""
    found = await session.scalars(
        select(Route.service_id).where(Route.provider_service_id == provider_service_id)
    )
    return list(dict.fromkeys(found))


@asynccontextmanager
async def recorded(
    session: AsyncSession, service_ids: Collection[int] | None
) -> AsyncIterator[None]:
    """Record what the block changes in these services (None: in any service), in the
    caller's transaction, so an update exists exactly when its change commits."""
    if service_ids is not None and not service_ids:
        yield
        return
    before = await states(session, service_ids)
    yield
    await session.flush()
    await record(session, before, await states(session, service_ids))


async def record(
    session: AsyncSession, before: dict[int, State], after: dict[int, State]
) -> list[ServiceUpdate]:
    """Keep the differences between two reads of the services' state."""
    made: list[ServiceUpdate] = []
    appearing: list[int] = []
    for service_id, now in sorted(after.items()):
        was = before.get(service_id)
        if was is None or was.orderable != now.orderable:
            if now.orderable:
                appearing.append(service_id)
            elif was is not None:
                made.append(
                    ServiceUpdate(
                        service_id=service_id, change=ServiceChange.disabled, cost_before=was.cost
                    )
                )
            continue
        if not now.orderable:
            continue  # a service nobody can order changes nothing a buyer sees
        made += _differences(service_id, was, now)
    # A service orderable for the first time is new; one that was orderable before is back.
    seen = set(
        await session.scalars(
            select(ServiceUpdate.service_id)
            .where(ServiceUpdate.service_id.in_(appearing))
            .distinct()
        )
    )
    for service_id in appearing:
        now = after[service_id]
        made.append(
            ServiceUpdate(
                service_id=service_id,
                change=ServiceChange.enabled if service_id in seen else ServiceChange.added,
                cost_after=now.cost,
                min_after=now.min_quantity,
                max_after=now.max_quantity,
            )
        )
    session.add_all(made)
    await session.flush()
    return made


def _differences(service_id: int, was: State, now: State) -> list[ServiceUpdate]:
    """The changes to a service orderable before and after."""
    made = []
    if was.cost != now.cost:
        made.append(
            ServiceUpdate(
                service_id=service_id,
                change=ServiceChange.price,
                cost_before=was.cost,
                cost_after=now.cost,
            )
        )
    if (was.min_quantity, was.max_quantity) != (now.min_quantity, now.max_quantity):
        made.append(
            ServiceUpdate(
                service_id=service_id,
                change=ServiceChange.limits,
                min_before=was.min_quantity,
                min_after=now.min_quantity,
                max_before=was.max_quantity,
                max_after=now.max_quantity,
            )
        )
    for change, old, new in (
        (ServiceChange.refill, was.refill, now.refill),
        (ServiceChange.cancel, was.cancel, now.cancel),
    ):
        if old != new:
            made.append(
                ServiceUpdate(
                    service_id=service_id, change=change, allowed_before=old, allowed_after=new
                )
            )
    return made


async def purge(session: AsyncSession, now: datetime, days: float, batch: int = BATCH) -> int:
    """Forget updates older than `days` that were sent as webhooks, at most `batch` of them;
    returns how many. Each service's newest update stays whatever its age: it is what tells
    a service orderable again (`enabled`) from one orderable for the first time (`added`)."""
    newer = aliased(ServiceUpdate)
    return await delete_batch(
        session,
        ServiceUpdate,
        select(ServiceUpdate.id).where(
            ServiceUpdate.fanned_out_at.is_not(None),
            ServiceUpdate.created_at < now - timedelta(days=days),
            select(newer.id)
            .where(newer.service_id == ServiceUpdate.service_id, newer.id > ServiceUpdate.id)
            .exists(),
        ),
        oldest_first=ServiceUpdate.created_at,
        batch=batch,
    )
