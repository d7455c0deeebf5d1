"""The pure rule functions: which rule wins, and what rate it gives."""

from decimal import Decimal
from itertools import count

import pytest
from hypothesis import given
from hypothesis import strategies as st

from panel.models import PriceRule
from panel.pricing.rule_choice import most_specific, sell_rate

ACCOUNT, OTHER_ACCOUNT = 10, 11
TIER, OTHER_TIER = 20, 21
SERVICE, OTHER_SERVICE = 30, 31
CATEGORY, OTHER_CATEGORY = "Followers", "Likes"

_ids = count(1)


def rule(
    *,
    account_id: int | None = None,
    tier_id: int | None = None,
    service_id: int | None = None,
    category: str | None = None,
    percent: str = "0",
    fixed: str = "0",
    floor: str = "0",
    id: int | None = None,
) -> PriceRule:
    return PriceRule(
        id=next(_ids) if id is None else id,
        owner_id=None,
        account_id=account_id,
        tier_id=tier_id,
        service_id=service_id,
        category=category,
        markup_percent=Decimal(percent),
        markup_fixed=Decimal(fixed),
        floor_margin=Decimal(floor),
    )


def pick(rules: list[PriceRule], *, tier_id: int | None = TIER) -> PriceRule | None:
    return most_specific(
        rules, account_id=ACCOUNT, tier_id=tier_id, service_id=SERVICE, category=CATEGORY
    )


# Most specific first, as the design lists them.
SCOPES: list[tuple[str, dict[str, object]]] = [
    ("account+service", {"account_id": ACCOUNT, "service_id": SERVICE}),
    ("account+category", {"account_id": ACCOUNT, "category": CATEGORY}),
    ("account", {"account_id": ACCOUNT}),
    ("tier+service", {"tier_id": TIER, "service_id": SERVICE}),
    ("tier+category", {"tier_id": TIER, "category": CATEGORY}),
    ("tier", {"tier_id": TIER}),
    ("default+service", {"service_id": SERVICE}),
    ("default+category", {"category": CATEGORY}),
    ("default", {}),
]


@pytest.mark.parametrize("level", range(len(SCOPES)), ids=[name for name, _ in SCOPES])
def test_each_scope_wins_over_every_less_specific_one(level: int) -> None:
    winner = rule(**SCOPES[level][1])  # type: ignore[arg-type]
    weaker = [rule(**scope) for _, scope in SCOPES[level + 1 :]]  # type: ignore[arg-type]
    # Whatever the order (and whatever the ids), the more specific rule is chosen.
    assert pick([*weaker, winner]) is winner
    assert pick([winner, *reversed(weaker)]) is winner
    # With it gone, the next level takes over.
    if weaker:
        assert pick(weaker) is weaker[0]


@pytest.mark.parametrize(
    "scope",
    [
        {"account_id": OTHER_ACCOUNT},
        {"account_id": OTHER_ACCOUNT, "service_id": SERVICE},
        {"account_id": ACCOUNT, "service_id": OTHER_SERVICE},
        {"account_id": ACCOUNT, "category": OTHER_CATEGORY},
        {"tier_id": OTHER_TIER},
        {"tier_id": OTHER_TIER, "service_id": SERVICE},
        {"tier_id": TIER, "service_id": OTHER_SERVICE},
        {"tier_id": TIER, "category": OTHER_CATEGORY},
        {"service_id": OTHER_SERVICE},
        {"category": OTHER_CATEGORY},
    ],
)
def test_a_rule_for_someone_or_something_else_does_not_apply(scope: dict[str, object]) -> None:
    foreign = rule(**scope)  # type: ignore[arg-type]
    fallback = rule()
    assert pick([foreign]) is None
    assert pick([foreign, fallback]) is fallback


def test_tier_rules_do_not_apply_without_a_tier() -> None:
    tier_rule = rule(tier_id=TIER)
    default = rule()
    assert pick([tier_rule, default], tier_id=None) is default


def test_no_rules_no_match() -> None:
    assert pick([]) is None


def test_no_rule_sells_at_cost() -> None:
    assert sell_rate(Decimal("1.5"), None) == Decimal("1.5")


@pytest.mark.parametrize(
    ("cost", "percent", "fixed", "expected"),
    [
        ("1", "20", "0", "1.2"),
        ("1", "0", "0.25", "1.25"),
        ("2", "10", "0.5", "2.7"),  # percent on the cost, then the fixed part
        ("0", "50", "0.1", "0.1"),
        ("3", "-10", "0.5", "3.2"),  # a discount outweighed by the fixed part
    ],
)
def test_markup_percent_and_fixed(cost: str, percent: str, fixed: str, expected: str) -> None:
    assert sell_rate(Decimal(cost), rule(percent=percent, fixed=fixed)) == Decimal(expected)


@pytest.mark.parametrize(
    ("cost", "percent", "fixed", "floor", "expected"),
    [
        ("1", "-50", "0", "0.1", "1.1"),  # a discount is lifted to cost + floor
        ("1", "5", "0", "0.1", "1.1"),  # a markup smaller than the floor too
        ("1", "0", "-5", "0.2", "1.2"),  # even one that would sell below zero
        ("1", "-100", "0", "0", "1"),  # no floor: never below cost
        ("10", "0", "-1", "0", "10"),  # a negative fixed part cannot sell below cost either
        ("1", "20", "0", "0.1", "1.2"),  # a markup above the floor is kept
    ],
)
def test_floor_margin_lifts_a_low_rate(
    cost: str, percent: str, fixed: str, floor: str, expected: str
) -> None:
    chosen = rule(percent=percent, fixed=fixed, floor=floor)
    assert sell_rate(Decimal(cost), chosen) == Decimal(expected)


@pytest.mark.parametrize(
    ("cost", "percent", "expected"),
    [
        ("1.000003", "50", "1.500005"),  # 1.5000045: half-up, where half-even gives 1.500004
        ("1.000001", "50", "1.500002"),  # 1.5000015
        ("0.000001", "50", "0.000002"),  # 0.0000015
        ("0.333333", "33.3333", "0.444444"),  # 0.44444288889 rounds down
        ("2", "0.00005", "2.000001"),  # 2.000001 exactly
    ],
)
def test_rate_rounds_half_up_to_six_places(cost: str, percent: str, expected: str) -> None:
    rate = sell_rate(Decimal(cost), rule(percent=percent))
    assert rate == Decimal(expected)
    assert rate.as_tuple().exponent == -6


def _money(minimum: str, maximum: str) -> st.SearchStrategy[Decimal]:
    return st.decimals(
        min_value=Decimal(minimum), max_value=Decimal(maximum), places=6, allow_nan=False
    )


@given(
    cost=_money("0", "99999999999999.999999"),
    percent=st.decimals(
        min_value=Decimal(-100), max_value=Decimal("99999.9999"), places=4, allow_nan=False
    ),
    fixed=_money("-99999999999999.999999", "99999999999999.999999"),
    floor=_money("0", "99999999999999.999999"),
)
def test_sell_rate_is_never_below_cost_plus_floor(
    cost: Decimal, percent: Decimal, fixed: Decimal, floor: Decimal
) -> None:
    chosen = rule(percent=str(percent), fixed=str(fixed), floor=str(floor), id=1)
    rate = sell_rate(cost, chosen)
    assert rate >= cost + floor
    assert rate == rate.quantize(Decimal("0.000001"))
