"""The web panel's API page: the account's keys (create, limit to client addresses, revoke),
the brand's own API address, and the API v2 documentation under the brand."""

from dataclasses import dataclass
from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import RedirectResponse, Response

from panel.errors import Invalid
from panel.keys import service as keys
from panel.models import ApiKey
from panel.plumbing.deps import RuntimeDep, SessionDep
from panel.web.forms import is_row_id
from panel.web.pages import BuyerDep, Page, PageDep, page_router

router = page_router()
# One address or CIDR block a line (commas and spaces also part them).
AddressesField = Annotated[str, Form(max_length=4000)]


@dataclass(frozen=True)
class Addresses:
    api_v2: str
    v1: str


def addresses(request: Request) -> Addresses:
    """Where this brand's API answers: the host the visitor came through, so an agency sees its
    reseller's address and never the operator's."""
    base = str(request.base_url).rstrip("/")
    return Addresses(api_v2=f"{base}/api/v2", v1=f"{base}/v1")


@router.get("/api-access")
async def api_access(
    request: Request, page: PageDep, account: BuyerDep, session: SessionDep
) -> Response:
    return page.render(
        "api_access.html", keys=await keys.list_for(session, account.id), address=addresses(request)
    )


@router.post("/api-access/keys")
async def issue_key(
    request: Request,
    page: PageDep,
    account: BuyerDep,
    session: SessionDep,
    label: Annotated[str, Form(max_length=100)] = "",
    allowed: AddressesField = "",
) -> Response:
    try:
        issued = await keys.issue(session, account, label.strip(), _lines(allowed))
    except Invalid:
        return _bad_addresses(page)
    response = page.render(
        "api_key_issued.html",
        key=issued.key,
        plaintext=issued.plaintext,
        address=addresses(request),
    )
    # The only time the key exists in clear: no cache may keep a copy of this page.
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/api-access/keys/{key_id}/revoke")
async def revoke_key(
    key_id: int, page: PageDep, account: BuyerDep, session: SessionDep
) -> Response:
    key = await session.get(ApiKey, key_id) if is_row_id(key_id) else None
    if key is None or key.account_id != account.id:
        return _no_such_key(page)
    async with session.begin_nested():
        await keys.revoke(session, key.id)
    return page.keep(RedirectResponse("/api-access", status_code=303))


@router.post("/api-access/keys/{key_id}/addresses")
async def limit_key(
    key_id: int,
    page: PageDep,
    account: BuyerDep,
    session: SessionDep,
    allowed: AddressesField = "",
) -> Response:
    """Let the key be used only from these addresses; none: from anywhere."""
    key = await session.get(ApiKey, key_id) if is_row_id(key_id) else None
    if key is None or key.account_id != account.id:
        return _no_such_key(page)
    try:
        await keys.limit(session, key.id, _lines(allowed))
    except Invalid:
        return _bad_addresses(page)
    return page.keep(RedirectResponse("/api-access", status_code=303))


@router.get("/api-access/docs")
async def api_docs(
    request: Request, page: PageDep, account: BuyerDep, runtime: RuntimeDep
) -> Response:
    return page.render(
        "api_docs.html", currency=runtime.settings.currency, address=addresses(request)
    )


def _no_such_key(page: Page) -> Response:
    # Another account's key answers as one that does not exist: its id tells nothing.
    return page.render("message.html", 404, message=page.t("no_such_key"), back="/api-access")


def _lines(allowed: str) -> list[str]:
    return allowed.replace(",", " ").split()


def _bad_addresses(page: Page) -> Response:
    return page.render("message.html", 422, message=page.t("bad_addresses"), back="/api-access")
