"""Reading what a form field or a URL carries, one way for every page."""

from decimal import Decimal

from pydantic import TypeAdapter, ValidationError

from panel.schemas import MAX_ID, Amount

# Orders and top-up requests have 64-bit ids; the other tables 32-bit ones (MAX_ID).
BIG_ID = 2**63 - 1
_amount = TypeAdapter(Amount)


def amount(text: str) -> Decimal | None:
    """A sum of money as the APIs take it (above zero, at most 6 decimals); None for anything
    else. A decimal comma is refused rather than guessed: in rupiah "10.000" is ten thousand."""
    try:
        value: Decimal = _amount.validate_python(text.strip())
    except ValidationError:
        return None
    return value


def is_row_id(value: int, most: int = MAX_ID) -> bool:
    """Whether a number from a URL can name a row at all: anything else is answered as not
    found before the database would refuse it."""
    return 1 <= value <= most
