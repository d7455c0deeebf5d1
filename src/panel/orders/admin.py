"""`/admin/v1/orders`: the operator's view of orders and the review queue."""

from typing import Annotated

from fastapi import APIRouter, Query

from panel.deps import SessionDep
from panel.errors import NotFound
from panel.models import Order
from panel.orders import review
from panel.orders.schemas import OrderOut, ReviewDecision
from panel.schemas import PathId

router = APIRouter(tags=["admin: orders"])


@router.get("/orders/review")
async def review_queue(
    session: SessionDep,
    after: Annotated[int, Query(ge=0, le=2**63 - 1)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[OrderOut]:
    """Orders whose upstream outcome is unknown, oldest first."""
    return [
        OrderOut.model_validate(o) for o in await review.waiting(session, after=after, limit=limit)
    ]


@router.get("/orders/{order_id}")
async def get_order(order_id: PathId, session: SessionDep) -> OrderOut:
    order = await session.get(Order, order_id)
    if order is None:
        raise NotFound(f"order {order_id} does not exist")
    return OrderOut.model_validate(order)


@router.post("/orders/{order_id}/review")
async def decide(order_id: PathId, body: ReviewDecision, session: SessionDep) -> OrderOut:
    if body.action == "attach":
        order = await review.attach(session, order_id, body.upstream_id or "")
    elif body.action == "fail":
        order = await review.fail(session, order_id, body.reason)
    else:
        order = await review.resubmit(session, order_id)
    return OrderOut.model_validate(order)
