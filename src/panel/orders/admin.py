"""`/admin/v1/orders`: the operator's view of orders and the review queue."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from panel.errors import NotFound
from panel.keys.callers import OperatorDep
from panel.models import Order, OrderStatus
from panel.orders import review, search
from panel.orders.life import Life, life
from panel.orders.schemas import (
    ChargeOut,
    JournalOut,
    LegOut,
    OrderLifeOut,
    OrderOut,
    RefillOut,
    ReviewDecision,
    StatusChangeOut,
    UpstreamCallOut,
)
from panel.plumbing.deps import SessionDep
from panel.plumbing.schemas import PathId

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


@router.get("/orders")
async def find_orders(
    session: SessionDep,
    ids: Annotated[
        str | None, Query(max_length=10_000, description='one or many ids, as pasted: "1, 2 3"')
    ] = None,
    link: Annotated[str | None, Query(max_length=2048, description="any part of it")] = None,
    upstream_id: Annotated[str | None, Query(max_length=64)] = None,
    buyer: Annotated[
        str | None, Query(max_length=320, description="an account id, or part of its name or email")
    ] = None,
    provider_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    service_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    status: OrderStatus | None = None,
    since: Annotated[date | None, Query(description="placed on or after this day (UTC)")] = None,
    until: Annotated[date | None, Query(description="placed on or before this day (UTC)")] = None,
    before: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[OrderOut]:
    """Orders matching every filter given, newest first; `before` is the last id of the page
    before."""
    found = search.Filter(
        ids=search.parse_ids(ids or ""),
        link=link,
        upstream_id=upstream_id,
        buyer=buyer,
        provider_id=provider_id,
        service_id=service_id,
        status=status,
        since=since,
        until=until,
        before=before,
        limit=limit,
    )
    if ids and not found.ids:
        return []
    return [OrderOut.model_validate(o) for o in await search.search(session, found)]


@router.get("/orders/{order_id}/life")
async def order_life(order_id: PathId, session: SessionDep) -> OrderLifeOut:
    """The order with its status changes, upstream calls, charges, refills and journals."""
    return life_out(await life(session, order_id))


@router.get("/orders/{order_id}")
async def get_order(order_id: PathId, session: SessionDep) -> OrderOut:
    order = await session.get(Order, order_id)
    if order is None:
        raise NotFound(f"order {order_id} does not exist")
    return OrderOut.model_validate(order)


@router.post("/orders/{order_id}/review")
async def decide(
    order_id: PathId, body: ReviewDecision, session: SessionDep, key: OperatorDep
) -> OrderOut:
    # Naming `resubmit` in a call is this API's confirmation; the console asks for a tick.
    order = await review.decide(
        session,
        key.account_id,
        order_id,
        body.action,
        upstream_id=body.upstream_id or "",
        reason=body.reason,
        confirmed=True,
    )
    return OrderOut.model_validate(order)


def life_out(found: Life) -> OrderLifeOut:
    return OrderLifeOut(
        order=OrderOut.model_validate(found.order),
        buyer_name=found.buyer.name,
        service_name=found.service.name,
        provider_name=found.provider.name if found.provider else None,
        changes=[StatusChangeOut.model_validate(c) for c in found.changes],
        calls=[UpstreamCallOut.model_validate(c) for c in found.calls],
        charges=[ChargeOut.model_validate(c) for c in found.charges],
        held=found.held,
        refills=[RefillOut.model_validate(r) for r in found.refills],
        journals=[
            JournalOut(
                id=b.journal.id,
                kind=b.journal.kind.value,
                reason=b.journal.reason,
                created_at=b.journal.created_at,
                entries=[LegOut.model_validate(leg) for leg in b.entries],
            )
            for b in found.journals
        ],
    )
