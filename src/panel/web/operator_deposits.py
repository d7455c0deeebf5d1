"""The operator's money in the web console: every deposit, searchable, with transfers by hand
to confirm or reject; the review list of payments not credited; and the panel's own gateways
and methods, set up as a reseller sets up its own."""

from datetime import UTC, datetime
from typing import Annotated

from fastapi import Form, Query
from fastapi.responses import RedirectResponse, Response

from panel.currencies import money_text
from panel.errors import Conflict, Forbidden, InsufficientFunds, Invalid, NotFound
from panel.models import ReviewOutcome
from panel.payments import crediting
from panel.plumbing.deps import SessionDep
from panel.web import deposit_texts, forms, payment_console, payment_setup
from panel.web.deposit_pages import when
from panel.web.pages import OperatorDep, PageDep, page_router

router = page_router()
DEPOSITS = "/ops/deposits"
REVIEWS = "/ops/payment-reviews"
SETUP = "/ops/payment-methods"
SETUP_TEMPLATE = "ops_payment_methods.html"


@router.get(DEPOSITS)
async def all_deposits(
    page: PageDep,
    operator: OperatorDep,
    session: SessionDep,
    status: Annotated[str, Query(max_length=20)] = "",
    reference: Annotated[str, Query(max_length=100)] = "",
) -> Response:
    return await payment_console.deposits_page(
        page, session, "ops_deposits.html", status, reference, receiver_id=None, everyone=True
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


async def _panel_owner(operator: OperatorDep) -> int | None:
    return None  # the panel's own gateways belong to no account


# The panel's gateways: the same set-up pages as a reseller's, owned by no one.
router.include_router(payment_setup.routes(SETUP, SETUP_TEMPLATE, _panel_owner))
