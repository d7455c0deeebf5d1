from datetime import datetime

from pydantic import AnyHttpUrl, Field

from panel.models import DeliveryStatus
from panel.plumbing.schemas import Out, Schema


class EndpointCreate(Schema):
    url: AnyHttpUrl = Field(description="where order events are POSTed")
    secret: str | None = Field(
        default=None,
        min_length=16,
        max_length=200,
        description="the HMAC key for `Pasok-Signature`; one is made for you when left out",
    )


class EndpointView(Out):
    id: int
    url: str
    enabled: bool
    created_at: datetime


class EndpointMade(EndpointView):
    secret: str = Field(description="shown now and never again")


class AttemptView(Out):
    attempted_at: datetime
    status_code: int | None
    error: str | None
    duration_ms: int


class DeliveryView(Out):
    id: int
    event_type: str
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    created_at: datetime
    body: str = Field(description="the JSON body as sent")
    log: list[AttemptView]
