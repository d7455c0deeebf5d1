"""The operator's money in the web console: every deposit, searchable, with transfers by hand
to confirm or reject; the review list of payments not credited; and the panel's own gateways
and methods, set up as a reseller sets up its own."""

from datetime import UTC, datetime
from typing import Annotated

from fastapi import Form, Query
from fastapi.responses import RedirectResponse, Response

from panel import money_text
from panel.deps import SessionDep
from panel.errors import Conflict, Forbidden, InsufficientFunds, Invalid, NotFound
from panel.models import DepositStatus, ReviewOutcome
from panel.payments import crediting, deposits, methods
from panel.web import deposit_texts, forms, payment_console
from panel.web.deposit_pages import when
from panel.web.pages import OperatorDep, PageDep, page_router

router = page_router()
DEPOSITS = "/ops/deposits"
REVIEWS = "/ops/payment-reviews"
SETUP = "/ops/payment-methods"
SETUP_TEMPLATE = "ops_payment_methods.html"
STATUSES = [status.value for status in DepositStatus]


@router.get(DEPOSITS)
async def all_deposits(
    page: PageDep,
    operator: OperatorDep,
    session: SessionDep,
    status: Annotated[str, Query(max_length=20)] = "",
    reference: Annotated[str, Query(max_length=100)] = "",
) -> Response:
    wanted = DepositStatus(status) if status in STATUSES else None
    found = await deposits.search(
        session,
        None,
        deposits.Filter(status=wanted, reference=reference or None),
        everyone=True,
    )
    return page.render(
        "ops_deposits.html",
        w=deposit_texts.WORDS[page.lang],
        rows=found,
        shown_status=status if wanted else "",
        reference=reference,
        statuses=STATUSES,
        by_hand=methods.BY_HAND,
        when=when,
    )


@router.post(DEPOSITS + "/{deposit_id}/{decision}")
async def decide(
    deposit_id: int,
    decision: str,
    page: PageDep,
    operator: OperatorDep,
    session: SessionDep,
    reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    return await payment_console.decide_transfer(
        page, session, operator, deposit_id, decision, reason, DEPOSITS
    )


@router.get(REVIEWS)
async def payment_reviews(
    page: PageDep, operator: OperatorDep, session: SessionDep, closed: int = 0
) -> Response:
    found = await crediting.reviews_for(session, None, everyone=True, open_only=not closed)
    return page.render(
        "ops_payment_reviews.html",
        w=deposit_texts.WORDS[page.lang],
        reviews=found,
        closed=bool(closed),
        when=when,
    )


@router.post(REVIEWS + "/{review_id}/resolve")
async def resolve(
    review_id: int,
    page: PageDep,
    operator: OperatorDep,
    session: SessionDep,
    outcome: Annotated[str, Form(max_length=20)] = "",
    note: Annotated[str, Form(max_length=1000)] = "",
    amount: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    """Credit the review's deposit once, or dismiss it; either way with a note."""
    said = deposit_texts.WORDS[page.lang]
    if outcome not in (ReviewOutcome.credited.value, ReviewOutcome.dismissed.value):
        return page.render("message.html", 404, message=page.t("not_found"), back=REVIEWS)
    if not forms.is_row_id(review_id, forms.BIG_ID):
        return page.render("message.html", 404, message=page.t("not_found"), back=REVIEWS)
    try:
        credited = payment_console.amount_or_none(page, amount)
    except money_text.Unreadable as unreadable:
        return page.render("message.html", 422, message=unreadable.said(page.lang), back=REVIEWS)
    try:
        async with session.begin_nested():
            await crediting.resolve(
                session,
                operator,
                review_id,
                ReviewOutcome(outcome),
                note,
                datetime.now(UTC),
                amount=credited,
            )
    except (NotFound, Forbidden):
        return page.render("message.html", 404, message=page.t("not_found"), back=REVIEWS)
    except (Conflict, Invalid, InsufficientFunds) as refused:
        message = said["error_decision"].format(why=refused.detail)
        return page.render("message.html", refused.status_code, message=message, back=REVIEWS)
    return page.keep(RedirectResponse(REVIEWS, status_code=303))


# --- the panel's gateways: the same set-up as a reseller's, owned by no one ------------------


@router.get(SETUP)
async def payment_methods(
    page: PageDep, operator: OperatorDep, session: SessionDep, done: int = 0
) -> Response:
    return await payment_console.setup_page(
        page, session, None, SETUP_TEMPLATE, SETUP, done=bool(done)
    )


@router.post(SETUP + "/tripay")
async def add_tripay(
    page: PageDep,
    operator: OperatorDep,
    session: SessionDep,
    name: Annotated[str, Form(max_length=100)] = "",
    merchant_code: Annotated[str, Form(max_length=100)] = "",
    api_key: Annotated[str, Form(max_length=500)] = "",
    private_key: Annotated[str, Form(max_length=500)] = "",
    production: Annotated[str, Form(max_length=10)] = "",
    fee_paid_by: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    keys = methods.GatewayKeys(merchant_code.strip(), api_key.strip(), private_key.strip())
    return await payment_console.add_tripay(
        page,
        session,
        None,
        SETUP_TEMPLATE,
        SETUP,
        name=name,
        keys=keys,
        production=production == "on",
        fee_paid_by=fee_paid_by,
    )


@router.post(SETUP + "/transfer")
async def add_transfer(
    page: PageDep,
    operator: OperatorDep,
    session: SessionDep,
    bank: Annotated[str, Form(max_length=100)] = "",
    number: Annotated[str, Form(max_length=100)] = "",
    holder: Annotated[str, Form(max_length=100)] = "",
    kind: Annotated[str, Form(max_length=20)] = "",
    min_amount: Annotated[str, Form(max_length=40)] = "",
    max_amount: Annotated[str, Form(max_length=40)] = "",
    secret: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    form = payment_console.TransferForm(bank, number, holder, kind, min_amount, max_amount, secret)
    return await payment_console.add_transfer(page, session, None, SETUP_TEMPLATE, SETUP, form)


@router.post(SETUP + "/{gateway_id}/import")
async def import_channels(
    gateway_id: int, page: PageDep, operator: OperatorDep, session: SessionDep
) -> Response:
    return await payment_console.import_again(
        page, session, None, SETUP_TEMPLATE, SETUP, gateway_id
    )


@router.post(SETUP + "/{gateway_id}/methods/{method_id}")
async def change_method(
    gateway_id: int,
    method_id: int,
    page: PageDep,
    operator: OperatorDep,
    session: SessionDep,
    fee_paid_by: Annotated[str, Form(max_length=20)] = "",
    enabled: Annotated[str, Form(max_length=10)] = "",
    min_amount: Annotated[str, Form(max_length=40)] = "",
    max_amount: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    change = payment_console.MethodChange(fee_paid_by, enabled == "on", min_amount, max_amount)
    return await payment_console.change_method(
        page, session, None, SETUP_TEMPLATE, SETUP, gateway_id, method_id, change
    )
