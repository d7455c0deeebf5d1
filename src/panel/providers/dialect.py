"""Reading answers the way upstream API v2 panels write them: ids and numbers as strings or
numbers, statuses in many spellings, errors as texts or untranslated keys. Pure functions."""

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from email.utils import parsedate_to_datetime
from typing import NoReturn

from panel.providers.adapter import (
    OrderState,
    RefillState,
    RejectReason,
    UpstreamService,
    UpstreamStatus,
)

# --- reading values the way upstream panels write them ---------------------------------------


def parse_decimal(value: object) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, Decimal | int):
        number = Decimal(value)
    elif isinstance(value, str):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            return None
    else:
        return None
    return number if number.is_finite() else None


def _integer(value: object) -> int | None:
    number = parse_decimal(value)
    if number is None or number != number.to_integral_value():
        return None
    return int(number)


def parse_flag(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return _integer(value) == 1


def parse_identifier(value: object) -> str | None:
    """A provider's id for an order or a refill. Ids carry a digit, so words such as "error" or
    "false" are not read as one; nor are 0, booleans and error objects."""
    if isinstance(value, str):
        text = value.strip()
    elif isinstance(value, int | Decimal) and not isinstance(value, bool):
        number = _integer(value)
        text = "" if number is None else str(number)
    else:
        return None
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}", text) or not re.search(r"[1-9]", text):
        return None
    return text


def normalise_words(text: str) -> str:
    # Untranslated keys (`neworder.error.link_duplicate`) read like the English texts after this.
    return re.sub(r"[._\s]+", " ", text.lower())


def _flatten(value: object) -> str:
    if isinstance(value, dict):
        return "; ".join(f"{key}: {_flatten(item)}" for key, item in value.items())
    if isinstance(value, list):
        return "; ".join(_flatten(item) for item in value)
    return str(value)


def read_error_text(payload: object) -> str | None:
    """The explicit error an answer carries, in any of the shapes panels use."""
    if not isinstance(payload, dict):
        return None
    for key in ("error", "errors"):
        if payload.get(key):
            return _flatten(payload[key])
    status = payload.get("status")
    if isinstance(status, str) and status.lower() in ("error", "fail", "failed"):
        return _flatten(payload.get("message") or payload.get("msg") or status)
    return None


_REASONS = (
    # Order matters: "active order with this link" is about a busy link, not a bad one.
    (RejectReason.provider_funds, re.compile(r"fund|balance|insufficient")),
    (RejectReason.link_busy, re.compile(r"active order|duplicate")),
    (RejectReason.quantity, re.compile(r"quantity|minimal|maximal|minimum|maximum")),
    (RejectReason.link, re.compile(r"link|\burl\b")),
    (RejectReason.service, re.compile(r"service")),
)
THROTTLED = re.compile(r"too many|rate limit")
_UNKNOWN_ID = re.compile(
    r"incorrect (order|refill)|(order|refill) not found|invalid (order|refill)"
)


def reject_reason(error: str) -> RejectReason:
    words = normalise_words(error)
    return next((reason for reason, found in _REASONS if found.search(words)), RejectReason.other)


def _unknown_id(error: str) -> bool:
    return _UNKNOWN_ID.search(normalise_words(error)) is not None


def _key(text: str) -> str:
    return re.sub(r"[\s_-]+", "", text.lower())


_ORDER_STATES = {
    "pending": OrderState.in_progress,
    "inprogress": OrderState.in_progress,
    "processing": OrderState.in_progress,
    "completed": OrderState.completed,
    "complete": OrderState.completed,
    "partial": OrderState.partial,
    "canceled": OrderState.canceled,
    "cancelled": OrderState.canceled,
    # Panels use these for orders they gave up on and refunded in full.
    "refunded": OrderState.canceled,
    "error": OrderState.canceled,
    "fail": OrderState.canceled,
    "failed": OrderState.canceled,
}
_REFILL_STATES = {
    "pending": RefillState.pending,
    "inprogress": RefillState.in_progress,
    "processing": RefillState.in_progress,
    "completed": RefillState.completed,
    "complete": RefillState.completed,
    "rejected": RefillState.rejected,
    "canceled": RefillState.rejected,
    "cancelled": RefillState.rejected,
    "error": RefillState.rejected,
    "fail": RefillState.rejected,
    "failed": RefillState.rejected,
}


def parse_order_status(row: object) -> UpstreamStatus | None:
    """One order's status, or None when the row says nothing usable about it."""
    if isinstance(row, str):  # {"10": "Incorrect order ID"}
        return UpstreamStatus(OrderState.unknown_upstream_id) if _unknown_id(row) else None
    if not isinstance(row, dict):
        return None
    if not isinstance(row.get("status"), str):
        error = read_error_text(row)
        if error is not None and _unknown_id(error):
            return UpstreamStatus(OrderState.unknown_upstream_id)
        return None
    # An unknown spelling keeps the order in progress: settling on a guess would move money.
    state = _ORDER_STATES.get(_key(row["status"]), OrderState.in_progress)
    remains = _integer(row.get("remains"))  # "Unknown" reads as None
    over_delivered = 0
    if remains is not None and remains < 0:
        remains, over_delivered = 0, -remains
    currency = row.get("currency")
    return UpstreamStatus(
        state=state,
        remains=remains,
        start_count=_integer(row.get("start_count")),
        charge=parse_decimal(row.get("charge")),
        currency=currency if isinstance(currency, str) and currency else None,
        over_delivered=over_delivered,
    )


def parse_refill_state(row: object) -> RefillState | None:
    status = row.get("status") if isinstance(row, dict) else row
    if isinstance(status, str):
        if _unknown_id(status):
            return RefillState.unknown_upstream_id
        return _REFILL_STATES.get(_key(status), RefillState.in_progress)
    error = read_error_text(status) or read_error_text(row)
    if error is not None and _unknown_id(error):
        return RefillState.unknown_upstream_id
    return None


def rows_by_id(payload: object, id_key: str) -> Iterator[tuple[str, object]]:
    """(id, row) pairs of a many-ids answer: an object keyed by id, or a list of rows."""
    if isinstance(payload, dict):
        for key, row in payload.items():
            if (upstream_id := parse_identifier(key)) is not None:
                yield upstream_id, row
    elif isinstance(payload, list):
        for row in payload:
            if isinstance(row, dict):
                upstream_id = parse_identifier(row.get(id_key, row.get("id")))
                if upstream_id is not None:
                    yield upstream_id, row


_SERVICE_TYPES = {
    name.lower(): name
    for name in (
        "Default",
        "Package",
        "SEO",
        "Custom Comments",
        "Custom Comments Package",
        "Comment Replies",
        "Comment Likes",
        "Mentions",
        "Mentions with Hashtags",
        "Mentions Custom List",
        "Mentions Hashtag",
        "Mentions User Followers",
        "Mentions Media Likers",
        "Poll",
        "Subscriptions",
    )
}


def parse_service(row: object) -> UpstreamService | None:
    if not isinstance(row, dict):
        return None
    external_id = parse_identifier(row.get("service"))
    rate = parse_decimal(row.get("rate"))
    if external_id is None or rate is None or rate < 0:
        return None
    kind = " ".join(str(row.get("type") or "Default").replace("_", " ").split())
    minimum = _integer(row.get("min")) or 1
    description = row.get("description", row.get("desc"))
    currency = row.get("currency")
    return UpstreamService(
        external_id=external_id,
        name=str(row.get("name") or "").strip(),
        type=_SERVICE_TYPES.get(kind.lower(), kind),
        category=str(row.get("category") or "").strip(),
        rate=rate,
        min_quantity=minimum,
        max_quantity=_integer(row.get("max")) or minimum,
        refill=parse_flag(row.get("refill")),
        cancel=parse_flag(row.get("cancel")),
        dripfeed=parse_flag(row.get("dripfeed")),
        description=str(description or "").strip(),
        currency=(currency.strip().upper() or None) if isinstance(currency, str) else None,
    )


def parse_retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def no_constant(name: str) -> NoReturn:
    # json would turn NaN and Infinity into floats; no amount may be one.
    raise ValueError(f"not a number: {name}")
