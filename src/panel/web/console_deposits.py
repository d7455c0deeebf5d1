"""The reseller console's deposits: its agencies' deposits, with a clear alert when some wait
for the reseller's own wallet, confirming or rejecting transfers by hand, and the payment
methods its agencies pay through."""

from typing import Annotated

from fastapi import Form, Query
from fastapi.responses import Response

from panel.ledger import service as ledger
from panel.payments import crediting
from panel.plumbing.deps import SessionDep
from panel.web import payment_console, payment_setup
from panel.web.pages import PageDep, ResellerDep, page_router

router = page_router()
PAGE = "/console/deposits"
SETUP = "/console/payment-methods"
SETUP_TEMPLATE = "console_payment_methods.html"


@router.get(PAGE)
async def agency_deposits(
    page: PageDep,
    reseller: ResellerDep,
    session: SessionDep,
    status: Annotated[str, Query(max_length=20)] = "",
    reference: Annotated[str, Query(max_length=100)] = "",
) -> Response:
    held = await crediting.held_for(session, reseller.id)
    balance = await ledger.balance(session, reseller.id)
    return await payment_console.deposits_page(
        page,
        session,
        "console_deposits.html",
        status,
        reference,
        receiver_id=reseller.id,
        held=held,
        short=max(held.total - balance, 0),
        balance=balance,
    )


@router.post(PAGE + "/{deposit_id}/{decision}")
async def decide(
    deposit_id: int,
    decision: str,
    page: PageDep,
    reseller: ResellerDep,
    session: SessionDep,
    reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    return await payment_console.decide_transfer(
        page, session, reseller, deposit_id, decision, reason, PAGE
    )


async def _agencies_owner(reseller: ResellerDep) -> int | None:
    return reseller.id


# The payment methods its agencies pay through: the same set-up pages as the panel's own.
router.include_router(payment_setup.routes(SETUP, SETUP_TEMPLATE, _agencies_owner))
