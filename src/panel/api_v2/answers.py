"""The exact JSON shapes of API v2 (api-v2.md): what resellers' scripts parse, key for key.

Money and counts are strings, as the canonical documentation shows them; ids of orders and
services are integers, except the single-order `refill` answer, which the standard gives as a
string.
"""

import json
from decimal import Decimal
from typing import Any

from panel import money
from panel.models import OrderStatus, QualityFigures, Refill, RefillStatus, Service
from panel.orders import texts, validation
from panel.orders.status_reads import Seen
from panel.pricing.service import Price
from panel.support.complaints import REASONS, Complaints

# Internal states a client cannot act on show as the nearest standard one: `submitting` and
# `needs_review` are still being worked on, and `failed` was fully refunded like a cancel.
ORDER_STATUS: dict[OrderStatus, str] = {
    OrderStatus.pending: "Pending",
    OrderStatus.submitting: "Processing",
    OrderStatus.in_progress: "In progress",
    OrderStatus.completed: "Completed",
    OrderStatus.partial: "Partial",
    OrderStatus.canceled: "Canceled",
    OrderStatus.failed: "Canceled",
    OrderStatus.needs_review: "Processing",
}

REFILL_STATUS: dict[RefillStatus, str] = {
    RefillStatus.pending: "Pending",
    RefillStatus.in_progress: "In progress",
    RefillStatus.completed: "Completed",
    RefillStatus.rejected: "Rejected",
}

Json = dict[str, Any]


def error(text: str) -> Json:
    return {"error": text}


def count(value: int | None) -> str:
    """A count as the standard shows it: a string, "0" while the upstream has not said."""
    return str(value if value is not None else 0)


# Child panels know the standard's types only. A prepaid product is, in their terms, a Package:
# `service` and `link` (the customer number), one item at the rate shown. /v1 says "Prepaid".
_TYPES = {validation.PREPAID: "Package"}


def service_row(
    service: Service,
    price: Price,
    figures: QualityFigures | None,
    complaints: Complaints | None = None,
) -> Json:
    """A service, with Pasok's own 30-day quality figures as extra keys (`quality_...`):
    clients read the standard keys and leave the others alone."""
    return {
        "service": service.id,
        "name": service.name,
        "type": _TYPES.get(service.type, service.type),
        "category": service.category,
        "rate": money.text(price.rate),
        "min": str(service.min_quantity),
        "max": str(service.max_quantity),
        "refill": service.refill,
        "cancel": service.cancel,
        "dripfeed": service.dripfeed,
        "description": service.description,
        **_quality(figures),
        **_complaints(complaints),
    }


def _quality(figures: QualityFigures | None) -> Json:
    # Flat strings like every other key, so a script that reads each value as text copes;
    # null until the service has orders to measure.
    return {
        "quality_orders_30d": _shown(figures.orders if figures else None),
        "quality_completion_rate": _shown(figures.completion_rate if figures else None),
        "quality_partial_rate": _shown(figures.partial_rate if figures else None),
        "quality_cancel_rate": _shown(figures.cancel_rate if figures else None),
        "quality_median_start_seconds": _shown(figures.median_start_s if figures else None),
        "quality_median_complete_seconds": _shown(figures.median_complete_s if figures else None),
        "quality_refill_success_rate": _shown(figures.refill_success_rate if figures else None),
    }


def _complaints(found: Complaints | None) -> Json:
    # Tickets per 100 orders over 30 days, in all and for each reason; null likewise.
    return {
        "quality_complaints_per_100": _shown(found.per_100 if found else None),
        **{
            f"quality_complaints_per_100_{reason}": _shown(
                found.by_reason[reason] if found else None
            )
            for reason in REASONS
        },
    }


def _shown(value: Decimal | int | None) -> str | None:
    return None if value is None else str(value)


def order_status(seen: Seen, currency: str) -> str:
    """One order's status as JSON text; its charge is what the caller paid for it, not what its
    buyer did. A prepaid product's serial number (or token) is an extra key, there once it is
    known. Written out rather than encoded from a dict: a poll of 100 ids is mostly this, and
    every part but the serial is already text that needs no escaping (digits, a status word,
    the panel's currency code)."""
    shown = (
        f'{{"charge":"{seen.charge}","start_count":"{seen.start_count}",'
        f'"status":"{ORDER_STATUS[seen.status]}","remains":"{seen.remains}",'
        f'"currency":"{currency}"'
    )
    if seen.serial is not None:
        shown += ',"serial":' + json.dumps(seen.serial, ensure_ascii=False)
    return shown + "}"


def statuses(found: dict[int, Seen], asked: list[int], currency: str) -> "Encoded":
    """The multi-status answer: each id asked, in its order, with its status or its error."""
    unknown = encode(error(texts.INCORRECT_ORDER)).decode()
    parts = (
        f'"{order_id}":'
        + (order_status(found[order_id], currency) if order_id in found else unknown)
        for order_id in asked
    )
    return Encoded(("{" + ",".join(parts) + "}").encode())


class Encoded(bytes):
    """An answer already encoded as JSON, sent as it is (a status answer)."""


def encode(answer: Any) -> Encoded:
    """`answer` as JSON, byte for byte as every other answer is sent."""
    return Encoded(
        json.dumps(answer, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()
    )


def refill_status(refill: Refill) -> str:
    return REFILL_STATUS[refill.status]


def balance(amount: Decimal, currency: str) -> Json:
    return {"balance": money.text(amount), "currency": currency}
