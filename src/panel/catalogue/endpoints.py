"""`/v1/services`: what the caller can order, at the caller's own rate."""

from fastapi import APIRouter, Request
from pydantic import TypeAdapter
from starlette.responses import Response

from panel.catalogue.offer import kept_list, offer
from panel.catalogue.schemas import QualityView, ServiceView
from panel.keys.callers import BuyerDep
from panel.plumbing.deps import RuntimeDep, SessionDep

router = APIRouter(tags=["services"])
_LIST = TypeAdapter(list[ServiceView])


@router.get("/services", response_model=list[ServiceView])
async def list_services(
    request: Request, session: SessionDep, buyer: BuyerDep, runtime: RuntimeDep
) -> Response:
    """Every service you can order now, with your rate per 1000."""

    async def listed() -> bytes:
        # Encoded once and kept until a price, the catalogue or the caller changes
        # (read_cache), as API v2's list is: a child panel repricing reads it often.
        return _LIST.dump_json(
            [
                ServiceView(
                    id=item.service.id,
                    name=item.service.name,
                    type=item.service.type,
                    category=item.service.category,
                    description=item.service.description,
                    rate=item.price.rate,
                    currency=runtime.settings.currency,
                    min_quantity=item.service.min_quantity,
                    max_quantity=item.service.max_quantity,
                    refill=item.service.refill,
                    cancel=item.service.cancel,
                    dripfeed=item.service.dripfeed,
                    quality=QualityView.model_validate(item.figures).with_complaints(
                        item.complaints
                    )
                    if item.figures
                    else None,
                )
                for item in await offer(session, buyer)
            ]
        )

    kept = await kept_list(runtime.reads, "v1", buyer, listed)
    return kept.response(request.headers.get("accept-encoding", ""))
