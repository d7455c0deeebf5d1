"""Money arithmetic: Decimal only, six places, one rounding rule for each purpose."""

from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

PLACES = Decimal("0.000001")
PER = Decimal(1000)  # rates are per 1000 units, the SMM convention


def round_half_up(amount: Decimal) -> Decimal:
    return amount.quantize(PLACES, rounding=ROUND_HALF_UP)


def charge_for(rate: Decimal, quantity: int) -> Decimal:
    """What `quantity` units cost at `rate` per 1000, rounded half-up to 6 places."""
    return round_half_up(rate * quantity / PER)


def refund_for(charge: Decimal, remains: int, quantity: int) -> Decimal:
    """The share of `charge` for `remains` undelivered units, rounded down so refunds of one
    order can never add up to more than its charge."""
    if quantity <= 0:
        return Decimal(0)
    remains = max(0, min(remains, quantity))
    return (charge * remains / quantity).quantize(PLACES, rounding=ROUND_DOWN)


def text(amount: Decimal) -> str:
    """The decimal string shown to clients: fixed point, no exponent, no trailing zeros
    beyond what the value needs (API v2 clients parse it with float())."""
    normal = amount.quantize(PLACES).normalize()
    shown = format(normal, "f")
    return "0" if shown in ("-0", "") else shown
