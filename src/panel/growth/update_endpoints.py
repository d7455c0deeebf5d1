"""`/v1/service-updates`: what changed in the services you can buy, at your own rates."""

from typing import Annotated

from fastapi import APIRouter, Query

from panel.growth import update_feed
from panel.growth.update_schemas import ServiceUpdatePage
from panel.keys.callers import BuyerDep
from panel.plumbing.deps import RuntimeDep, SessionDep

router = APIRouter(tags=["services"])

# [0-9], not \d: the pattern is checked by a Unicode regex engine, and int() would then take
# full-width digits too.
Cursor = Annotated[
    str | None, Query(pattern=r"^[0-9]{1,19}$", description="`next_cursor` of a page")
]
# Update ids are BIGINT: a cursor past the largest is simply "from the newest".
MAX_BIGINT = 2**63 - 1


@router.get("/service-updates")
async def list_service_updates(
    session: SessionDep,
    buyer: BuyerDep,
    runtime: RuntimeDep,
    cursor: Cursor = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> ServiceUpdatePage:
    """Changes to services, newest first: new, price up or down (your rate before and after),
    quantities, disabled, enabled, refill and cancel. The same events come as
    `service.updated` webhooks. A page may hold fewer than `limit` items while `next_cursor`
    is set: a change of cost your own price does not show is left out."""
    page = await update_feed.feed(
        session,
        buyer,
        before=min(int(cursor), MAX_BIGINT) if cursor is not None else None,
        limit=limit,
    )
    currency = runtime.settings.currency
    return ServiceUpdatePage(
        items=[entry.view(currency) for entry in page.entries],
        next_cursor=str(page.next_cursor) if page.next_cursor is not None else None,
    )
