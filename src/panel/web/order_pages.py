"""The web panel's order pages: services, a new order, the order list with refill and cancel.
Every rule is the order service's, exactly as on /api/v2 and /v1."""

from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import RedirectResponse, Response

from panel import money
from panel.catalogue.offer import offer
from panel.currencies import money_text
from panel.errors import InsufficientFunds
from panel.models import TERMINAL, OrderStatus, Service
from panel.orders import refills, validation
from panel.orders import service as orders
from panel.orders import texts as order_texts
from panel.orders.schemas import PUBLIC_STATUS, PublicStatus
from panel.orders.texts import Refused
from panel.plumbing.deps import RuntimeDep, SessionDep
from panel.pricing import service as pricing
from panel.support.complaints import Complaints
from panel.web.forms import BIG_ID, is_row_id
from panel.web.pages import MemberDep, Page, PageDep, page_router

router = page_router()
PAGE_ORDERS = 50
SEARCH_LENGTH = 200
# The statuses a buyer may filter on, as it sees them, and the internal ones each stands for.
STATUS_FILTER: dict[str, list[OrderStatus]] = {
    shown.value: [inner for inner, public in PUBLIC_STATUS.items() if public is shown]
    for shown in PublicStatus
}
# The fields a new-order form may carry, by what API v2 calls them.
ORDER_FIELDS = (
    "link",
    "quantity",
    "runs",
    "interval",
    "comments",
    "usernames",
    "username",
    "voucher",
)


@router.get("/services")
async def services(page: PageDep, account: MemberDep, session: SessionDep, q: str = "") -> Response:
    offered = sorted(
        await offer(session, account), key=lambda o: (o.service.category, o.service.name)
    )
    wanted = q.strip().lower()[:100]
    if wanted:
        offered = [o for o in offered if wanted in f"{o.service.name} {o.service.category}".lower()]
    by_category: dict[str, list[tuple[Service, Decimal, object, str | None]]] = {}
    for item in offered:
        by_category.setdefault(item.service.category or "-", []).append(
            (item.service, item.price.rate, item.figures, _complaints(page, item.complaints))
        )
    return page.render(
        "services.html", categories=by_category, q=wanted, per_item=validation.PER_ITEM_TYPES
    )


def _complaints(page: Page, found: Complaints | None) -> str | None:
    """The complaint rate as the page says it: "Komplain: 1,2 per 100 pesanan"."""
    if found is None:
        return None
    rate = found.per_100.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return page.t("complaints").format(rate=money_text.number(rate, page.lang))


@router.get("/orders/new")
async def new_order(
    page: PageDep, account: MemberDep, runtime: RuntimeDep, session: SessionDep, service: int = 0
) -> Response:
    prices = await pricing.price_list(session, account)
    chosen = await session.get(Service, service) if service in prices else None
    if chosen is None:
        return page.keep(RedirectResponse("/services", status_code=303))
    rate = prices[chosen.id].rate
    return page.render(
        "new_order.html",
        service=chosen,
        rate=rate,
        per_item=chosen.type in validation.PER_ITEM_TYPES,
        prepaid=chosen.type == validation.PREPAID,
        # The page's script shows the charge as the quantity is typed, in the page's style.
        style=money_text.style(page.lang),
        prefix=money_text.prefix(runtime.settings.currency, page.lang),
        places=money_text.places(runtime.settings.currency),
        fraction_places=money_text.FRACTION_PLACES,
        rate_text=money.text(rate),
    )


@router.post("/orders")
async def place_order(
    request: Request,
    runtime: RuntimeDep,
    session: SessionDep,
    page: PageDep,
    account: MemberDep,
    service: Annotated[int, Form()],
) -> Response:
    form = await request.form()
    fields = {
        name: value
        for name in ORDER_FIELDS
        if isinstance(value := form.get(name), str) and value.strip()
    }
    try:
        async with session.begin_nested():
            order = await orders.accept(session, account, service, fields)
    except (Refused, InsufficientFunds) as error:
        refused = error if isinstance(error, Refused) else Refused(order_texts.NOT_ENOUGH_FUNDS)
        return page.render(
            "message.html",
            422,
            message=page.refusal(refused),
            back=f"/orders/new?service={service}",
        )
    return page.keep(RedirectResponse(f"/orders?placed={order.id}", status_code=303))


@router.get("/orders")
async def order_list(
    page: PageDep,
    account: MemberDep,
    session: SessionDep,
    placed: int = 0,
    q: str = "",
    status: str = "",
) -> Response:
    """Newest first; `q` finds an order by its id or part of its link, `status` keeps one
    status as buyers see it."""
    wanted = q.strip()[:SEARCH_LENGTH]
    if status and status not in STATUS_FILTER:
        return page.render(
            "message.html", 422, message=page.t("console_bad_status"), back="/orders"
        )
    statuses = STATUS_FILTER[status] if status else None
    found = orders.Filter(statuses, search=wanted or None, limit=PAGE_ORDERS)
    listed = await orders.listing(session, account, found)
    paid = await orders.paid_by(session, account, listed)
    services = await orders.services_of(session, listed)
    latest, may_refill = await refills.shown(session, listed, services)
    return page.render(
        "orders.html",
        orders=[
            (o, services[o.service_id], PUBLIC_STATUS[o.status].value, paid[o.id]) for o in listed
        ],
        refills=latest,
        may_refill=may_refill,
        still_open=any(o.status not in TERMINAL for o in listed),
        placed=placed,
        q=wanted,
        chosen=status,
        statuses=list(STATUS_FILTER),
    )


@router.post("/orders/{order_id}/{action}")
async def order_action(
    order_id: int,
    action: str,
    page: PageDep,
    account: MemberDep,
    session: SessionDep,
) -> Response:
    if action not in ("refill", "cancel") or not is_row_id(order_id, BIG_ID):
        return page.render(
            "message.html", 404, message=page.refusal(Refused(order_texts.INCORRECT_ORDER))
        )
    try:
        async with session.begin_nested():
            if action == "refill":
                await orders.request_refill(session, account, order_id)
            else:
                await orders.request_cancel(session, account, order_id)
    except Refused as refused:
        return page.render("message.html", 422, message=page.refusal(refused), back="/orders")
    return page.keep(RedirectResponse("/orders", status_code=303))
