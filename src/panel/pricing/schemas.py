from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import Field, WithJsonSchema

from panel.plumbing.schemas import (
    MoneyText,
    NonNegativeAmount,
    Out,
    Patch,
    RefId,
    Schema,
    SignedAmount,
)

NonNegativeMoney = NonNegativeAmount
MoneyDelta = SignedAmount
Percent = Annotated[
    Decimal,
    Field(ge=-100, max_digits=9, decimal_places=4, allow_inf_nan=False),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "number", "minimum": -100},
                {"type": "string", "pattern": r"^[+-]?\d{1,5}(\.\d{1,4})?$"},
            ]
        }
    ),
]


if TYPE_CHECKING:
    from panel.pricing.standing import Standing


class TierCreate(Schema):
    name: str = Field(min_length=1, max_length=100)
    min_spend_90d: NonNegativeMoney = Decimal(0)


class TierUpdate(Patch):
    name: str | None = Field(default=None, min_length=1, max_length=100)
    min_spend_90d: NonNegativeMoney | None = None


class TierOut(Out):
    id: int
    name: str
    min_spend_90d: MoneyText


class RuleCreate(Schema):
    owner_id: RefId | None = Field(
        default=None, description="A reseller pricing its own agencies; empty for operator rules"
    )
    account_id: RefId | None = None
    tier_id: RefId | None = None
    service_id: RefId | None = None
    category: str | None = Field(default=None, min_length=1, max_length=200)
    markup_percent: Percent = Decimal(0)
    markup_fixed: MoneyDelta = Field(default=Decimal(0), description="Added per 1000 units")
    floor_margin: NonNegativeMoney = Field(
        default=Decimal(0), description="The least margin per 1000 over the base rate"
    )


class RuleOut(Out):
    id: int
    owner_id: RefId | None
    account_id: RefId | None
    tier_id: RefId | None
    service_id: RefId | None
    category: str | None
    markup_percent: MoneyText
    markup_fixed: MoneyText
    floor_margin: MoneyText


class PriceOut(Out):
    service_id: int
    cost: MoneyText
    rate: MoneyText
    currency: str


class StandingOut(Out):
    """A reseller's earned tier: where it stands and what the next tier takes."""

    tier: TierOut | None
    spend_90d: MoneyText = Field(description="paid in the last 90 days, refunds deducted")
    next_tier: TierOut | None
    spend_to_next: MoneyText | None = Field(description="spend this much more to reach it")
    currency: str

    @classmethod
    def fields_of(cls, shown: "Standing", currency: str) -> dict[str, Any]:
        return {
            "tier": shown.tier,
            "spend_90d": shown.spend_90d,
            "next_tier": shown.next_tier,
            "spend_to_next": shown.spend_to_next,
            "currency": currency,
        }


class TierChangeOut(Out):
    from_tier_id: int | None
    to_tier_id: int | None
    spend_90d: MoneyText | None
    reason: str
    created_at: datetime


class StandingWithHistory(StandingOut):
    history: list[TierChangeOut]


class PriceChangeIn(Schema):
    """A rule to set for a category or for each of some services, on a tier or panel-wide; an
    amount left out is kept as the rule has it (zero for a new rule)."""

    tier_id: RefId | None = Field(default=None, description="empty: panel-wide")
    category: str | None = Field(default=None, min_length=1, max_length=200)
    service_ids: list[RefId] = Field(default_factory=list, max_length=1000)
    markup_percent: Percent | None = None
    markup_fixed: MoneyDelta | None = Field(default=None, description="Added per 1000 units")
    floor_margin: NonNegativeMoney | None = Field(
        default=None, description="The least margin per 1000 over the cost"
    )


class TierRateOut(Out):
    tier_id: int | None = Field(description="empty: resellers in no tier")
    rate: MoneyText
    margin: MoneyText
    rule_id: int | None = Field(description="the rule that sets the rate; empty: sold at cost")


class PriceMoveOut(Out):
    service_id: int
    name: str
    category: str
    cost: MoneyText | None
    before: list[TierRateOut]
    after: list[TierRateOut]


class RuleSavedOut(Out):
    action: str = Field(description="create, update or unchanged")
    rule_id: int | None = Field(description="empty in a preview, for a rule not created yet")
    before: dict[str, Any] | None
    after: dict[str, Any]


class PricePreviewOut(Out):
    currency: str
    services: list[PriceMoveOut]
    rules: list[RuleSavedOut]
