"""Choosing and applying a price rule: pure functions, no database.

Specificity, most specific first: account+service, account+category, account, tier+service,
tier+category, tier, then the panel-wide default (+service, +category, alone). For a reseller's
rules over its agencies the "tier" rows do not exist: the reseller's default applies to all.
"""

from collections.abc import Iterable
from decimal import Decimal

from panel.models import PriceRule
from panel.money import round_half_up

HUNDRED = Decimal(100)


def _subject_rank(rule: PriceRule) -> int:
    if rule.account_id is not None:
        return 0
    if rule.tier_id is not None:
        return 1
    return 2


def _target_rank(rule: PriceRule) -> int:
    if rule.service_id is not None:
        return 0
    if rule.category is not None:
        return 1
    return 2


def applies(
    rule: PriceRule, *, account_id: int | None, tier_id: int | None, service_id: int, category: str
) -> bool:
    if rule.account_id is not None and rule.account_id != account_id:
        return False
    if rule.tier_id is not None and rule.tier_id != tier_id:
        return False
    if rule.service_id is not None and rule.service_id != service_id:
        return False
    return rule.category is None or rule.category == category


def most_specific(
    rules: Iterable[PriceRule],
    *,
    account_id: int | None,
    tier_id: int | None,
    service_id: int,
    category: str,
) -> PriceRule | None:
    """The rule that prices `service_id` for the account (None: a reseller of `tier_id` with no
    rule of its own), or None: sold at its base rate."""
    matching = [
        rule
        for rule in rules
        if applies(
            rule, account_id=account_id, tier_id=tier_id, service_id=service_id, category=category
        )
    ]
    if not matching:
        return None
    return min(matching, key=lambda rule: (_subject_rank(rule), _target_rank(rule), -rule.id))


def sell_rate(base: Decimal, rule: PriceRule | None) -> Decimal:
    """`base` marked up by `rule`, never below `base` plus the rule's floor margin."""
    if rule is None:
        return round_half_up(base)
    marked_up = base * (1 + rule.markup_percent / HUNDRED) + rule.markup_fixed
    return round_half_up(max(marked_up, base + rule.floor_margin))
