"""The web panel's mass order: one `service_id|link|quantity` per line, each line placed or
refused on its own by the same rules as a mass order on /api/v2."""

from typing import Annotated

from fastapi import Form
from fastapi.responses import Response

from panel.orders import mass
from panel.orders.texts import Refused
from panel.orders.validation import LINK_MAX
from panel.plumbing.deps import SessionDep
from panel.web.pages import BuyerDep, PageDep, page_router

router = page_router()
# Room for the most lines a mass order takes, each with the longest link; a longer text is
# refused before it is read.
TEXT_MAX = mass.MAX_LINES * (LINK_MAX + 40)


@router.get("/orders/mass")
async def mass_order_form(page: PageDep, account: BuyerDep) -> Response:
    return page.render("mass_order.html", text="", results=None)


@router.post("/orders/mass")
async def mass_order(
    page: PageDep,
    account: BuyerDep,
    session: SessionDep,
    orders: Annotated[str, Form(max_length=TEXT_MAX)] = "",
) -> Response:
    try:
        async with session.begin_nested():
            results = await mass.accept_lines(session, account, orders)
    except Refused as refused:
        # Nothing was placed: the text stays in the box to be put right.
        return page.render(
            "mass_order.html", 422, text=orders, error=page.refusal(refused), results=None
        )
    lines = orders.splitlines()
    return page.render(
        "mass_order.html",
        text="",
        results=[(result, lines[result.line - 1].strip()) for result in results],
        placed=sum(result.order_id is not None for result in results),
    )
