"""Prices at a glance, for the operator: every service with its cost, its sell rate in each tier,
the margin and the rule that sets it; a proposed change of rules shown tier by tier before it is
saved; and services enabled or disabled many at a time.

Every figure is the pricing service's own (`service.tier_prices`). A preview saves the change
through the rule book inside a savepoint, reads the prices, and rolls the savepoint back: what
it shows is what saving produces, from the same code, and it leaves nothing behind. Every
write is recorded in the action log, in the transaction of the write."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from panel import action_log
from panel.catalogue import service as catalogue
from panel.errors import Invalid, NotFound
from panel.models import PriceRule, Service
from panel.pricing import rule_book, tiers
from panel.pricing.service import tier_prices

AMOUNTS = ("markup_percent", "markup_fixed", "floor_margin")
RULE_FIELDS = ("tier_id", "service_id", "category", *AMOUNTS)
MOST_SERVICES = 1000
ZERO = Decimal(0)
# Bulk changes of the operator's rules take turns: two at once would both find no rule for a
# scope and both insert one.
LOCK = "price-rules:operator"


@dataclass(frozen=True)
class Level:
    """A column of the glance: a tier, or (tier_id None) resellers in no tier."""

    tier_id: int | None
    name: str


@dataclass(frozen=True)
class RuleShown:
    """The rule behind a rate, as it stood when read."""

    rule_id: int
    tier_id: int | None
    service_id: int | None
    category: str | None
    markup_percent: Decimal
    markup_fixed: Decimal
    floor_margin: Decimal

    @property
    def target(self) -> str:
        """What the rule names: "service", "category" or "all"."""
        if self.service_id is not None:
            return "service"
        return "category" if self.category is not None else "all"


@dataclass(frozen=True)
class TierRate:
    tier_id: int | None
    rate: Decimal
    margin: Decimal  # the rate over the cost, per 1000
    rule: RuleShown | None  # None: sold at cost


@dataclass(frozen=True)
class Row:
    """A service; `cost` and `rates` are empty when it cannot be ordered (disabled, no live
    route)."""

    service_id: int
    name: str
    category: str
    enabled: bool
    cost: Decimal | None
    rates: tuple[TierRate, ...]


@dataclass(frozen=True)
class Glance:
    levels: list[Level]
    rows: list[Row]
    categories: list[str]  # every category, for choosing one


@dataclass(frozen=True)
class Change:
    """A rule to set for a category or for each of some services, on a tier or (tier_id None)
    panel-wide. An amount left None is kept as the rule has it (zero for a new rule)."""

    tier_id: int | None = None
    category: str | None = None
    service_ids: tuple[int, ...] = ()
    markup_percent: Decimal | None = None
    markup_fixed: Decimal | None = None
    floor_margin: Decimal | None = None

    def amounts(self) -> dict[str, Decimal]:
        given = {name: getattr(self, name) for name in AMOUNTS}
        return {name: value for name, value in given.items() if value is not None}


@dataclass(frozen=True)
class Saved:
    """One rule a change creates or updates; `rule` is None in a preview's answer for a rule
    not saved yet."""

    action: str  # "create", "update" or "unchanged"
    rule_id: int | None
    before: dict[str, Any] | None
    after: dict[str, Any]
    rule: PriceRule | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Moved:
    """One affected service's rates in every tier, before and after the change."""

    service_id: int
    name: str
    category: str
    cost: Decimal | None
    before: tuple[TierRate, ...]
    after: tuple[TierRate, ...]

    def changed(self) -> list[int | None]:
        """The tiers whose rate moves."""
        was = {rate.tier_id: rate.rate for rate in self.before}
        return [rate.tier_id for rate in self.after if was.get(rate.tier_id) != rate.rate]


@dataclass(frozen=True)
class Preview:
    levels: list[Level]
    rows: list[Moved]
    rules: list[Saved]


async def glance(
    session: AsyncSession,
    *,
    category: str | None = None,
    name: str | None = None,
    service_ids: Sequence[int] | None = None,
) -> Glance:
    """Services (of a category, whose name holds `name`, or those asked) by category and name,
    each with its rate in every tier."""
    services = await catalogue.list_services(session)
    categories = sorted({service.category for service in services})
    wanted = name.casefold() if name else None
    shown = [
        service
        for service in services
        if (category is None or service.category == category)
        and (wanted is None or wanted in service.name.casefold())
        and (service_ids is None or service.id in service_ids)
    ]
    shown.sort(key=lambda service: (service.category, service.name, service.id))
    levels = [Level(None, "")] + [
        Level(tier.id, tier.name) for tier in await tiers.list_tiers(session)
    ]
    ids = [service.id for service in shown]
    prices = [await tier_prices(session, level.tier_id, ids) for level in levels]
    rows = []
    for service in shown:
        # Every level prices the same orderable services: a service is in all or in none.
        found = [by_service[service.id] for by_service in prices if service.id in by_service]
        rates = tuple(
            TierRate(level.tier_id, price.rate, price.rate - price.cost, _shown(price.rule))
            for level, price in zip(levels if found else [], found, strict=True)
        )
        rows.append(
            Row(
                service.id,
                service.name,
                service.category,
                service.enabled,
                found[0].cost if found else None,
                rates,
            )
        )
    return Glance(levels, rows, categories)


async def preview(session: AsyncSession, change: Change) -> Preview:
    """What `change` would make of every affected service's rate in every tier, and the rules
    it would create or update. Nothing is written: Invalid, NotFound or Conflict as saving
    would refuse it."""
    ids = await _affected(session, change)
    await _take_turn(session)
    before = await glance(session, service_ids=ids)
    savepoint = await session.begin_nested()
    try:
        planned = await _save(session, change)
        after = await glance(session, service_ids=ids)
    finally:
        await savepoint.rollback()
    rates_after = {row.service_id: row.rates for row in after.rows}
    return Preview(
        after.levels,
        [
            Moved(
                row.service_id,
                row.name,
                row.category,
                row.cost,
                row.rates,
                rates_after[row.service_id],
            )
            for row in before.rows
        ],
        [
            Saved(
                saved.action, None if saved.action == "create" else saved.rule_id, **_sides(saved)
            )
            for saved in planned
        ],
    )


async def apply(session: AsyncSession, actor_id: int, change: Change) -> list[Saved]:
    """Save `change` through the rule book, recording each rule created or updated."""
    await _affected(session, change)
    await _take_turn(session)
    saved = await _save(session, change)
    for one in saved:
        if one.action != "unchanged":
            await action_log.record(
                session,
                actor_id,
                f"price_rule.{one.action}",
                "price_rule",
                one.rule_id,
                before=one.before,
                after=one.after,
            )
    return saved


async def set_enabled(
    session: AsyncSession, actor_id: int, service_ids: Sequence[int], enabled: bool
) -> list[int]:
    """Enable or disable every service in `service_ids` through the catalogue; the ids of those
    that changed. NotFound, and nothing changed, if one does not exist."""
    ids = sorted(set(service_ids))
    if not ids:
        raise Invalid("choose at least one service")
    if len(ids) > MOST_SERVICES:
        raise Invalid(f"at most {MOST_SERVICES} services at a time")
    found = {
        service.id: service
        for service in await session.scalars(select(Service).where(Service.id.in_(ids)))
    }
    if missing := [service_id for service_id in ids if service_id not in found]:
        raise NotFound(f"services {missing} do not exist")
    changed = []
    for service_id in ids:
        if found[service_id].enabled is enabled:
            continue
        await catalogue.update_service(session, service_id, enabled=enabled)
        await action_log.record(
            session,
            actor_id,
            "service.enable" if enabled else "service.disable",
            "service",
            service_id,
            before={"enabled": not enabled},
            after={"enabled": enabled},
        )
        changed.append(service_id)
    return changed


async def _affected(session: AsyncSession, change: Change) -> list[int]:
    """The services `change` reaches; Invalid for a change that names nothing or too much."""
    if (change.category is None) == (not change.service_ids):
        raise Invalid("a change targets a category or some services, one of the two")
    if not change.amounts():
        raise Invalid("give a markup percent, a fixed markup or a floor margin")
    if change.tier_id is not None:
        await tiers.get(session, change.tier_id)
    if change.category is not None:
        ids = list(
            await session.scalars(select(Service.id).where(Service.category == change.category))
        )
        if not ids:
            raise Invalid(f"no service is in category {change.category!r}")
        return ids
    ids = sorted(set(change.service_ids))
    if len(ids) > MOST_SERVICES:
        raise Invalid(f"at most {MOST_SERVICES} services at a time")
    known = set(await session.scalars(select(Service.id).where(Service.id.in_(ids))))
    if missing := [service_id for service_id in ids if service_id not in known]:
        raise NotFound(f"services {missing} do not exist")
    return ids


async def _take_turn(session: AsyncSession) -> None:
    await session.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(LOCK, 0))))


async def _save(session: AsyncSession, change: Change) -> list[Saved]:
    """Create or update the operator's rule of each scope the change names."""
    targets: list[tuple[int | None, str | None]] = (
        [(None, change.category)]
        if change.category is not None
        else [(service_id, None) for service_id in sorted(set(change.service_ids))]
    )
    amounts = change.amounts()
    saved = []
    for service_id, category in targets:
        existing = await session.scalar(
            select(PriceRule).where(
                PriceRule.owner_id.is_(None),
                PriceRule.account_id.is_(None),
                PriceRule.tier_id.is_not_distinct_from(change.tier_id),
                PriceRule.service_id.is_not_distinct_from(service_id),
                PriceRule.category.is_not_distinct_from(category),
            )
        )
        if existing is None:
            rule = await rule_book.create(
                session,
                tier_id=change.tier_id,
                service_id=service_id,
                category=category,
                markup_percent=amounts.get("markup_percent", ZERO),
                markup_fixed=amounts.get("markup_fixed", ZERO),
                floor_margin=amounts.get("floor_margin", ZERO),
            )
            after = action_log.snapshot(rule, RULE_FIELDS)
            saved.append(Saved("create", rule.id, None, after, rule))
            continue
        before = action_log.snapshot(existing, RULE_FIELDS)
        rule = await rule_book.update(session, existing.id, **amounts)
        after = action_log.snapshot(rule, RULE_FIELDS)
        action = "unchanged" if after == before else "update"
        saved.append(Saved(action, rule.id, before, after, rule))
    return saved


def _sides(saved: Saved) -> dict[str, Any]:
    return {"before": saved.before, "after": saved.after}


def _shown(rule: PriceRule | None) -> RuleShown | None:
    if rule is None:
        return None
    return RuleShown(
        rule.id,
        rule.tier_id,
        rule.service_id,
        rule.category,
        rule.markup_percent,
        rule.markup_fixed,
        rule.floor_margin,
    )
