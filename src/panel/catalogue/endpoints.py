"""`/v1/services`: what the caller can order, at the caller's own rate."""

from fastapi import APIRouter
from sqlalchemy import select

from panel.catalogue import quality
from panel.catalogue.schemas import QualityView, ServiceView
from panel.deps import BuyerDep, RuntimeDep, SessionDep
from panel.models import Service
from panel.pricing import service as pricing

router = APIRouter(tags=["services"])


@router.get("/services")
async def list_services(
    session: SessionDep, buyer: BuyerDep, runtime: RuntimeDep
) -> list[ServiceView]:
    """Every service you can order now, with your rate per 1000."""
    prices = await pricing.price_list(session, buyer)
    rows = await session.scalars(select(Service).where(Service.id.in_(prices)).order_by(Service.id))
    figures = await quality.figures_of(session, quality.SERVICE, list(prices))
    return [
        ServiceView(
            id=service.id,
            name=service.name,
            type=service.type,
            category=service.category,
            description=service.description,
            rate=prices[service.id].rate,
            currency=runtime.settings.currency,
            min_quantity=service.min_quantity,
            max_quantity=service.max_quantity,
            refill=service.refill,
            cancel=service.cancel,
            dripfeed=service.dripfeed,
            quality=QualityView.model_validate(figures[service.id])
            if service.id in figures
            else None,
        )
        for service in rows
    ]
