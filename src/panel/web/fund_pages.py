"""Funds in the web panel: an agency sees its balance and its reseller's payment instructions
and asks for a top-up; the reseller approves or rejects the requests in its console."""

from datetime import UTC, datetime
from typing import Annotated

from fastapi import Form
from fastapi.responses import RedirectResponse, Response

from panel.currencies import money_text
from panel.errors import PanelError
from panel.ledger import service as ledger
from panel.ledger import top_up_requests
from panel.models import Account
from panel.plumbing.deps import RuntimeDep, SessionDep
from panel.web import forms
from panel.web.pages import (
    AgencyDep,
    Page,
    PageDep,
    ResellerDep,
    page_router,
)

router = page_router()


async def _funds_page(
    page: Page,
    account: Account,
    session: SessionDep,
    currency: str,
    status: int = 200,
    **extra: object,
) -> Response:
    return page.render(
        "funds.html",
        status,
        balance=await ledger.balance(session, account.id),
        currency=currency,
        requests=await top_up_requests.of_agency(session, account),
        **extra,
    )


@router.get("/funds")
async def funds(
    page: PageDep, account: AgencyDep, runtime: RuntimeDep, session: SessionDep, asked: int = 0
) -> Response:
    return await _funds_page(page, account, session, runtime.settings.currency, asked=asked)


@router.post("/funds/requests")
async def ask_top_up(
    page: PageDep,
    account: AgencyDep,
    runtime: RuntimeDep,
    session: SessionDep,
    amount: Annotated[str, Form(max_length=40)] = "",
    reference: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    currency = runtime.settings.currency
    try:
        # What was paid outside the panel, by bank transfer or the like: counted in the
        # currency's own units (whole rupiah, cents), never in a ledger's millionths.
        wanted = page.read_amount(amount, places=money_text.places(currency))
    except money_text.Unreadable as unreadable:
        error = unreadable.said(page.lang)
    else:
        try:
            async with session.begin_nested():
                request = await top_up_requests.ask(session, account, wanted, reference)
        except PanelError as refused:
            error = refused.detail
        else:
            return page.keep(RedirectResponse(f"/funds?asked={request.id}", status_code=303))
    return await _funds_page(
        page, account, session, currency, 422, error=error, amount=amount, reference=reference
    )


@router.get("/console/top-ups")
async def top_up_requests_page(
    page: PageDep, account: ResellerDep, runtime: RuntimeDep, session: SessionDep
) -> Response:
    return page.render(
        "console_top_ups.html",
        requests=await top_up_requests.to_reseller(session, account),
        balance=await ledger.balance(session, account.id),
        currency=runtime.settings.currency,
    )


@router.post("/console/top-ups/{request_id}/{decision}")
async def decide_top_up(
    request_id: int,
    decision: str,
    page: PageDep,
    account: ResellerDep,
    session: SessionDep,
) -> Response:
    if decision not in ("approve", "reject") or not forms.is_row_id(request_id, forms.BIG_ID):
        return page.render("message.html", 404, message=page.t("not_found"))
    try:
        async with session.begin_nested():
            await top_up_requests.decide(
                session, account, request_id, decision == "approve", datetime.now(UTC)
            )
    except PanelError as refused:
        return page.render(
            "message.html", refused.status_code, message=refused.detail, back="/console/top-ups"
        )
    return page.keep(RedirectResponse("/console/top-ups", status_code=303))
