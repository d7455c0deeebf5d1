"""Reading what a form field or a URL carries, one way for every page. Amounts are read by
`money_text.read` (through `Page.read_amount`), in the page's language and currency."""

from panel.plumbing.schemas import MAX_ID

# Orders and top-up requests have 64-bit ids; the other tables 32-bit ones (MAX_ID).
BIG_ID = 2**63 - 1


def is_row_id(value: int, most: int = MAX_ID) -> bool:
    """Whether a number from a URL can name a row at all: anything else is answered as not
    found before the database would refuse it."""
    return 1 <= value <= most
