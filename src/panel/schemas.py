"""Shared pieces of request and response bodies: money in and out, and the base model."""

from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer

from panel import money


class Schema(BaseModel):
    """A request body. Unknown fields are refused so a typo ("ammount") is an error, not a
    silently ignored field."""

    model_config = ConfigDict(extra="forbid")


class Out(BaseModel):
    """A response body, read from ORM rows or plain objects."""

    model_config = ConfigDict(from_attributes=True)


# Money in: a JSON number or a decimal string, at most 6 decimals, never NaN or infinite.
Amount = Annotated[Decimal, Field(gt=0, max_digits=20, decimal_places=6, allow_inf_nan=False)]
SignedAmount = Annotated[Decimal, Field(max_digits=20, decimal_places=6, allow_inf_nan=False)]
# Money out: a decimal string, so no client ever parses it as a binary float by accident.
MoneyText = Annotated[Decimal, PlainSerializer(money.text, return_type=str, when_used="json")]
Reason = Annotated[str, Field(min_length=1, max_length=1000, pattern=r"\S")]
