"""A prepaid-products provider as the order pipeline sees every upstream: the adapter protocol
of `providers.adapter`, so a prepaid product has routes, fail-over, polling and settlement like
any SMM service.

A product is a service of type "Prepaid": one item per order at a price per item, the customer
number (phone, game id, meter number) as the order's link. The provider's handle for a purchase
is our `ref_id` with the product and the number it was bought under, because the provider is
asked about a purchase by sending all three again (`PrepaidAdapter.check`). The `ref_id` names
the order and the route it went to, so a callback finds its order by primary key, and a purchase
that failed at one provider is tried at the next under a new `ref_id`.
"""

import asyncio
import re
from dataclasses import dataclass

from panel.providers.adapter import (
    AddResult,
    Balance,
    CancelResult,
    OrderParams,
    OrderState,
    Outcome,
    RefillResult,
    RefillState,
    RejectReason,
    UpstreamService,
    UpstreamStatus,
)
from panel.providers.prepaid import (
    PrepaidAdapter,
    PrepaidCallback,
    PrepaidReason,
    PrepaidResult,
    PrepaidState,
)

PREPAID_TYPE = "Prepaid"
_REF = re.compile(r"PS([0-9]{1,19})R([0-9]{1,4})")

_REASONS = {
    PrepaidReason.provider_funds: RejectReason.provider_funds,
    PrepaidReason.product: RejectReason.service,
    PrepaidReason.customer: RejectReason.link,
}
# A refusal for these says nothing about the purchase itself (the request was refused, or held
# back): a status check answered so is asked again later, never read as a failed purchase.
_NOT_ABOUT_THE_PURCHASE = frozenset({PrepaidReason.credentials, PrepaidReason.limit})


def ref_for(order_id: int, route_index: int) -> str:
    """Our reference for an order's purchase on one of its routes."""
    return f"PS{order_id}R{route_index}"


def order_of(ref_id: str) -> int | None:
    """The order a reference of ours names; None for anything else."""
    found = _REF.fullmatch(ref_id)
    return int(found.group(1)) if found else None


@dataclass(frozen=True)
class Handle:
    """What the provider knows a purchase by; kept as the order's `upstream_id`."""

    ref_id: str
    sku: str
    customer_no: str

    def __str__(self) -> str:
        return f"{self.ref_id}/{self.sku}/{self.customer_no}"

    @classmethod
    def parse(cls, text: str) -> "Handle | None":
        parts = text.split("/")
        if len(parts) != 3 or not all(parts):
            return None
        return cls(*parts)


def upstream_status(result: PrepaidResult) -> UpstreamStatus | None:
    """Where a purchase stands in the pipeline's terms; None when the answer does not say."""
    if result.outcome is Outcome.accepted and result.state is PrepaidState.success:
        return UpstreamStatus(
            OrderState.completed, remains=0, charge=result.price, serial=result.serial
        )
    if result.outcome is Outcome.accepted and result.state is PrepaidState.pending:
        return UpstreamStatus(OrderState.in_progress, remains=1)
    if (
        result.outcome is Outcome.rejected
        and result.state is PrepaidState.failed
        and result.code is not None
        and result.reason not in _NOT_ABOUT_THE_PURCHASE
    ):
        # The provider read our purchase and says it failed: nothing was charged.
        return UpstreamStatus(OrderState.canceled, remains=1)
    return None


class PrepaidUpstream:
    """`UpstreamAdapter` over a `PrepaidAdapter`. Refills and cancels do not exist for prepaid
    products: each is refused, and the products are imported without them."""

    def __init__(self, prepaid: PrepaidAdapter) -> None:
        self.prepaid = prepaid

    async def services(self) -> list[UpstreamService]:
        # An inactive product is left out, as a service that disappeared: the catalogue sync
        # then takes its routes out of use until it comes back.
        return [
            UpstreamService(
                external_id=product.sku,
                name=product.name,
                type=PREPAID_TYPE,
                category=" - ".join(part for part in (product.category, product.brand) if part),
                rate=product.price,
                min_quantity=1,
                max_quantity=1,
                refill=False,
                cancel=False,
                dripfeed=False,
                description=product.description,
            )
            for product in await self.prepaid.products()
            if product.active
        ]

    async def add(self, params: OrderParams) -> AddResult:
        handle = Handle(str(params["ref_id"]), str(params["service"]), str(params["link"]))
        result = await self.prepaid.topup(handle.sku, handle.customer_no, handle.ref_id)
        if result.outcome is Outcome.ambiguous:
            # The same three values again are the provider's own status check: safe, and it
            # settles most lost answers at once. What it cannot settle goes to an operator.
            result = await self.prepaid.check(handle.sku, handle.customer_no, handle.ref_id)
        if result.outcome is Outcome.accepted:
            return AddResult(Outcome.accepted, upstream_id=str(handle), detail=result.message)
        if result.outcome is Outcome.rejected:
            reason = _REASONS.get(result.reason or PrepaidReason.other, RejectReason.other)
            return AddResult(Outcome.rejected, reason=reason, detail=_said(result))
        return AddResult(result.outcome, retry_after_s=result.retry_after_s, detail=_said(result))

    async def status(self, upstream_ids: list[str]) -> dict[str, UpstreamStatus]:
        handles = {text: handle for text in upstream_ids if (handle := Handle.parse(text))}
        # One call per purchase (the API has no batch status); the adapter's limiter paces them.
        results = await asyncio.gather(
            *(self.prepaid.check(h.sku, h.customer_no, h.ref_id) for h in handles.values())
        )
        answers = {}
        for text, result in zip(handles, results, strict=True):
            if (status := upstream_status(result)) is not None:
                answers[text] = status
        return answers

    async def cancel(self, upstream_ids: list[str]) -> dict[str, CancelResult]:
        refused = CancelResult(Outcome.rejected, "a prepaid purchase cannot be canceled")
        return dict.fromkeys(upstream_ids, refused)

    async def refill(self, upstream_id: str) -> RefillResult:
        return RefillResult(
            Outcome.rejected, reason=RejectReason.service, detail="no refills for prepaid"
        )

    async def refill_status(self, refill_ids: list[str]) -> dict[str, RefillState]:
        return {}

    async def balance(self) -> Balance:
        return Balance(await self.prepaid.balance(), None)

    def read_callback(self, headers: dict[str, str], body: bytes) -> PrepaidCallback:
        """The provider's callback, verified on its raw bytes (raises `CallbackRefused`)."""
        return self.prepaid.read_callback(headers, body)


def _said(result: PrepaidResult) -> str:
    code = f"rc {result.code}: " if result.code else ""
    return (result.detail or f"{code}{result.message}").strip()
