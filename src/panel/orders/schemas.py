from datetime import datetime
from typing import Literal

from pydantic import Field

from panel.models import OrderStatus
from panel.schemas import MoneyText, Out, Reason, Schema


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
    review_reason: str | None
    created_at: datetime
    submitted_at: datetime | None
    finished_at: datetime | None


class ReviewDecision(Schema):
    action: Literal["attach", "fail", "resubmit"] = Field(
        description="attach: the upstream has it (give upstream_id); fail: it does not, refund; "
        "resubmit: send it again (only when sure the upstream does not have it)"
    )
    upstream_id: str | None = Field(default=None, min_length=1, max_length=64)
    reason: Reason
