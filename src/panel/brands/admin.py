"""`/admin/v1/accounts/{id}/brand` and `/sign-in-link`: the operator sets a reseller's
white-label brand, and gives an account a one-time link to choose its web panel password."""

from datetime import UTC, datetime

from fastapi import APIRouter

from panel.accounts import operators
from panel.accounts import service as accounts
from panel.brands import brand_book, host_names
from panel.brands.schemas import BrandIn, BrandOut, SignInLinkOut
from panel.errors import NotFound
from panel.keys.callers import OperatorDep
from panel.models import Brand
from panel.plumbing.deps import RuntimeDep, SessionDep
from panel.plumbing.schemas import PathId

router = APIRouter(tags=["admin: brands"])


@router.get("/accounts/{account_id}/brand")
async def get_brand(account_id: PathId, session: SessionDep) -> BrandOut:
    reseller = await accounts.get(session, account_id)
    found = await brand_book.brand_of(session, reseller)
    if found is None:
        raise NotFound(f"account {account_id} has no brand")
    return _shown(*found)


def _shown(brand: Brand, hosts: list[str]) -> BrandOut:
    return BrandOut(
        reseller_id=brand.reseller_id,
        name=brand.name,
        hosts=hosts,
        logo_url=brand.logo_url,
        primary_color=brand.primary_color,
        accent_color=brand.accent_color,
        whatsapp_url=brand.whatsapp_url,
        payment_instructions=brand.payment_instructions,
    )


@router.put("/accounts/{account_id}/brand")
async def set_brand(
    account_id: PathId,
    body: BrandIn,
    session: SessionDep,
    runtime: RuntimeDep,
    operator: OperatorDep,
) -> BrandOut:
    """Set a reseller's brand whole: its name, look, support link and host names. A host is
    kept as a visit's Host header names it: `https://Panel.Example.co.id/` is stored as
    `panel.example.co.id`, an IDN as punycode; an IP address is refused, and so is a port
    unless `PASOK_ENVIRONMENT` is `development`."""
    reseller = await accounts.get(session, account_id)
    development = host_names.in_development(runtime.settings.environment)
    shown = await brand_book.apply_by(
        session, operator.account_id, reseller, body, development=development
    )
    return _shown(*shown)


@router.post("/accounts/{account_id}/sign-in-link", status_code=201)
async def sign_in_link(
    account_id: PathId, session: SessionDep, operator: OperatorDep
) -> SignInLinkOut:
    """A one-time link (7 days) with which the account chooses its web panel password: for a
    new reseller or operator, or when a password is forgotten."""
    account = await accounts.get(session, account_id)
    link = await operators.reset_link(session, operator.account_id, account, datetime.now(UTC))
    return SignInLinkOut(path=link.path, expires_at=link.expires_at)
