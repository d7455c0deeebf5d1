"""Sandbox orders and refills, and their progress as a function of (virtual) time.

Nothing runs in the background: an order's fate is drawn when it is accepted, and its status at
any moment is computed from the seconds since then, so advancing the clock is all a test needs.
"""

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from panel.money import refund_for


class Fate(StrEnum):
    complete = "complete"
    partial = "partial"  # stops after `deliver_cap` units
    cancel = "cancel"  # canceled by the provider when it would have started


class Status(StrEnum):
    """Order statuses as api-v2.md spells them; dialects may write them differently."""

    pending = "Pending"
    in_progress = "In progress"
    completed = "Completed"
    partial = "Partial"
    canceled = "Canceled"


class RefillStatus(StrEnum):
    pending = "Pending"
    in_progress = "In progress"
    completed = "Completed"
    rejected = "Rejected"


@dataclass
class Order:
    id: int
    service_id: str
    link: str
    quantity: int  # units in all: quantity × runs for a drip-feed order
    runs: int
    interval_s: float  # between drip-feed runs
    charge: Decimal
    created_at_s: float
    start_count: int
    fate: Fate
    deliver_cap: int  # units delivered before it stops; `quantity` unless partial
    # Copied from the service's behaviour when accepted: changing it later rewrites no history.
    speed: float
    start_delay_s: float
    canceled_at_s: float | None = None  # canceled through the API


@dataclass(frozen=True)
class Progress:
    status: Status
    delivered: int
    remains: int
    charge: Decimal  # after the refund of what was not delivered
    start_count: int

    @property
    def finished(self) -> bool:
        return self.status in (Status.completed, Status.partial, Status.canceled)


def delivered(order: Order, now_s: float) -> int:
    elapsed = now_s - order.created_at_s
    per_run = order.quantity // order.runs
    units = 0
    for run in range(order.runs):
        started = elapsed - order.start_delay_s - run * order.interval_s
        if started <= 0:
            break
        units += min(per_run, int(started * order.speed))
    return min(units, order.deliver_cap)


def progress(order: Order, now_s: float) -> Progress:
    """Where the order stands at `now_s`."""
    started = now_s - order.created_at_s >= order.start_delay_s
    if order.canceled_at_s is not None and order.canceled_at_s <= now_s:
        # Canceled mid-delivery, it keeps what it got and ends Partial, as panels do.
        units = delivered(order, order.canceled_at_s)
        return _finished(order, Status.partial if units else Status.canceled, units)
    if not started:
        return Progress(Status.pending, 0, order.quantity, order.charge, 0)
    if order.fate is Fate.cancel:
        return _finished(order, Status.canceled, 0)
    units = delivered(order, now_s)
    if units >= order.quantity:
        return _finished(order, Status.completed, units)
    if order.fate is Fate.partial and units >= order.deliver_cap:
        return _finished(order, Status.partial, units)
    return Progress(
        Status.in_progress, units, order.quantity - units, order.charge, order.start_count
    )


def _finished(order: Order, status: Status, units: int) -> Progress:
    remains = order.quantity - units
    charge = order.charge - refund_for(order.charge, remains, order.quantity)
    start_count = order.start_count if units else 0
    return Progress(status, units, remains, charge, start_count)


@dataclass
class Refill:
    id: int
    order_id: int
    created_at_s: float
    pending_s: float
    duration_s: float
    rejected: bool


def refill_status(refill: Refill, now_s: float) -> RefillStatus:
    elapsed = now_s - refill.created_at_s
    if elapsed < refill.pending_s:
        return RefillStatus.pending
    if elapsed < refill.pending_s + refill.duration_s:
        return RefillStatus.in_progress
    return RefillStatus.rejected if refill.rejected else RefillStatus.completed
