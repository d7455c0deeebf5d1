"""Importing a provider's catalogue in bulk: one Pasok service per provider service picked,
routed to it as its primary upstream, and fail-over routes to a second provider's equivalent.

Importing is idempotent: a provider service that is already some service's primary route is
not imported again, however often (or however concurrently) the same picks are sent. Imports
from one provider are serialised on the provider's row, so two submissions cannot both find a
provider service unimported. Each call is one transaction's worth of statements, batched: a
few round trips whatever the number of services."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Select, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from panel import action_log
from panel.catalogue import routes
from panel.errors import Invalid, NotFound
from panel.models import OperatorAction, Provider, ProviderService, Route, Service

IMPORT_ACTION = "catalogue.import"
FAILOVER_ACTION = "catalogue.failover"
MAX_PICKS = 5000
NAME_SIZE = 500
CATEGORY_SIZE = 200


@dataclass(frozen=True)
class Pick:
    """A provider service to sell, with what the operator changed (None: as the provider has it)."""

    provider_service_id: int
    name: str | None = None
    description: str | None = None
    category: str | None = None


@dataclass(frozen=True)
class Filter:
    """Which of a provider's services to show or import; None or False: any."""

    category: str | None = None
    type: str | None = None
    name: str | None = None  # a part of the name, any case
    min_rate: Decimal | None = None
    max_rate: Decimal | None = None
    refill: bool = False
    cancel: bool = False
    dripfeed: bool = False
    new_only: bool = False


@dataclass(frozen=True)
class Made:
    provider_service_id: int
    service_id: int


@dataclass
class Imported:
    """What an import made, and the picks already sold (with the service selling them)."""

    provider_id: int
    made: list[Made] = field(default_factory=list)
    already: list[Made] = field(default_factory=list)


@dataclass(frozen=True)
class Listed:
    """A provider service as the import page shows it."""

    provider_service: ProviderService
    service_id: int | None  # the service it is the primary route of, if imported
    new: bool  # not imported, and arrived since the provider's last import


def _primary_of(provider_service_ids: Sequence[int]) -> Select[int, int]:
    """(provider service, service) for services whose primary route is one of these."""
    first = aliased(Route)
    lowest = (
        select(func.min(first.position)).where(first.service_id == Route.service_id)
    ).scalar_subquery()
    return select(Route.provider_service_id, Route.service_id).where(
        Route.provider_service_id.in_(provider_service_ids), Route.position == lowest
    )


async def imported(session: AsyncSession, provider_service_ids: Sequence[int]) -> dict[int, int]:
    """provider service id → the service whose primary route it is (the lowest service id)."""
    if not provider_service_ids:
        return {}
    found: dict[int, int] = {}
    rows = await session.execute(_primary_of(provider_service_ids).order_by(Route.service_id))
    for row in rows:
        found.setdefault(row[0], row[1])
    return found


async def last_import(session: AsyncSession, provider_id: int) -> datetime | None:
    return await session.scalar(
        select(func.max(OperatorAction.created_at)).where(
            OperatorAction.action == IMPORT_ACTION,
            OperatorAction.subject_type == "provider",
            OperatorAction.subject_id == provider_id,
        )
    )


async def listing(
    session: AsyncSession, provider_id: int, shown: Filter = Filter()
) -> list[Listed]:
    """The provider's listed (active) services matching `shown`, by category then name. "New"
    ones are not imported and arrived after the provider's last import (all unimported ones
    when nothing was imported from it yet): what a sync brought in since."""
    await _provider(session, provider_id)
    query = select(ProviderService).where(
        ProviderService.provider_id == provider_id, ProviderService.active.is_(True)
    )
    if shown.category:
        query = query.where(ProviderService.category == shown.category)
    if shown.type:
        query = query.where(ProviderService.type == shown.type)
    if shown.name:
        query = query.where(ProviderService.name.icontains(shown.name, autoescape=True))
    if shown.min_rate is not None:
        query = query.where(ProviderService.rate >= shown.min_rate)
    if shown.max_rate is not None:
        query = query.where(ProviderService.rate <= shown.max_rate)
    for flag, column in (
        (shown.refill, ProviderService.refill),
        (shown.cancel, ProviderService.cancel),
        (shown.dripfeed, ProviderService.dripfeed),
    ):
        if flag:
            query = query.where(column.is_(True))
    found = (
        await session.scalars(
            query.order_by(ProviderService.category, ProviderService.name, ProviderService.id)
        )
    ).all()
    sold = await imported(session, [ps.id for ps in found])
    since = await last_import(session, provider_id)
    rows = [
        Listed(
            ps,
            sold.get(ps.id),
            ps.id not in sold and (since is None or ps.created_at > since),
        )
        for ps in found
    ]
    return [row for row in rows if row.new] if shown.new_only else rows


async def categories(session: AsyncSession, provider_id: int) -> list[str]:
    """The provider's categories among its listed services, for filters and mappings."""
    rows = await session.scalars(
        select(ProviderService.category)
        .where(ProviderService.provider_id == provider_id, ProviderService.active.is_(True))
        .distinct()
        .order_by(ProviderService.category)
    )
    return list(rows)


async def import_services(
    session: AsyncSession,
    actor_id: int,
    provider_id: int,
    picks: Sequence[Pick],
    now: datetime,
    category_map: Mapping[str, str] | None = None,
) -> Imported:
    """Make a service, routed to it, for each picked provider service not already sold. The
    category is the pick's, else the provider's mapped through `category_map`, else the
    provider's own. Invalid (nothing written) for an unknown, unlisted or repeated pick."""
    category_map = dict(category_map or {})
    _check_picks(picks, category_map)
    # FOR NO KEY UPDATE: imports from one provider wait for each other, while orders and
    # provider services, which only reference the row, do not wait.
    provider = await session.scalar(
        select(Provider).where(Provider.id == provider_id).with_for_update(key_share=True)
    )
    if provider is None:
        raise NotFound(f"provider {provider_id} does not exist")
    wanted = [pick.provider_service_id for pick in picks]
    known = {
        ps.id: ps
        for ps in await session.scalars(
            select(ProviderService).where(
                ProviderService.id.in_(wanted), ProviderService.provider_id == provider_id
            )
        )
    }
    if missing := [ps_id for ps_id in wanted if ps_id not in known]:
        raise Invalid(f"provider services {missing[:20]} are not services of this provider")
    if gone := [ps_id for ps_id in wanted if not known[ps_id].active]:
        raise Invalid(f"provider services {gone[:20]} are no longer listed by the provider")
    sold = await imported(session, wanted)
    outcome = Imported(provider_id)
    outcome.already = [Made(ps_id, sold[ps_id]) for ps_id in wanted if ps_id in sold]
    fresh = [pick for pick in picks if pick.provider_service_id not in sold]
    if fresh:
        rows = [_service_row(known[pick.provider_service_id], pick, category_map) for pick in fresh]
        # One INSERT for all services (ids back in the order sent), one for all routes.
        made_ids = list(
            await session.scalars(
                insert(Service).returning(Service.id, sort_by_parameter_order=True), rows
            )
        )
        await session.execute(
            insert(Route),
            [
                {
                    "service_id": service_id,
                    "provider_service_id": pick.provider_service_id,
                    "position": 0,
                }
                for pick, service_id in zip(fresh, made_ids, strict=True)
            ],
        )
        outcome.made = [
            Made(pick.provider_service_id, service_id)
            for pick, service_id in zip(fresh, made_ids, strict=True)
        ]
    await action_log.record(
        session,
        actor_id,
        IMPORT_ACTION,
        "provider",
        provider_id,
        after={
            "made": len(outcome.made),
            "already": len(outcome.already),
            "service_ids": [made.service_id for made in outcome.made],
            "at": now,
        },
    )
    return outcome


async def import_matching(
    session: AsyncSession,
    actor_id: int,
    provider_id: int,
    shown: Filter,
    now: datetime,
    category_map: Mapping[str, str] | None = None,
) -> Imported:
    """Import every listed service of the provider matching `shown`."""
    picks = [Pick(row.provider_service.id) for row in await listing(session, provider_id, shown)]
    return await import_services(session, actor_id, provider_id, picks, now, category_map)


def _check_picks(picks: Sequence[Pick], category_map: Mapping[str, str]) -> None:
    if not picks:
        raise Invalid("pick at least one provider service")
    if len(picks) > MAX_PICKS:
        raise Invalid(f"at most {MAX_PICKS} provider services at once")
    ids = [pick.provider_service_id for pick in picks]
    if len(set(ids)) != len(ids):
        raise Invalid("a provider service is picked twice")
    for pick in picks:
        if pick.name is not None and not 1 <= len(pick.name.strip()) <= NAME_SIZE:
            raise Invalid(f"a name must have 1 to {NAME_SIZE} characters")
        if pick.category is not None and len(pick.category) > CATEGORY_SIZE:
            raise Invalid(f"a category has at most {CATEGORY_SIZE} characters")
    if any(len(to) > CATEGORY_SIZE for to in category_map.values()):
        raise Invalid(f"a category has at most {CATEGORY_SIZE} characters")


def _service_row(
    ps: ProviderService, pick: Pick, category_map: Mapping[str, str]
) -> dict[str, object]:
    minimum = max(ps.min_quantity, 1)
    return {
        "name": pick.name.strip() if pick.name is not None else ps.name,
        "type": ps.type,
        "category": (
            pick.category
            if pick.category is not None
            else category_map.get(ps.category, ps.category)
        ),
        "description": pick.description if pick.description is not None else ps.description,
        "min_quantity": minimum,
        "max_quantity": max(ps.max_quantity, minimum),
        "refill": ps.refill,
        "cancel": ps.cancel,
        "dripfeed": ps.dripfeed,
        "one_order_per_link": False,
        "enabled": True,
    }


@dataclass(frozen=True)
class Pair:
    service_id: int
    provider_service_id: int


@dataclass
class FailedOver:
    added: list[Pair] = field(default_factory=list)
    already: list[Pair] = field(default_factory=list)  # the service had that route already


async def add_failover(session: AsyncSession, actor_id: int, pairs: Sequence[Pair]) -> FailedOver:
    """Add each pair's provider service as the last route of its service, once: a pair whose
    route exists is left as it is. Invalid or NotFound (nothing written) for unknown ids."""
    if not pairs:
        raise Invalid("give at least one service and provider service")
    if len(pairs) > MAX_PICKS:
        raise Invalid(f"at most {MAX_PICKS} pairs at once")
    service_ids = sorted({pair.service_id for pair in pairs})
    # Locked in id order: two fail-over calls on the same services wait rather than both
    # reading the routes before either writes.
    found = set(
        await session.scalars(
            select(Service.id)
            .where(Service.id.in_(service_ids))
            .order_by(Service.id)
            .with_for_update(key_share=True)
        )
    )
    if missing := [sid for sid in service_ids if sid not in found]:
        raise NotFound(f"services {missing[:20]} do not exist")
    ps_ids = {pair.provider_service_id for pair in pairs}
    known = set(
        await session.scalars(select(ProviderService.id).where(ProviderService.id.in_(ps_ids)))
    )
    if unknown := sorted(ps_ids - known):
        raise Invalid(f"provider services {unknown[:20]} do not exist")
    current: dict[int, list[int]] = {sid: [] for sid in service_ids}
    for route in await session.scalars(
        select(Route).where(Route.service_id.in_(service_ids)).order_by(Route.position)
    ):
        current[route.service_id].append(route.provider_service_id)
    outcome = FailedOver()
    before = {sid: list(ids) for sid, ids in current.items()}
    for pair in pairs:
        chain = current[pair.service_id]
        if pair.provider_service_id in chain:
            outcome.already.append(pair)
        else:
            chain.append(pair.provider_service_id)
            outcome.added.append(pair)
    for sid in service_ids:
        if current[sid] == before[sid]:
            continue
        await routes.replace(session, sid, current[sid])
        await action_log.record(
            session,
            actor_id,
            FAILOVER_ACTION,
            "service",
            sid,
            before={"routes": before[sid]},
            after={"routes": current[sid]},
        )
    return outcome


async def _provider(session: AsyncSession, provider_id: int) -> Provider:
    provider = await session.get(Provider, provider_id)
    if provider is None:
        raise NotFound(f"provider {provider_id} does not exist")
    return provider
