"""The service-updates page: the buyer's feed, at its own prices, newest first."""

from typing import Annotated

from fastapi import Query
from fastapi.responses import Response

from panel.growth import update_feed
from panel.models import ServiceChange
from panel.orders import validation
from panel.plumbing.deps import SessionDep
from panel.web import update_texts
from panel.web.forms import BIG_ID
from panel.web.pages import BuyerDep, PageDep, page_router

router = page_router()
PAGE_UPDATES = 30


@router.get("/service-updates")
async def service_updates(
    page: PageDep,
    account: BuyerDep,
    session: SessionDep,
    before: Annotated[int, Query(ge=0)] = 0,
) -> Response:
    """`before`: the next page's cursor; anything past the last id is read as the newest."""
    found = await update_feed.feed(
        session,
        account,
        before=min(before, BIG_ID) or None,
        limit=PAGE_UPDATES,
    )
    return page.render(
        "service_updates.html",
        w=update_texts.WORDS[page.lang],
        entries=[(entry, _headline(entry)) for entry in found.entries],
        older=found.next_cursor,
        per_item=validation.PER_ITEM_TYPES,
    )


def _headline(entry: update_feed.Shown) -> str:
    """The word for the change: a price change says which way it went."""
    change = entry.update.change
    if change is ServiceChange.price:
        up = (entry.rate_after or 0) > (entry.rate_before or 0)
        return "change_price_up" if up else "change_price_down"
    return f"change_{change.value}"
