from datetime import datetime

from pydantic import Field

from panel.models import ServiceChange
from panel.plumbing.schemas import MoneyText, Out


class ServiceUpdateView(Out):
    """A change to a service, at the reader's own rates."""

    id: int = Field(description="increases with every update; the `id` of its webhook event")
    service_id: int
    name: str
    category: str
    change: ServiceChange
    rate_before: MoneyText | None = Field(
        description="your price per 1000 before the change; null when it was not orderable"
    )
    rate_after: MoneyText | None = Field(
        description="your price per 1000 after the change; null when it is not orderable"
    )
    currency: str
    min_before: int | None = Field(description="for `limits`: the minimum quantity before")
    min_after: int | None = Field(description="for `limits`, `added`, `enabled`: the minimum now")
    max_before: int | None
    max_after: int | None
    allowed_before: bool | None = Field(description="for `refill` and `cancel`: allowed before")
    allowed_after: bool | None = Field(description="for `refill` and `cancel`: allowed now")
    created_at: datetime


class ServiceUpdatePage(Out):
    items: list[ServiceUpdateView]
    next_cursor: str | None = Field(description="pass as `cursor` for the next (older) page")
