"""How one sandbox service behaves: how fast it delivers, how often it ends partial or canceled
or refuses an order, and which fault it shows on `add`. Settable at runtime per service."""

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any

from pydantic import Field, TypeAdapter, ValidationError

Probability = Annotated[float, Field(ge=0, le=1)]
Seconds = Annotated[float, Field(ge=0)]


class Fault(StrEnum):
    """What `add` does instead of answering normally."""

    # The order is recorded, then the answer comes later than any client waits: the client
    # times out after the request reached the provider (the case that must never be resent).
    timeout_after_accept = "timeout_after_accept"
    # The next three come from a proxy in front of the provider: no order is recorded.
    http_502 = "http_502"
    html = "html"  # 200 with an HTML page (a bot check), as some CDNs answer
    empty = "empty"  # 200 with an empty body
    rate_limit = "rate_limit"  # 429 with Retry-After, before anything is recorded


@dataclass(frozen=True)
class Behaviour:
    speed: Seconds = 10.0  # units delivered per second; 0 leaves orders stuck in progress
    start_delay_s: Seconds = 10.0  # Pending this long before delivery starts
    partial_rate: Probability = 0.0  # share of orders that stop early and end Partial
    cancel_rate: Probability = 0.0  # share of orders the provider cancels before starting
    error_rate: Probability = 0.0  # share of `add` calls refused with `error_text`
    error_text: Annotated[str, Field(min_length=1)] = "Not enough funds on balance"
    latency_s: Seconds = 0.0  # added before answering any call about this service
    fault: Fault | None = None
    fault_rate: Probability = 1.0  # share of `add` calls that show `fault`
    retry_after_s: Annotated[int, Field(ge=0)] = 2  # the Retry-After of `rate_limit`
    hang_s: Seconds = 120.0  # how long `timeout_after_accept` holds its answer back
    refill_s: Seconds = 60.0  # how long a refill runs once started
    refill_reject_rate: Probability = 0.0
    # Refuse a second order on a link while one is still running ("You have active order ...").
    exclusive_link: bool = False

    def changed(self, changes: Mapping[str, Any]) -> "Behaviour":
        """A copy with `changes` applied; raises ValueError on an unknown field or a bad value."""
        unknown = set(changes) - {field.name for field in dataclasses.fields(self)}
        if unknown:
            raise ValueError(f"unknown behaviour fields: {', '.join(sorted(unknown))}")
        try:
            return _validator.validate_python({**dataclasses.asdict(self), **changes})
        except ValidationError as exc:
            raise ValueError(str(exc)) from None

    def shown(self) -> dict[str, Any]:
        return _validator.dump_python(self, mode="json")  # type: ignore[no-any-return]


_validator = TypeAdapter(Behaviour)
