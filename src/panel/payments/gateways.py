"""What every gateway adapter does, in Pasok's own words: make a payment, check what the
gateway says about one (a callback, or its answer when asked), and list its channels.
Midtrans, Xendit or Duitku fit by writing one module against this protocol."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Protocol

from panel.models import MethodKind, ReviewReason


class PaymentState(StrEnum):
    """A payment as the gateway sees it."""

    unpaid = "unpaid"
    paid = "paid"
    expired = "expired"
    failed = "failed"
    refunded = "refunded"


@dataclass(frozen=True)
class NewPayment:
    """What Pasok asks a gateway to collect."""

    merchant_ref: str
    method_code: str
    total: Decimal  # what the buyer pays
    description: str
    customer_name: str
    customer_email: str
    callback_url: str
    return_url: str
    expires_at: datetime


@dataclass(frozen=True)
class Created:
    """The gateway's answer to a new payment: how the buyer pays it."""

    gateway_reference: str
    total: Decimal  # what the gateway will collect from the buyer
    pay_code: str | None
    qr_string: str | None
    checkout_url: str | None
    expires_at: datetime


@dataclass(frozen=True)
class Report:
    """What a gateway says about one payment, from a verified callback or from asking it."""

    merchant_ref: str
    gateway_reference: str
    state: PaymentState
    paid_total: Decimal  # what the buyer paid
    received: Decimal  # what reaches the merchant: paid_total less the gateway's fee
    paid_at: datetime | None


@dataclass(frozen=True)
class Channel:
    """One way to pay a gateway offers, with its fee and limits."""

    code: str
    name: str
    kind: MethodKind
    fee_flat: Decimal
    fee_percent: Decimal
    min_amount: Decimal
    max_amount: Decimal
    active: bool


class GatewayError(Exception):
    """The gateway refused, or could not be reached: nothing was made."""


class Rejected(Exception):
    """A callback not believed: nothing it says is acted on. `reason` says why, for the
    review list."""

    def __init__(self, reason: ReviewReason, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


class Adapter(Protocol):
    async def create(self, payment: NewPayment) -> Created: ...

    def verify(self, headers: dict[str, str], body: bytes) -> Report:
        """Check a callback (signature on the raw bytes first) and read it; raises Rejected."""
        ...

    async def status(self, gateway_reference: str, merchant_ref: str) -> Report | None:
        """Ask the gateway how a payment stands; None when it cannot say now."""
        ...

    async def channels(self) -> list[Channel]: ...
