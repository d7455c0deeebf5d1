"""What the order pipeline and the catalogue sync may ask of an upstream provider, and the
classified answers they get back.

Every answer is classified once, in the adapter (style convention 4); callers never see httpx
exceptions. Calls that create something upstream (`add`, `refill`) return an `Outcome`, because
resubmitting after an answer that was lost can double the cost. Every other call is safe to
repeat, so a failure there raises one `UpstreamError`: `UpstreamUnavailable` (no readable answer:
retry later) or `UpstreamRefused` (an explicit error such as an invalid API key).
"""

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any, Protocol

from panel.errors import PanelError

# API v2 `add` parameters other than `key` and `action`; which ones apply depends on the
# service type (api-v2.md), so the adapter forwards them as given.
OrderParams = Mapping[str, str | int | None]


class Outcome(StrEnum):
    accepted = "accepted"
    rejected = "rejected"  # an explicit error: nothing was created, safe to fail over
    transient = "transient"  # nothing reached upstream: safe to send again later
    ambiguous = "ambiguous"  # the request left and the answer was lost: never resend blindly


class RejectReason(StrEnum):
    provider_funds = "provider_funds"  # our balance at the provider is too low
    service = "service"
    quantity = "quantity"
    link = "link"
    link_busy = "link_busy"  # the provider already runs an order on this link
    other = "other"


class OrderState(StrEnum):
    in_progress = "in_progress"
    completed = "completed"
    partial = "partial"
    canceled = "canceled"
    unknown_upstream_id = "unknown_upstream_id"  # the provider does not know this order


class RefillState(StrEnum):
    pending = "pending"
    in_progress = "in_progress"
    completed = "completed"
    rejected = "rejected"
    unknown_upstream_id = "unknown_upstream_id"


@dataclass(frozen=True)
class Submission:
    """The classified answer to a call that creates something upstream."""

    outcome: Outcome
    upstream_id: str | None = None
    reason: RejectReason | None = None  # set when rejected
    retry_after_s: float | None = None  # seconds, when the provider (or our limiter) said so
    detail: str = ""  # for logs and operators; never carries the provider's key


class AddResult(Submission):
    """The answer to `add`: `upstream_id` is the provider's order id."""


class RefillResult(Submission):
    """The answer to `refill`: `upstream_id` is the provider's refill id."""


@dataclass(frozen=True)
class UpstreamStatus:
    state: OrderState
    remains: int | None = None  # None when the provider says "Unknown"
    start_count: int | None = None
    charge: Decimal | None = None  # what the provider charged us, in its currency
    currency: str | None = None
    over_delivered: int = 0  # units beyond the quantity (a negative `remains` upstream)
    serial: str | None = None  # what a prepaid product delivered: a serial number or token


@dataclass(frozen=True)
class CancelResult:
    outcome: Outcome  # accepted or rejected
    detail: str = ""


@dataclass(frozen=True)
class UpstreamService:
    """One service as the provider sells it; `rate` is our cost per 1000."""

    external_id: str
    name: str
    type: str
    category: str
    rate: Decimal
    min_quantity: int
    max_quantity: int
    refill: bool
    cancel: bool
    dripfeed: bool
    description: str
    currency: str | None = None  # where the provider names it per service


@dataclass(frozen=True)
class Balance:
    balance: Decimal
    currency: str | None


class UpstreamError(PanelError):
    """A safe-to-repeat call (status, services, balance, cancel, refill_status) failed."""

    status_code = 502
    title = "Upstream error"

    def __init__(self, detail: str, retry_after_s: float | None = None, **extra: Any) -> None:
        super().__init__(detail, **extra)
        self.retry_after_s = retry_after_s


class UpstreamUnavailable(UpstreamError):
    """No readable answer (network, timeout, 5xx, 429, garbled body): retry later."""

    title = "Upstream unavailable"


class UpstreamRefused(UpstreamError):
    """The provider answered with an explicit error (e.g. an invalid API key)."""

    title = "Upstream refused"


class UpstreamAdapter(Protocol):
    """One upstream provider. Ids are the provider's, always as strings."""

    async def services(self) -> list[UpstreamService]: ...

    async def add(self, params: OrderParams) -> AddResult: ...

    async def status(self, upstream_ids: list[str]) -> dict[str, UpstreamStatus]:
        """Any number of orders; ids the provider leaves out of its answer are left out."""
        ...

    async def cancel(self, upstream_ids: list[str]) -> dict[str, CancelResult]: ...

    async def refill(self, upstream_id: str) -> RefillResult: ...

    async def refill_status(self, refill_ids: list[str]) -> dict[str, RefillState]: ...

    async def balance(self) -> Balance: ...
