"""Invitation links in the web panel: a reseller makes one for a new agency and shares it (on
WhatsApp, most likely); whoever opens it on the reseller's host joins, or chooses a password."""

from datetime import UTC, datetime
from functools import partial
from typing import Annotated
from urllib.parse import quote

from fastapi import Form
from fastapi.responses import Response

from panel.accounts import invitations, signing_in
from panel.brands import by_host
from panel.errors import Conflict
from panel.models import Account, Invitation
from panel.plumbing.deps import SessionDep
from panel.web import joining
from panel.web.joining import SignUpDep
from panel.web.pages import (
    Page,
    PageDep,
    ResellerDep,
    page_router,
)

router = page_router()


@router.post("/console/invitations")
async def invite(
    page: PageDep,
    account: ResellerDep,
    session: SessionDep,
    note: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    try:
        joins = await invitations.joins_at(
            session, account, by_host.host_of(page.request.headers.get("host", ""))
        )
    except Conflict:
        message = page.t("invitation_needs_brand")
        return page.render("message.html", 409, message=message, back="/console/brand")
    token = await invitations.invite_agency(session, account, note, datetime.now(UTC))
    # Every host is served by the same server, so the brand's host takes this one's scheme
    # and port (`localhost:8000` in development); the reseller may be on the operator's host.
    base = page.request.base_url.replace(hostname=joins.host)
    link = f"{base}{invitations.PATH.lstrip('/')}{token}"
    # The brand the agency joins, never the operator's the page may be shown under.
    share = page.t("invitation_share").format(brand=joins.brand_name, link=link)
    return page.render(
        "invitation_made.html",
        link=link,
        note=note,
        opens_on=joins.host,
        whatsapp=f"https://wa.me/?text={quote(share)}",
    )


async def _opened(page: Page, session: SessionDep, token: str) -> Invitation | None:
    """The invitation, if it is still good and meant for this host's brand: an agency joins
    its reseller only on that reseller's hosts, and an account sets its password only where it
    signs in."""
    found = await invitations.open_link(session, token, datetime.now(UTC))
    if found is None:
        return None
    if found.reseller_id is not None:
        return found if found.reseller_id == page.brand.reseller_id else None
    account = await session.get(Account, found.account_id)
    if account is None or not signing_in.belongs(account, page.brand.reseller_id):
        return None
    return found


@router.get("/join/{token}")
async def join_form(token: str, page: PageDep, session: SessionDep) -> Response:
    found = await _opened(page, session, token)
    if found is None:
        return page.render("message.html", 404, message=page.t("link_not_valid"))
    return page.render("join.html", token=token, new_agency=found.reseller_id is not None)


@router.post("/join/{token}")
async def join(token: str, page: PageDep, session: SessionDep, typed: SignUpDep) -> Response:
    found = await _opened(page, session, token)
    if found is None:
        return page.render("message.html", 404, message=page.t("link_not_valid"))
    create = partial(
        invitations.redeem,
        session,
        found,
        datetime.now(UTC),
        password=typed.password,
        name=typed.name,
        email=typed.email,
    )
    new_agency = found.reseller_id is not None
    return await joining.answer(
        page, session, typed, create, "join.html", token=token, new_agency=new_agency
    )
