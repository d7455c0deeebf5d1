"""What an account can order: each service with the account's own price and Pasok's quality
figures for it. Every surface (API v2, /v1, the web panel) lists services through this."""

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from panel.catalogue import quality
from panel.models import Account, QualityFigures, Service
from panel.pricing import service as pricing
from panel.pricing.service import Price


@dataclass(frozen=True)
class Offered:
    service: Service
    price: Price
    figures: QualityFigures | None  # None until the service has orders to measure


async def offer(session: AsyncSession, account: Account) -> list[Offered]:
    """The services `account` can order now, by id."""
    prices = await pricing.price_list(session, account)
    services = await session.scalars(
        select(Service).where(Service.id.in_(prices)).order_by(Service.id)
    )
    figures = await quality.figures_of(session, quality.SERVICE, list(prices))
    return [Offered(s, prices[s.id], figures.get(s.id)) for s in services]
