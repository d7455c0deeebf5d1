"""A method's fee on an amount: flat plus percent, rounded up to the currency's smallest
unit (gateways charge whole rupiah, and a fee shown a rupiah short is a deposit short)."""

from decimal import ROUND_CEILING, Decimal

from panel.currencies.codes import minor_units
from panel.models import FeePayer, PaymentMethod


def fee_of(method: PaymentMethod, amount: Decimal, currency: str) -> Decimal:
    unit = Decimal(1).scaleb(-minor_units(currency))
    percent = (amount * method.fee_percent / 100).quantize(unit, rounding=ROUND_CEILING)
    return method.fee_flat + percent


def buyer_pays(method: PaymentMethod, amount: Decimal, currency: str) -> Decimal:
    """What the buyer is asked for, to have `amount` credited."""
    if method.fee_paid_by is FeePayer.buyer:
        return amount + fee_of(method, amount, currency)
    return amount
