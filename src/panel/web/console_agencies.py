"""The reseller console's agencies: their wallets, funding them from the reseller's own wallet,
suspending and reactivating them."""

from typing import Annotated

from fastapi import Form
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from panel.accounts import service as accounts
from panel.currencies import money_text
from panel.errors import InsufficientFunds
from panel.ledger import service as ledger
from panel.models import Account, AccountStatus
from panel.plumbing.deps import RuntimeDep, SessionDep
from panel.web import forms
from panel.web.console import agencies_of, agency_of
from panel.web.pages import (
    Interrupt,
    Page,
    PageDep,
    ResellerDep,
    page_router,
)

router = page_router()
PAGE = "/console/agencies"
# What a redirect back may say was done, by the word that says it.
DONE = {
    "funded": "console_done_funded",
    "suspended": "console_done_suspended",
    "active": "console_done_reactivated",
}


@router.get(PAGE)
async def agencies(
    page: PageDep,
    reseller: ResellerDep,
    runtime: RuntimeDep,
    session: SessionDep,
    done: str = "",
) -> Response:
    return await _agencies_page(page, session, reseller, runtime.settings.currency, done=done)


async def _agencies_page(
    page: Page,
    session: AsyncSession,
    reseller: Account,
    currency: str,
    *,
    done: str = "",
    refused: tuple[int, str, str] | None = None,
) -> Response:
    """The agencies and their wallets; `refused` is a funding form sent back: the agency's id,
    what is wrong, and what was typed, shown again under that agency's form."""
    listed = await agencies_of(session, reseller)
    balances = await ledger.balances(session, [reseller.id, *(a.id for a in listed)])
    return page.render(
        "console_agencies.html",
        422 if refused else 200,
        balance=balances[reseller.id],
        agencies=[(agency, balances[agency.id]) for agency in listed],
        done=DONE.get(done),
        currency=currency,
        refused=refused,
    )


@router.post(PAGE + "/{agency_id}/fund")
async def fund(
    agency_id: int,
    page: PageDep,
    reseller: ResellerDep,
    runtime: RuntimeDep,
    session: SessionDep,
    amount: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    """Move money from the reseller's wallet to the agency's, in one journal. Any amount the
    ledger holds (six decimals) can be sent, so a wallet can be passed on to the last digit."""
    agency = await _agency(page, session, reseller, agency_id)
    currency = runtime.settings.currency
    try:
        wanted = page.read_amount(amount)
    except money_text.Unreadable as unreadable:
        refused = (agency.id, unreadable.said(page.lang), amount)
        return await _agencies_page(page, session, reseller, currency, refused=refused)
    try:
        async with session.begin_nested():
            await ledger.fund_agency(
                session, agency.id, wanted, "funded by its reseller in the web panel", reseller.id
            )
    except InsufficientFunds:
        refused = (agency.id, page.t("console_not_enough"), amount)
        return await _agencies_page(page, session, reseller, currency, refused=refused)
    return page.keep(RedirectResponse(f"{PAGE}?done=funded", status_code=303))


@router.post(PAGE + "/{agency_id}/status")
async def set_status(
    agency_id: int,
    page: PageDep,
    reseller: ResellerDep,
    session: SessionDep,
    status: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Suspend an agency (its sign-in and API keys stop working) or reactivate it."""
    agency = await _agency(page, session, reseller, agency_id)
    if status not in (AccountStatus.active.value, AccountStatus.suspended.value):
        return _refused(page, "console_bad_status")
    await accounts.update(session, agency.id, status=AccountStatus(status))
    return page.keep(RedirectResponse(f"{PAGE}?done={status}", status_code=303))


async def _agency(page: Page, session: AsyncSession, reseller: Account, agency_id: int) -> Account:
    """One of the reseller's agencies; any other id is a page that does not exist."""
    agency = await agency_of(session, reseller, agency_id) if forms.is_row_id(agency_id) else None
    if agency is None:
        raise Interrupt(page.render("message.html", 404, message=page.t("not_found")))
    return agency


def _refused(page: Page, word: str) -> Response:
    return page.render("message.html", 422, message=page.t(word), back=PAGE)
