"""`/v1/webhooks`: where a buyer's order and deposit events go, and what its receiver answered."""

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query, status

from panel.keys.callers import BuyerDep
from panel.models import WebhookAttempt, WebhookDelivery
from panel.plumbing.deps import RuntimeDep, SessionDep
from panel.plumbing.schemas import PathId
from panel.webhooks import service
from panel.webhooks.schemas import (
    AttemptView,
    DeliveryView,
    EndpointCreate,
    EndpointMade,
    EndpointView,
)

router = APIRouter(tags=["webhooks"])


@router.post("/webhooks", status_code=status.HTTP_201_CREATED)
async def create_endpoint(
    body: EndpointCreate, session: SessionDep, buyer: BuyerDep, runtime: RuntimeDep
) -> EndpointMade:
    """Every status change of your orders (`order.updated`) and deposits (`deposit.updated`),
    and every change of your tickets (`ticket.updated`), is POSTed here, signed with
    `Pasok-Signature`. A receiver on a private address is refused (422) unless the operator
    allows them."""
    endpoint = await service.create_endpoint(
        session, buyer, str(body.url), body.secret, runtime.settings.webhooks
    )
    return EndpointMade.model_validate(endpoint)


@router.get("/webhooks")
async def list_endpoints(session: SessionDep, buyer: BuyerDep) -> list[EndpointView]:
    return [EndpointView.model_validate(e) for e in await service.endpoints_of(session, buyer)]


@router.delete("/webhooks/{endpoint_id}")
async def disable_endpoint(
    endpoint_id: PathId, session: SessionDep, buyer: BuyerDep
) -> EndpointView:
    """Stop sending; deliveries not yet made are given up, the log stays."""
    return EndpointView.model_validate(await service.disable(session, buyer, endpoint_id))


@router.post("/webhooks/{endpoint_id}/ping", status_code=status.HTTP_202_ACCEPTED)
async def ping(endpoint_id: PathId, session: SessionDep, buyer: BuyerDep) -> DeliveryView:
    """Send a `ping` event, to check your receiver and its signature check."""
    delivery = await service.ping(session, buyer, endpoint_id, datetime.now(UTC))
    return _delivery(delivery, [])


@router.get("/webhooks/{endpoint_id}/deliveries")
async def list_deliveries(
    endpoint_id: PathId,
    session: SessionDep,
    buyer: BuyerDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[DeliveryView]:
    """The newest deliveries, each with every attempt and what the receiver answered."""
    return [
        _delivery(delivery, attempts)
        for delivery, attempts in await service.deliveries_of(session, buyer, endpoint_id, limit)
    ]


def _delivery(delivery: WebhookDelivery, attempts: list[WebhookAttempt]) -> DeliveryView:
    return DeliveryView(
        id=delivery.id,
        event_type=delivery.event_type,
        status=delivery.status,
        attempts=delivery.attempts,
        next_attempt_at=delivery.next_attempt_at,
        delivered_at=delivery.delivered_at,
        created_at=delivery.created_at,
        body=delivery.body,
        log=[AttemptView.model_validate(attempt) for attempt in attempts],
    )
