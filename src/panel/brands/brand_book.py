"""A reseller's brand: set whole, with the host names it answers on (read by
`panel.brands.host_names`, as every stored host is)."""

from collections.abc import Sequence

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from panel import action_log
from panel.brands.host_names import host_name
from panel.brands.schemas import BrandIn
from panel.errors import Conflict, Invalid
from panel.models import Account, AccountKind, Brand, BrandHost


async def brand_of(session: AsyncSession, reseller: Account) -> tuple[Brand, list[str]] | None:
    brand = await session.scalar(select(Brand).where(Brand.reseller_id == reseller.id))
    if brand is None:
        return None
    hosts = await session.scalars(
        select(BrandHost.host).where(BrandHost.brand_id == brand.id).order_by(BrandHost.host)
    )
    return brand, list(hosts)


async def set_brand(
    session: AsyncSession,
    reseller: Account,
    *,
    name: str,
    hosts: Sequence[str],
    logo_url: str | None,
    primary_color: str,
    accent_color: str,
    whatsapp_url: str | None,
    payment_instructions: str,
    development: bool = False,
) -> tuple[Brand, list[str]]:
    """Create or replace the reseller's brand and its hosts; a host another brand holds is a
    conflict, one that is no host name is refused (`host_names.BadHost`) before anything is
    written. `development`: a host may be typed with a port."""
    if reseller.kind is not AccountKind.reseller:
        raise Invalid("only a reseller has a brand")
    wanted = sorted({host_name(host, development=development) for host in hosts})
    found = await brand_of(session, reseller)
    brand = found[0] if found else Brand(reseller_id=reseller.id)
    brand.name, brand.logo_url = name, logo_url
    brand.primary_color, brand.accent_color = primary_color, accent_color
    brand.whatsapp_url, brand.payment_instructions = whatsapp_url, payment_instructions
    session.add(brand)
    await session.flush()
    taken = await session.scalars(
        select(BrandHost.host).where(BrandHost.host.in_(wanted), BrandHost.brand_id != brand.id)
    )
    if clash := list(taken):
        raise Conflict(f"host names already used by another brand: {', '.join(clash)}")
    await session.execute(delete(BrandHost).where(BrandHost.brand_id == brand.id))
    session.add_all(BrandHost(host=host, brand_id=brand.id) for host in wanted)
    await session.flush()
    return brand, wanted


# What a brand is made of, beside its hosts: the form shows these, the action log keeps them.
BRAND_FIELDS = (
    "name",
    "logo_url",
    "primary_color",
    "accent_color",
    "whatsapp_url",
    "payment_instructions",
)


async def apply_by(
    session: AsyncSession,
    actor_id: int,
    reseller: Account,
    body: BrandIn,
    *,
    development: bool = False,
) -> tuple[Brand, list[str]]:
    """`apply`, by an operator for a reseller: in the action log with its hosts."""
    found = await brand_of(session, reseller)
    before = None
    if found is not None:
        before = action_log.snapshot(found[0], BRAND_FIELDS) | {"hosts": found[1]}
    brand, hosts = await apply(session, reseller, body, development=development)
    after = action_log.snapshot(brand, BRAND_FIELDS) | {"hosts": hosts}
    await action_log.record(
        session, actor_id, "brand.set", "account", reseller.id, before=before, after=after
    )
    return brand, hosts


async def apply(
    session: AsyncSession, reseller: Account, body: BrandIn, *, development: bool = False
) -> tuple[Brand, list[str]]:
    """Set the brand from a validated form or request body."""
    return await set_brand(
        session,
        reseller,
        name=body.name,
        hosts=body.hosts,
        logo_url=str(body.logo_url) if body.logo_url else None,
        primary_color=body.primary_color,
        accent_color=body.accent_color,
        whatsapp_url=str(body.whatsapp_url) if body.whatsapp_url else None,
        payment_instructions=body.payment_instructions,
        development=development,
    )
