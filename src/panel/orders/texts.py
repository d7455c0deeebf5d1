"""The error texts of API v2 (api-v2.md), exactly as resellers' scripts expect them. Every
refusal of an order action uses one of these, whatever surface it came through."""

from typing import Any

from panel.errors import Invalid


class Refused(Invalid):
    """An order action refused; `detail` is the API v2 error text, shown as is on /api/v2 and
    as problem JSON elsewhere. `code` and `values` say the same for a page to word in its own
    language."""

    def __init__(self, detail: str, *, code: str | None = None, **args: Any) -> None:
        super().__init__(detail)
        self.code = code or CODES.get(detail, "refused")
        self.values = args


INCORRECT_REQUEST = "Incorrect request"
INVALID_KEY = "Invalid API key"
INCORRECT_SERVICE = "Incorrect service ID"
INCORRECT_LINK = "Incorrect link"
NOT_ENOUGH_FUNDS = "Not enough funds on balance"
INCORRECT_ORDER = "Incorrect order ID"
REFILL_DISABLED = "Refill is disabled for this service"
REFILL_NOT_ELIGIBLE = "Order not eligible for refill"
REFILL_NOT_FOUND = "Refill not found"
CANCEL_DISABLED = "Cancel is disabled for this service"
CANCEL_NOT_ELIGIBLE = "Order not eligible for cancel"
LINK_BUSY = "You have active order with this link. Please wait until order being completed."
# Vouchers (an optional `voucher` field of `add`): not in the standard protocol, so worded
# like its other refusals.
INCORRECT_VOUCHER = "Incorrect voucher"
VOUCHER_EXPIRED = "Voucher has expired"
VOUCHER_USED_UP = "Voucher has been used up"
VOUCHER_NOT_FOR_SERVICE = "Voucher is not valid for this service"
VOUCHER_BELOW_MINIMUM = "Order is below the voucher minimum"
VOUCHER_UNAVAILABLE = "Voucher is not available right now"


# Each text's code, for the pages: the name it has here.
CODES = {
    value: name.lower()
    for name, value in dict(globals()).items()
    if name.isupper() and isinstance(value, str)
}


def quantity_below(minimum: int) -> Refused:
    return Refused(f"Quantity less than minimal {minimum}", code="quantity_below", bound=minimum)


def quantity_above(maximum: int) -> Refused:
    return Refused(f"Quantity more than maximum {maximum}", code="quantity_above", bound=maximum)
