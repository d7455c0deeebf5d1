"""`/v1/orders`: orders, refills and cancels for resellers and agencies."""

from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, status
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from panel.errors import NotFound
from panel.keys.callers import BuyerDep
from panel.models import Account, Order
from panel.orders import service, texts, view_reads
from panel.orders.schemas import (
    PUBLIC_STATUS,
    OrderCreate,
    OrderPage,
    OrderView,
    PublicStatus,
    RefillView,
)
from panel.plumbing import idempotency
from panel.plumbing.deps import RuntimeDep, SessionDep
from panel.plumbing.schemas import MAX_ID, PathId

router = APIRouter(tags=["orders"])

IdempotencyKey = Annotated[
    str | None,
    Header(
        min_length=1,
        max_length=255,
        description="Send the same key again to retry safely: the first answer comes back "
        "instead of a second order. Kept for 24 hours; the same key with another body is 409.",
    ),
]
# [0-9], not \d: the pattern is checked by a Unicode regex engine, and int() would then take
# full-width digits too.
Cursor = Annotated[
    str | None, Query(pattern=r"^[0-9]{1,19}$", description="`next_cursor` of a page")
]


async def _view(session: AsyncSession, buyer: Account, order_id: int, currency: str) -> OrderView:
    row = await view_reads.one(session, buyer, order_id)
    if row is None:
        raise NotFound(f"order {order_id} does not exist")
    return OrderView.of(row, row.paid, currency)


async def _visible(session: AsyncSession, buyer: Account, order_id: int) -> Order:
    order = (await service.visible(session, buyer, [order_id])).get(order_id)
    if order is None:
        raise NotFound(f"order {order_id} does not exist")
    return order


@router.post(
    "/orders",
    status_code=status.HTTP_201_CREATED,
    response_model=OrderView,
    responses={402: {"description": "not enough funds"}, 409: {"description": "key reused"}},
)
async def create_order(
    body: OrderCreate,
    request: Request,
    session: SessionDep,
    buyer: BuyerDep,
    runtime: RuntimeDep,
    idempotency_key: IdempotencyKey = None,
) -> OrderView | Response:
    """Place an order; it is paid from your balance at once and refunded for what is not
    delivered."""
    if idempotency_key is not None:
        fingerprint = idempotency.fingerprint("POST", "/v1/orders", body.model_dump_json().encode())
        first = await idempotency.claim(session, buyer.id, idempotency_key, fingerprint)
        if first is not None:
            return _sent(first)
    order = await service.accept(session, buyer, body.service_id, body.fields())
    view = await _view(session, buyer, order.id, runtime.settings.currency)
    if idempotency_key is None:
        return view
    answer = idempotency.Answer(status.HTTP_201_CREATED, view.model_dump_json())
    await idempotency.remember(session, buyer.id, idempotency_key, answer)
    return _sent(answer)


def _sent(answer: idempotency.Answer) -> Response:
    # The stored bytes themselves, so a retry's answer is identical to the first one.
    return Response(answer.body, status_code=answer.status_code, media_type="application/json")


@router.get("/orders")
async def list_orders(
    session: SessionDep,
    buyer: BuyerDep,
    runtime: RuntimeDep,
    status_: Annotated[PublicStatus | None, Query(alias="status")] = None,
    service_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    link: Annotated[str | None, Query(max_length=2048)] = None,
    cursor: Cursor = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> OrderPage:
    """Your orders (and, for a reseller, its agencies'), newest first."""
    statuses = (
        None
        if status_ is None
        else [inner for inner, shown in PUBLIC_STATUS.items() if shown is status_]
    )
    before = int(cursor) if cursor is not None else None
    found = await view_reads.page(
        session, buyer, service.Filter(statuses, service_id, link, before=before, limit=limit)
    )
    currency = runtime.settings.currency
    return OrderPage(
        items=[OrderView.of(row, row.paid, currency) for row in found],
        next_cursor=str(found[-1].id) if len(found) == limit else None,
    )


@router.get("/orders/{order_id}")
async def get_order(
    order_id: PathId, session: SessionDep, buyer: BuyerDep, runtime: RuntimeDep
) -> OrderView:
    return await _view(session, buyer, order_id, runtime.settings.currency)


@router.post("/orders/{order_id}/cancel", status_code=status.HTTP_202_ACCEPTED)
async def cancel_order(
    order_id: PathId, session: SessionDep, buyer: BuyerDep, runtime: RuntimeDep
) -> OrderView:
    """Cancel: at once if it has not left yet, otherwise asked of the upstream; the refund
    follows when the upstream confirms."""
    await _visible(session, buyer, order_id)
    await service.request_cancel(session, buyer, order_id)
    return await _view(session, buyer, order_id, runtime.settings.currency)


@router.post("/orders/{order_id}/refills", status_code=status.HTTP_201_CREATED)
async def refill_order(order_id: PathId, session: SessionDep, buyer: BuyerDep) -> RefillView:
    """Ask for a refill of a finished order (where the service offers refills)."""
    await _visible(session, buyer, order_id)
    return RefillView.model_validate(await service.request_refill(session, buyer, order_id))


@router.get("/refills/{refill_id}")
async def get_refill(refill_id: PathId, session: SessionDep, buyer: BuyerDep) -> RefillView:
    found = await service.visible_refills(session, buyer, [refill_id])
    if refill_id not in found:
        raise NotFound(texts.REFILL_NOT_FOUND)
    return RefillView.model_validate(found[refill_id])
