"""Keeping price rules: who may set which scope, one rule per scope."""

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from panel import action_log
from panel.errors import Conflict, Invalid, NotFound
from panel.models import Account, AccountKind, PriceRule, Service, Tier


async def create(
    session: AsyncSession,
    *,
    owner_id: int | None = None,
    account_id: int | None = None,
    tier_id: int | None = None,
    service_id: int | None = None,
    category: str | None = None,
    markup_percent: Decimal = Decimal(0),
    markup_fixed: Decimal = Decimal(0),
    floor_margin: Decimal = Decimal(0),
) -> PriceRule:
    """Add a rule. Operator rules (no owner) price resellers; a reseller's rules (owner = the
    reseller) price its own agencies, on top of the reseller's rate."""
    if account_id is not None and tier_id is not None:
        raise Invalid("a rule applies to an account or to a tier, not both")
    if service_id is not None and category is not None:
        raise Invalid("a rule targets a service or a category, not both")
    _check_amounts(markup_percent, floor_margin)
    await _check_scope(session, owner_id, account_id, tier_id, service_id)
    rule = PriceRule(
        owner_id=owner_id,
        account_id=account_id,
        tier_id=tier_id,
        service_id=service_id,
        category=category,
        markup_percent=markup_percent,
        markup_fixed=markup_fixed,
        floor_margin=floor_margin,
    )
    duplicate = await session.scalar(
        select(PriceRule.id).where(
            *(
                getattr(PriceRule, column).is_not_distinct_from(getattr(rule, column))
                for column in ("owner_id", "account_id", "tier_id", "service_id", "category")
            )
        )
    )
    if duplicate is not None:
        raise Conflict(f"rule {duplicate} already covers this scope; delete it first")
    session.add(rule)
    await session.flush()
    return rule


async def update(
    session: AsyncSession,
    rule_id: int,
    *,
    markup_percent: Decimal | None = None,
    markup_fixed: Decimal | None = None,
    floor_margin: Decimal | None = None,
) -> PriceRule:
    """Change a rule's amounts, keeping its scope; an amount not given is kept."""
    rule = await session.get(PriceRule, rule_id)
    if rule is None:
        raise NotFound(f"price rule {rule_id} does not exist")
    percent = rule.markup_percent if markup_percent is None else markup_percent
    floor = rule.floor_margin if floor_margin is None else floor_margin
    _check_amounts(percent, floor)
    rule.markup_percent, rule.floor_margin = percent, floor
    if markup_fixed is not None:
        rule.markup_fixed = markup_fixed
    await session.flush()
    return rule


def _check_amounts(markup_percent: Decimal, floor_margin: Decimal) -> None:
    if markup_percent < -100:
        raise Invalid("markup_percent cannot be below -100")
    if floor_margin < 0:
        raise Invalid("floor_margin cannot be negative")


async def _check_scope(
    session: AsyncSession,
    owner_id: int | None,
    account_id: int | None,
    tier_id: int | None,
    service_id: int | None,
) -> None:
    if owner_id is not None:
        owner = await session.get(Account, owner_id)
        if owner is None or owner.kind is not AccountKind.reseller:
            raise Invalid(f"owner {owner_id} is not a reseller")
        if tier_id is not None:
            raise Invalid("a reseller prices its agencies by agency, not by tier")
    if account_id is not None:
        account = await session.get(Account, account_id)
        if owner_id is None and (account is None or account.kind is not AccountKind.reseller):
            raise Invalid(f"account {account_id} is not a reseller")
        if owner_id is not None and (account is None or account.parent_id != owner_id):
            raise Invalid(f"account {account_id} is not an agency of reseller {owner_id}")
    if tier_id is not None and await session.get(Tier, tier_id) is None:
        raise Invalid(f"tier {tier_id} does not exist")
    if service_id is not None and await session.get(Service, service_id) is None:
        raise Invalid(f"service {service_id} does not exist")


async def list_rules(session: AsyncSession, *, owner_id: int | None = None) -> Sequence[PriceRule]:
    owner = PriceRule.owner_id.is_(None) if owner_id is None else PriceRule.owner_id == owner_id
    return (await session.scalars(select(PriceRule).where(owner).order_by(PriceRule.id))).all()


async def delete(session: AsyncSession, rule_id: int) -> None:
    rule = await session.get(PriceRule, rule_id)
    if rule is None:
        raise NotFound(f"price rule {rule_id} does not exist")
    await session.delete(rule)
    await session.flush()


# --- an operator's changes, recorded in the action log -----------------------------------------

RULE_FIELDS = (
    "owner_id",
    "account_id",
    "tier_id",
    "service_id",
    "category",
    "markup_percent",
    "markup_fixed",
    "floor_margin",
)


async def create_by(session: AsyncSession, actor_id: int, **fields: Any) -> PriceRule:
    """`create`, recorded as the operator's."""
    rule = await create(session, **fields)
    after = action_log.snapshot(rule, RULE_FIELDS)
    await action_log.record(
        session, actor_id, "price_rule.create", "price_rule", rule.id, after=after
    )
    return rule


async def delete_by(session: AsyncSession, actor_id: int, rule_id: int) -> None:
    """`delete`, recorded with the rule as it was."""
    rule = await session.get(PriceRule, rule_id)
    before = action_log.snapshot(rule, RULE_FIELDS) if rule is not None else None
    await delete(session, rule_id)
    await action_log.record(
        session, actor_id, "price_rule.delete", "price_rule", rule_id, before=before
    )


# --- a reseller's markup for all its agencies ----------------------------------------------------


async def agency_markup(session: AsyncSession, reseller: Account) -> tuple[PriceRule | None, int]:
    """The reseller's general rule over its agencies (none for one agency, service or
    category), and how many narrower rules it has."""
    rules = await list_rules(session, owner_id=reseller.id)
    general = [
        rule
        for rule in rules
        if rule.account_id is None and rule.service_id is None and rule.category is None
    ]
    return (general[0] if general else None), len(rules) - len(general)


async def set_agency_markup(
    session: AsyncSession, reseller: Account, percent: Decimal
) -> PriceRule:
    """Replace the reseller's general rule for its agencies with one at `percent`; its fixed
    markup and floor, if an operator set any, are kept."""
    # Two saves at once would both delete the old rule and both insert a new one.
    lock = func.pg_advisory_xact_lock(func.hashtextextended(f"markup:{reseller.id}", 0))
    await session.execute(select(lock))
    general, _ = await agency_markup(session, reseller)
    kept: dict[str, Any] = {}
    if general is not None:
        kept = {"markup_fixed": general.markup_fixed, "floor_margin": general.floor_margin}
        await delete(session, general.id)
    return await create(session, owner_id=reseller.id, markup_percent=percent, **kept)
