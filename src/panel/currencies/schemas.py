from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import Field, PlainSerializer

from panel.plumbing.schemas import Out, Schema


def _shown(rate: Decimal) -> str:
    return format(rate.normalize(), "f")


# Exchange rates travel as decimal strings, exactly as set: no float, no exponent.
RateText = Annotated[Decimal, PlainSerializer(_shown, return_type=str, when_used="json")]


class ExchangeRateIn(Schema):
    currency: str = Field(
        min_length=3, max_length=3, description="ISO 4217 code, other than the panel's"
    )
    rate: str = Field(
        pattern=r"^[0-9]{1,10}(\.[0-9]{1,10})?$",
        description="what one unit of `currency` is worth in the panel's currency, as a decimal "
        "string (e.g. '16250' or '0.000061'): above zero, at most 10 digits on each side of the "
        "point",
        examples=["16250"],
    )


class ExchangeRateOut(Out):
    id: int
    currency: str
    rate: RateText
    source: str = Field(description="manual (set here) or source (the automatic rate source)")
    set_by_id: int | None = Field(description="the operator account that set it, if any")
    created_at: datetime


class ExchangeRateSet(ExchangeRateOut):
    repriced: int = Field(description="provider services whose cost moved with this rate")


class RateInForceOut(Out):
    currency: str
    panel_currency: str
    rate: RateText | None = Field(description="null: providers use this currency, no rate set")
    source: str | None
    set_by_id: int | None
    set_at: datetime | None
    age_s: float | None
    stale: bool = Field(description="older than allowed, or missing where a provider needs it")
    providers: int
