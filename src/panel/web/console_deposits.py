"""The reseller console's deposits: its agencies' deposits, with a clear alert when some wait
for the reseller's own wallet, confirming or rejecting transfers by hand, and the payment
methods its agencies pay through."""

from typing import Annotated

from fastapi import Form, Query
from fastapi.responses import Response

from panel.deps import SessionDep
from panel.ledger import service as ledger
from panel.models import DepositStatus
from panel.payments import crediting, deposits, methods
from panel.web import deposit_texts, payment_console
from panel.web.deposit_pages import when
from panel.web.pages import PageDep, ResellerDep, page_router

router = page_router()
PAGE = "/console/deposits"
SETUP = "/console/payment-methods"
SETUP_TEMPLATE = "console_payment_methods.html"
STATUSES = [status.value for status in DepositStatus]


@router.get(PAGE)
async def agency_deposits(
    page: PageDep,
    reseller: ResellerDep,
    session: SessionDep,
    status: Annotated[str, Query(max_length=20)] = "",
    reference: Annotated[str, Query(max_length=100)] = "",
) -> Response:
    wanted = DepositStatus(status) if status in STATUSES else None
    found = await deposits.search(
        session, reseller.id, deposits.Filter(status=wanted, reference=reference or None)
    )
    held = await crediting.held_for(session, reseller.id)
    balance = await ledger.balance(session, reseller.id)
    return page.render(
        "console_deposits.html",
        w=deposit_texts.WORDS[page.lang],
        rows=found,
        held=held,
        short=max(held.total - balance, 0),
        balance=balance,
        shown_status=status if wanted else "",
        reference=reference,
        statuses=STATUSES,
        by_hand=methods.BY_HAND,
        when=when,
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


@router.get(SETUP)
async def payment_methods(
    page: PageDep, reseller: ResellerDep, session: SessionDep, done: int = 0
) -> Response:
    return await payment_console.setup_page(
        page, session, reseller.id, SETUP_TEMPLATE, SETUP, done=bool(done)
    )


@router.post(SETUP + "/tripay")
async def add_tripay(
    page: PageDep,
    reseller: ResellerDep,
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
        reseller.id,
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
    reseller: ResellerDep,
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
    return await payment_console.add_transfer(
        page, session, reseller.id, SETUP_TEMPLATE, SETUP, form
    )


@router.post(SETUP + "/{gateway_id}/import")
async def import_channels(
    gateway_id: int, page: PageDep, reseller: ResellerDep, session: SessionDep
) -> Response:
    return await payment_console.import_again(
        page, session, reseller.id, SETUP_TEMPLATE, SETUP, gateway_id
    )


@router.post(SETUP + "/{gateway_id}/methods/{method_id}")
async def change_method(
    gateway_id: int,
    method_id: int,
    page: PageDep,
    reseller: ResellerDep,
    session: SessionDep,
    fee_paid_by: Annotated[str, Form(max_length=20)] = "",
    enabled: Annotated[str, Form(max_length=10)] = "",
    min_amount: Annotated[str, Form(max_length=40)] = "",
    max_amount: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    change = payment_console.MethodChange(fee_paid_by, enabled == "on", min_amount, max_amount)
    return await payment_console.change_method(
        page, session, reseller.id, SETUP_TEMPLATE, SETUP, gateway_id, method_id, change
    )
