"""The brand a page shows, chosen by the Host header; an unknown host shows the operator's."""

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request

from panel.models import Brand, BrandHost


@dataclass(frozen=True)
class Shown:
    name: str
    reseller_id: int | None  # None: the operator's own brand
    primary_color: str = "#1f6feb"
    accent_color: str = "#0e1116"
    logo_url: str | None = None
    whatsapp_url: str | None = None
    payment_instructions: str = ""


def host_of(header: str) -> str:
    """`Panel.Example:443` → `panel.example`."""
    return header.rsplit(":", 1)[0].strip().lower().rstrip(".") if header else ""


async def for_request(session: AsyncSession, request: Request, operator_name: str) -> Shown:
    """The brand of the host the request was sent to."""
    return await for_host(session, host_of(request.headers.get("host", "")), operator_name)


async def for_host(session: AsyncSession, host: str, operator_name: str) -> Shown:
    brand = await session.scalar(
        select(Brand).join(BrandHost, BrandHost.brand_id == Brand.id).where(BrandHost.host == host)
    )
    if brand is None:
        return Shown(operator_name, None)
    return Shown(
        brand.name,
        brand.reseller_id,
        brand.primary_color,
        brand.accent_color,
        brand.logo_url,
        brand.whatsapp_url,
        brand.payment_instructions,
    )
