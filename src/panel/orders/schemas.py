from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import Field

from panel.models import Order, OrderStatus, RefillStatus
from panel.plumbing.schemas import MAX_ID, MoneyText, Out, Reason, RefId, Schema


class OrderOut(Out):
    id: int
    account_id: int
    reseller_id: int
    service_id: int
    parent_id: int | None = Field(description="set on a run of a drip-feed Pasok runs itself")
    link: str
    quantity: int
    params: dict[str, str | int]
    status: OrderStatus
    rate: MoneyText
    charge: MoneyText
    provider_id: int | None
    upstream_id: str | None
    start_count: int | None
    remains: int | None
    serial: str | None
    review_reason: str | None
    created_at: datetime
    submitted_at: datetime | None
    finished_at: datetime | None


class ReviewDecision(Schema):
    action: Literal["attach", "fail", "resubmit"] = Field(
        description="attach: the upstream has it (give upstream_id); fail: it does not, refund; "
        "resubmit: send it again (only when sure the upstream does not have it)"
    )
    upstream_id: str | None = Field(default=None, min_length=1, max_length=128)
    reason: Reason


class PublicStatus(StrEnum):
    """An order's status as its buyer sees it: the internal `submitting` and `needs_review`
    are both "processing", Pasok still finding out where the order stands."""

    pending = "pending"
    processing = "processing"
    in_progress = "in_progress"
    completed = "completed"
    partial = "partial"
    canceled = "canceled"
    failed = "failed"


PUBLIC_STATUS: dict[OrderStatus, PublicStatus] = {
    OrderStatus.pending: PublicStatus.pending,
    OrderStatus.submitting: PublicStatus.processing,
    OrderStatus.needs_review: PublicStatus.processing,
    OrderStatus.in_progress: PublicStatus.in_progress,
    OrderStatus.completed: PublicStatus.completed,
    OrderStatus.partial: PublicStatus.partial,
    OrderStatus.canceled: PublicStatus.canceled,
    OrderStatus.failed: PublicStatus.failed,
}


Lines = Annotated[list[Annotated[str, Field(min_length=1, max_length=1000)]], Field(min_length=1)]
Count = Annotated[int, Field(ge=0, le=MAX_ID)]


class OrderCreate(Schema):
    """A new order. Which fields a service needs depends on its `type`, as in API v2: Default
    takes `link` and `quantity` (and `runs` + `interval` for drip-feed), Package only `link`,
    Custom Comments `link` and `comments`, Mentions `usernames`, Poll `answer_number`, ..."""

    service_id: RefId
    link: str | None = Field(default=None, max_length=2048)
    quantity: Count | None = None
    runs: Count | None = None
    interval: Count | None = Field(default=None, description="minutes between runs")
    comments: Lines | None = None
    usernames: Lines | None = None
    hashtags: Lines | None = None
    keywords: Lines | None = None
    username: str | None = Field(default=None, max_length=1000)
    hashtag: str | None = Field(default=None, max_length=1000)
    media: str | None = Field(default=None, max_length=1000)
    answer_number: str | None = Field(default=None, max_length=1000)
    min: Count | None = None
    max: Count | None = None
    posts: Count | None = None
    old_posts: Count | None = None
    delay: Count | None = None
    expiry: str | None = Field(default=None, max_length=10, description="dd/mm/yyyy")
    voucher: str | None = Field(
        default=None,
        max_length=32,
        description="a voucher code of whoever sells to you: its discount comes off the charge",
    )

    def fields(self) -> dict[str, str]:
        """The order's parameters as API v2 sends them: one rule reads both surfaces."""
        given = self.model_dump(exclude={"service_id"}, exclude_none=True)
        return {
            name: "\n".join(value) if isinstance(value, list) else str(value)
            for name, value in given.items()
        }


class OrderView(Out):
    id: int
    service_id: int
    link: str
    quantity: int
    params: dict[str, str | int]
    status: PublicStatus
    charge: MoneyText = Field(description="what you paid for it")
    currency: str
    start_count: int | None
    remains: int = Field(
        description="still to deliver: the whole quantity until the provider reports progress"
    )
    serial: str | None = Field(
        description="a prepaid product's serial number or token, once delivered"
    )
    created_at: datetime
    finished_at: datetime | None

    @classmethod
    def of(cls, row: Order | Any, paid: Decimal, currency: str) -> "OrderView":
        """An order as one buyer of its chain sees it, at what that buyer paid: an Order, or a
        row of `view_reads` (the same names, read without ORM objects)."""
        return cls(
            id=row.id,
            service_id=row.service_id,
            link=row.link,
            quantity=row.quantity,
            params=row.params,
            status=PUBLIC_STATUS[row.status],
            charge=paid,
            currency=currency,
            start_count=row.start_count,
            remains=row.undelivered,
            serial=row.serial,
            created_at=row.created_at,
            finished_at=row.finished_at,
        )


class OrderPage(Out):
    items: list[OrderView]
    next_cursor: str | None = Field(description="pass as `cursor` for the next (older) page")


class RefillView(Out):
    id: int
    order_id: int
    status: RefillStatus
    created_at: datetime


class StatusChangeOut(Out):
    at: datetime
    old_status: str | None
    new_status: str


class UpstreamCallOut(Out):
    id: int
    provider_id: int | None
    action: str = Field(description="add, cancel or refill")
    outcome: str = Field(description="the answer as classified: accepted, rejected, ...")
    answer: str = Field(description="the start of the upstream's answer, as plain text")
    called_at: datetime


class ChargeOut(Out):
    account_id: int
    account_name: str
    rate: MoneyText
    amount: MoneyText


class LegOut(Out):
    ledger_account: str = Field(description="the ledger account's code")
    amount: MoneyText


class JournalOut(Out):
    id: int
    kind: str
    reason: str
    created_at: datetime
    entries: list[LegOut]


class RefillOut(Out):
    id: int
    status: RefillStatus
    upstream_id: str | None
    created_at: datetime


class OrderLifeOut(Out):
    order: OrderOut
    buyer_name: str
    service_name: str
    provider_name: str | None
    changes: list[StatusChangeOut] = Field(description="status changes still kept (7 days)")
    calls: list[UpstreamCallOut]
    charges: list[ChargeOut] = Field(description="the buyer first, then up the chain")
    held: MoneyText = Field(description="what the clearing account holds for the order now")
    refills: list[RefillOut]
    journals: list[JournalOut]
