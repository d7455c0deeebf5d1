"""The reseller console's sales: its agencies' orders (and its own) with what each side paid,
and the margin it earned on its agencies."""

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated

from fastapi import Query
from fastapi.responses import Response
from sqlalchemy import select

from panel.models import OrderCharge
from panel.orders import service as orders
from panel.orders.schemas import PUBLIC_STATUS
from panel.plumbing.deps import SessionDep
from panel.plumbing.schemas import MAX_ID
from panel.reports import agency_margin
from panel.web.console import agencies_of
from panel.web.pages import PageDep, ResellerDep, page_router

router = page_router()
PAGE_ORDERS = 50
Id = Annotated[int, Query(ge=0, le=MAX_ID)]


@router.get("/console/orders")
async def order_list(
    page: PageDep,
    reseller: ResellerDep,
    session: SessionDep,
    agency: Id = 0,
    before: Id = 0,
) -> Response:
    """Newest first, a page at a time; `agency` keeps one buyer's orders (an agency's, or the
    reseller's own)."""
    found = orders.Filter(buyer_id=agency or None, before=before or None, limit=PAGE_ORDERS)
    listed = await orders.listing(session, reseller, found)
    ids = [order.id for order in listed]
    charges: dict[tuple[int, int], Decimal] = {
        (order_id, payer): amount
        for order_id, payer, amount in await session.execute(
            select(OrderCharge.order_id, OrderCharge.account_id, OrderCharge.amount).where(
                OrderCharge.order_id.in_(ids)
            )
        )
    }
    services = await orders.services_of(session, listed)
    buyers = await agencies_of(session, reseller)
    names = {a.id: a.name for a in buyers} | {reseller.id: page.t("console_you")}
    rows = []
    for order in listed:
        own = order.account_id == reseller.id
        agency_paid = None if own else charges.get((order.id, order.account_id))
        reseller_paid = charges.get((order.id, reseller.id), Decimal(0))
        rows.append(
            {
                "order": order,
                "buyer": names.get(order.account_id, ""),
                "service": services[order.service_id].name,
                "status": PUBLIC_STATUS[order.status].value,
                "agency_paid": agency_paid,
                "reseller_paid": reseller_paid,
                "margin": None if agency_paid is None else agency_paid - reseller_paid,
            }
        )
    return page.render(
        "console_orders.html",
        rows=rows,
        agencies=buyers,
        agency=agency,
        reseller_id=reseller.id,
        older=listed[-1].id if len(listed) == PAGE_ORDERS else None,
    )


@router.get("/console/margin")
async def margin(page: PageDep, reseller: ResellerDep, session: SessionDep) -> Response:
    earned = await agency_margin.margins(session, reseller, datetime.now(UTC))
    return page.render(
        "console_margin.html",
        windows=agency_margin.WINDOWS,
        total=earned.total,
        by_agency=[(a, earned.by_agency.get(a.id)) for a in await agencies_of(session, reseller)],
    )
