"""Shared pieces of request and response bodies: money in and out, and the base model."""

import re
from decimal import Decimal
from typing import Annotated, Any

from fastapi import Path
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    WithJsonSchema,
    model_validator,
)

from panel import money


def _no_nul(value: Any) -> None:
    if isinstance(value, str) and "\x00" in value:
        raise ValueError("text must not contain NUL characters")
    if isinstance(value, dict):
        for item in value.values():
            _no_nul(item)
    if isinstance(value, list):
        for item in value:
            _no_nul(item)


class Schema(BaseModel):
    """A request body. Unknown fields are refused so a typo ("ammount") is an error, not a
    silently ignored field; so is text with a NUL character, which PostgreSQL cannot store."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _refuse_nul(cls, data: Any) -> Any:
        _no_nul(data)
        return data


def _without_nulls(schema: dict[str, Any]) -> None:
    # The fields are optional to leave out, never to send as null: say so in the document.
    for field in schema.get("properties", {}).values():
        options = field.get("anyOf")
        if options and {"type": "null"} in options:
            options.remove({"type": "null"})
            if len(options) == 1:
                field.update(options.pop())
                del field["anyOf"]


class Patch(Schema):
    """A partial update: omitted fields keep their value; an explicit null is refused rather
    than guessed at (clear it, or keep it?)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_without_nulls)

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


# Money in: a JSON number or a decimal string, at most 6 decimals, never NaN or infinite. The
# document states the string's form, so a client (or a test generating requests from the
# document) knows "1.5" is money and "1e3" or "" is not.
# [0-9], not \d, which some regex engines read as any script's digits; AsciiMoney below holds
# the input to it, since Decimal() alone would also take "１００" (full-width), "1e3", "1_000".
DECIMAL_TEXT = r"^[+-]?[0-9]{1,14}(\.[0-9]{1,6})?$"
UNSIGNED_TEXT = r"^\+?[0-9]{1,14}(\.[0-9]{1,6})?$"


def _money_schema(pattern: str, **number: Any) -> WithJsonSchema:
    return WithJsonSchema(
        {
            "anyOf": [
                {"type": "number", **number},
                {"type": "string", "pattern": pattern},
            ]
        }
    )


_MONEY_CHARACTERS = re.compile(r"\s*[+-]?[0-9.]*\s*")


def _ascii_money(value: Any) -> Any:
    # Only the characters the patterns allow; the field's own checks then say what else is
    # wrong (below zero, too many decimals) in their usual words.
    if isinstance(value, str) and not _MONEY_CHARACTERS.fullmatch(value):
        raise ValueError("a decimal number in ASCII digits 0-9, with a point for decimals")
    return value


AsciiMoney = BeforeValidator(_ascii_money)

Amount = Annotated[
    Decimal,
    Field(gt=0, max_digits=20, decimal_places=6, allow_inf_nan=False),
    AsciiMoney,
    _money_schema(UNSIGNED_TEXT, exclusiveMinimum=0),
]
NonNegativeAmount = Annotated[
    Decimal,
    Field(ge=0, max_digits=20, decimal_places=6, allow_inf_nan=False),
    AsciiMoney,
    _money_schema(UNSIGNED_TEXT, minimum=0),
]
SignedAmount = Annotated[
    Decimal,
    Field(max_digits=20, decimal_places=6, allow_inf_nan=False),
    AsciiMoney,
    _money_schema(DECIMAL_TEXT),
]
# Money out: a decimal string, so no client ever parses it as a binary float by accident.
MoneyText = Annotated[Decimal, PlainSerializer(money.text, return_type=str, when_used="json")]
Reason = Annotated[str, Field(min_length=1, max_length=1000, pattern=r"\S")]

# Row ids are PostgreSQL integers: anything outside their range cannot exist, and is answered
# as such instead of reaching the database.
MAX_ID = 2_147_483_647
RefId = Annotated[int, Field(ge=1, le=MAX_ID)]
PathId = Annotated[int, Path(ge=1, le=MAX_ID)]
