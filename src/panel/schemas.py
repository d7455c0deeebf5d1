"""Shared pieces of request and response bodies: money in and out, and the base model."""

from decimal import Decimal
from typing import Annotated, Any

from fastapi import Path
from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, model_validator

from panel import money


class Schema(BaseModel):
    """A request body. Unknown fields are refused so a typo ("ammount") is an error, not a
    silently ignored field."""

    model_config = ConfigDict(extra="forbid")


class Patch(Schema):
    """A partial update: omitted fields keep their value; an explicit null is refused rather
    than guessed at (clear it, or keep it?)."""

    @model_validator(mode="before")
    @classmethod
    def _no_nulls(cls, data: Any) -> Any:
        if isinstance(data, dict):
            nulls = sorted(key for key, value in data.items() if value is None)
            if nulls:
                raise ValueError(
                    f"{', '.join(nulls)}: omit a field to keep it; null is not a value"
                )
        return data


class Out(BaseModel):
    """A response body, read from ORM rows or plain objects."""

    model_config = ConfigDict(from_attributes=True)


# Money in: a JSON number or a decimal string, at most 6 decimals, never NaN or infinite.
Amount = Annotated[Decimal, Field(gt=0, max_digits=20, decimal_places=6, allow_inf_nan=False)]
SignedAmount = Annotated[Decimal, Field(max_digits=20, decimal_places=6, allow_inf_nan=False)]
# Money out: a decimal string, so no client ever parses it as a binary float by accident.
MoneyText = Annotated[Decimal, PlainSerializer(money.text, return_type=str, when_used="json")]
Reason = Annotated[str, Field(min_length=1, max_length=1000, pattern=r"\S")]

# Row ids are PostgreSQL integers: anything outside their range cannot exist, and is answered
# as such instead of reaching the database.
MAX_ID = 2_147_483_647
RefId = Annotated[int, Field(ge=1, le=MAX_ID)]
PathId = Annotated[int, Path(ge=1, le=MAX_ID)]
