"""What the order pipeline and the catalogue sync may ask of a prepaid-products provider (phone
credit, data, game currency, e-money, electricity tokens), and the classified answers.

A prepaid purchase is keyed by our own `ref_id`: asking again with the same one never buys a
second time upstream, it reports the first purchase. So `topup` and `check` answer the same
`PrepaidResult`, classified once in the adapter (style convention 4):

- `accepted`: the provider holds the purchase; `state` is `pending` or `success` (with a serial).
- `rejected`: the provider says nothing was charged, whether it refused outright or the purchase
  ended failed (`state` is `failed`): safe to try another provider with a new `ref_id`, unless
  `reason` is `customer` (the number is wrong everywhere).
- `transient`: nothing reached the provider: safe to send the same request again.
- `ambiguous`: the request left and no readable answer came back: ask again with the same
  `ref_id` (`check`), never with a new one and never at another provider.
`products` and `balance` are safe to repeat and raise `UpstreamError` on failure instead.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Protocol

from panel.errors import PanelError
from panel.providers.adapter import Outcome


class PrepaidState(StrEnum):
    pending = "pending"
    success = "success"
    failed = "failed"  # ended without delivering; the provider gave the money back


class PrepaidReason(StrEnum):
    """Why a purchase was rejected, in the terms the pipeline decides on."""

    provider_funds = "provider_funds"  # our deposit at the provider is too low
    product = "product"  # unknown, inactive, out of stock or in its cut-off window
    customer = "customer"  # wrong, blocked or out-of-region number: no provider will do better
    credentials = "credentials"  # username, key, signature or IP whitelist
    limit = "limit"  # a provider-side limit on calls or transactions
    other = "other"


@dataclass(frozen=True)
class PrepaidProduct:
    """One product as the provider sells it; `price` is our cost in the provider's currency."""

    sku: str
    name: str
    category: str
    brand: str
    price: Decimal
    active: bool
    description: str


@dataclass(frozen=True)
class PrepaidResult:
    """The classified answer about one purchase (to `topup`, `check` or a callback)."""

    outcome: Outcome
    state: PrepaidState | None = None  # None when no answer about the purchase was read
    serial: str | None = None  # the provider's serial number (the token, for electricity)
    message: str = ""  # the provider's own words, for operators
    price: Decimal | None = None  # what the provider charged (or would have), its currency
    reason: PrepaidReason | None = None  # set when rejected
    code: str | None = None  # the provider's response code, kept for operators
    retry_after_s: float | None = None
    detail: str = ""  # for logs and operators; never carries a key or a secret


@dataclass(frozen=True)
class PrepaidCallback:
    """A verified callback: which purchase it is about and where that purchase stands."""

    ref_id: str
    event: str | None
    result: PrepaidResult


class CallbackRefused(PanelError):
    """A callback that failed verification (signature, body): believe nothing in it."""

    status_code = 401
    title = "Callback refused"


class PrepaidAdapter(Protocol):
    """One prepaid-products provider. `ref_id` is ours: unique per purchase attempt."""

    async def products(self) -> list[PrepaidProduct]: ...

    async def topup(self, sku: str, customer_no: str, ref_id: str) -> PrepaidResult: ...

    async def check(self, sku: str, customer_no: str, ref_id: str) -> PrepaidResult:
        """Where the purchase under `ref_id` stands. The same three values as the topup."""
        ...

    async def balance(self) -> Decimal:
        """Our deposit at the provider, in its currency."""
        ...

    def read_callback(self, headers: Mapping[str, str], body: bytes) -> PrepaidCallback:
        """Verify a callback on its raw bytes, then read it; raises `CallbackRefused`."""
        ...
