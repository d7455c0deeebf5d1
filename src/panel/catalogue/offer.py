"""What an account can order: each service with the account's own price and Pasok's quality
figures for it. Every surface (API v2, /v1, the web panel) lists services through this."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from panel.catalogue import quality
from panel.models import Account, QualityFigures, Service
from panel.plumbing import compressed
from panel.plumbing.read_cache import ReadCache
from panel.pricing import service as pricing
from panel.pricing.service import Price
from panel.support import complaints
from panel.support.complaints import Complaints


@dataclass(frozen=True)
class Offered:
    service: Service
    price: Price
    figures: QualityFigures | None  # None until the service has orders to measure
    complaints: Complaints | None = None  # tickets per 100 orders, likewise


async def offer(session: AsyncSession, account: Account) -> list[Offered]:
    """The services `account` can order now, by id."""
    # Each price carries its service: no second read of the services.
    prices = await pricing.price_list(session, account)
    figures = await quality.figures_of(session, quality.SERVICE, list(prices))
    rates = await complaints.figures_of(session, quality.SERVICE, list(prices))
    return [
        Offered(price.service, price, figures.get(service_id), rates.get(service_id))
        for service_id, price in sorted(prices.items())
    ]


async def kept_list(
    reads: ReadCache, surface: str, account: Account, read: Callable[[], Awaitable[bytes]]
) -> compressed.Body:
    """The list of services `account` can order with its prices, as `surface` (API v2, /v1)
    sends it, kept by the read cache with its gzip copy and read by `read` when not known or
    too old. Its quality figures are the worker's, recomputed every few minutes: they may be
    up to the time to live behind."""

    async def body() -> compressed.Body:
        return compressed.Body.of(await read())

    return await reads.kept("services", (surface, account.id), body)
