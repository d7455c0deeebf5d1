"""The operator's orders in the console: a search with every filter `/admin/v1/orders` has,
and an order's whole life (status changes, upstream calls with their answers as text,
charges along the chain, refills, journals with their entries)."""

from datetime import date
from typing import Annotated

from fastapi import Query
from fastapi.responses import Response
from sqlalchemy import select

from panel.errors import NotFound
from panel.models import Account, OrderStatus, Provider, Service
from panel.orders import search
from panel.orders.life import life
from panel.plumbing.deps import SessionDep
from panel.web import forms, operator_order_texts
from panel.web.operator_pages import when
from panel.web.pages import OperatorDep, PageDep, page_router

router = page_router()
ORDERS = "/ops/orders"
PAGE_ORDERS = 50
Text = Annotated[str, Query(max_length=2048)]


def _number(text: str) -> int | None:
    text = text.strip()
    return int(text) if text.isascii() and text.isdigit() and int(text) <= forms.BIG_ID else None


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip()) if text.strip() else None
    except ValueError:
        return None


@router.get(ORDERS)
async def orders(
    page: PageDep,
    operator: OperatorDep,
    session: SessionDep,
    ids: Annotated[str, Query(max_length=10_000)] = "",
    link: Text = "",
    upstream_id: Text = "",
    buyer: Text = "",
    provider_id: Text = "",
    service_id: Text = "",
    status: Text = "",
    since: Text = "",
    until: Text = "",
    before: Text = "",
) -> Response:
    """The search form, and the orders it finds, newest first."""
    asked = {
        "ids": ids,
        "link": link,
        "upstream_id": upstream_id,
        "buyer": buyer,
        "provider_id": provider_id,
        "service_id": service_id,
        "status": status,
        "since": since,
        "until": until,
    }
    found = search.Filter(
        ids=search.parse_ids(ids),
        link=link or None,
        upstream_id=upstream_id or None,
        buyer=buyer or None,
        provider_id=_number(provider_id),
        service_id=_number(service_id),
        status=OrderStatus(status) if status in OrderStatus.__members__ else None,
        since=_day(since),
        until=_day(until),
        before=_number(before),
        limit=PAGE_ORDERS,
    )
    # Ids typed but none readable find nothing, rather than every order.
    rows = [] if ids.strip() and not found.ids else await search.search(session, found)
    providers = {
        p.id: p.name for p in await session.scalars(select(Provider).order_by(Provider.name))
    }
    services = await _names(session, Service, {o.service_id for o in rows})
    buyers = await _names(session, Account, {o.account_id for o in rows})
    more = None
    if len(rows) == PAGE_ORDERS:
        more = {**{k: v for k, v in asked.items() if v}, "before": str(rows[-1].id)}
    return page.render(
        "ops_orders.html",
        w=operator_order_texts.WORDS[page.lang],
        asked=asked,
        statuses=list(OrderStatus),
        providers=providers,
        rows=[(o, buyers.get(o.account_id, ""), services.get(o.service_id, "")) for o in rows],
        more=more,
        when=when,
    )


@router.get(ORDERS + "/{order_id}")
async def order(
    order_id: int, page: PageDep, operator: OperatorDep, session: SessionDep
) -> Response:
    """The order's whole life, on one page."""
    said = operator_order_texts.WORDS[page.lang]
    if not forms.is_row_id(order_id, forms.BIG_ID):
        return page.render("message.html", 404, message=said["no_such_order"], back=ORDERS)
    try:
        found = await life(session, order_id)
    except NotFound:
        return page.render("message.html", 404, message=said["no_such_order"], back=ORDERS)
    return page.render("ops_order.html", w=said, life=found, when=when)


async def _names(
    session: SessionDep, model: type[Account] | type[Service], ids: set[int]
) -> dict[int, str]:
    if not ids:
        return {}
    rows = await session.execute(select(model.id, model.name).where(model.id.in_(ids)))
    return {row_id: name for row_id, name in rows}
