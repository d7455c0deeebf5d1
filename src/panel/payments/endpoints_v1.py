"""`/v1`: deposits for resellers and agencies, and, for a reseller, the gateways its agencies
pay into and what it decides about the money paid there."""

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, status
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from panel.errors import Unavailable
from panel.keys.callers import BuyerDep
from panel.models import (
    Account,
    Deposit,
    DepositStatus,
    PaymentGateway,
    PaymentMethod,
    PaymentReview,
)
from panel.payments import crediting, deposits, methods
from panel.payments.adapters import adapter_for, links_for, report_url
from panel.payments.gateways import GatewayError
from panel.payments.schemas import (
    AgencyDepositPage,
    ChannelImport,
    DepositCreate,
    DepositOut,
    DepositPage,
    DepositRow,
    GatewayCreate,
    GatewayMethodOut,
    GatewayOut,
    HeldOut,
    MethodOut,
    MethodPut,
    PaymentDecision,
    PaymentReviewOut,
    TransferRejection,
)
from panel.plumbing import idempotency
from panel.plumbing.deps import RuntimeDep, SessionDep
from panel.plumbing.problems import MEDIA_TYPE, Problem
from panel.plumbing.runtime import Runtime
from panel.plumbing.schemas import PathId

router = APIRouter(tags=["deposits"])

Before = Annotated[
    int | None, Query(ge=1, le=2**63 - 1, description="Cursor: deposits older than this one")
]
Limit = Annotated[int, Query(ge=1, le=200)]
All = Annotated[bool, Query(alias="all", description="also the reviews already resolved")]
IdempotencyKey = Annotated[
    str | None,
    Header(
        min_length=1,
        max_length=255,
        description="Send the same key again to retry safely: the first answer comes back "
        "instead of a second deposit. Kept for 24 hours; the same key with another body is 409.",
    ),
]
GATEWAY_DOWN: dict[int | str, dict[str, Any]] = {
    503: {
        "model": Problem,
        "description": "The payment gateway did not answer: nothing was made, try again later",
        "content": {MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }
}


# --- shared with /admin/v1 -----------------------------------------------------------------------


def gateway_view(runtime: Runtime, request: Request, gateway: PaymentGateway) -> GatewayOut:
    where = report_url(runtime.settings.payments, str(request.base_url), gateway)
    return GatewayOut.of(gateway, where)


def method_views(found: Sequence[PaymentMethod], currency: str) -> list[GatewayMethodOut]:
    return [GatewayMethodOut.of(method, currency) for method in found]


async def put_method(
    session: AsyncSession, actor_id: int, gateway: PaymentGateway, body: MethodPut, currency: str
) -> GatewayMethodOut:
    terms = methods.MethodTerms(**body.model_dump())
    method = await methods.put_method(session, actor_id, gateway, terms)
    return GatewayMethodOut.of(method, currency)


async def import_channels(
    session: AsyncSession,
    actor_id: int,
    runtime: Runtime,
    gateway: PaymentGateway,
    body: ChannelImport,
) -> list[GatewayMethodOut]:
    adapter = adapter_for(gateway, runtime.http, runtime.settings.payments)
    try:
        made = await methods.import_channels(session, actor_id, gateway, adapter, body.fee_paid_by)
    except GatewayError as exc:
        raise Unavailable(f"the payment gateway gave no channel list: {exc}") from None
    return method_views(made, runtime.settings.currency)


def row_page(
    rows: list[tuple[Deposit, Account, PaymentMethod]], limit: int
) -> tuple[list[DepositRow], int | None]:
    items = [DepositRow.row(deposit, account, method) for deposit, account, method in rows]
    return items, items[-1].id if len(items) == limit else None


def review_views(
    rows: list[tuple[PaymentReview, PaymentGateway, Deposit | None]],
) -> list[PaymentReviewOut]:
    return [PaymentReviewOut.of(found, gateway, deposit) for found, gateway, deposit in rows]


def _sent(answer: idempotency.Answer) -> Response:
    # The stored bytes themselves, so a retry's answer is identical to the first one.
    return Response(answer.body, status_code=answer.status_code, media_type="application/json")


# --- paying in -----------------------------------------------------------------------------------


@router.get("/payment-methods")
async def list_methods(
    session: SessionDep, buyer: BuyerDep, runtime: RuntimeDep
) -> list[MethodOut]:
    """The ways you can pay a deposit, QRIS first, each with its fee and limits: a fee paid
    by the buyer is added to what you pay, one paid by the receiver is not."""
    offered = await methods.methods_for(session, buyer)
    return [MethodOut.of(method, runtime.settings.currency) for method, _ in offered]


@router.post(
    "/deposits",
    status_code=status.HTTP_201_CREATED,
    response_model=DepositOut,
    responses={409: {"description": "too many deposits waiting, or key reused"}, **GATEWAY_DOWN},
)
async def create_deposit(
    body: DepositCreate,
    request: Request,
    session: SessionDep,
    buyer: BuyerDep,
    runtime: RuntimeDep,
    idempotency_key: IdempotencyKey = None,
) -> DepositOut | Response:
    """Top up your balance: pay `total` by the QR string, the pay code or the checkout URL
    before `expires_at`; the balance is credited with `amount` once the money arrives. A
    transfer by hand asks for a few rupiah more (`unique_code`), credited too."""
    if idempotency_key is not None:
        fingerprint = idempotency.fingerprint(
            "POST", "/v1/deposits", body.model_dump_json().encode()
        )
        first = await idempotency.claim(session, buyer.id, idempotency_key, fingerprint)
        if first is not None:
            return _sent(first)
    payments = runtime.settings.payments
    deposit = await deposits.open_deposit(
        session,
        buyer,
        body.method_id,
        body.amount,
        now=datetime.now(UTC),
        currency=runtime.settings.currency,
        settings=payments,
        adapter_for=lambda gateway: adapter_for(gateway, runtime.http, payments),
        links=links_for(payments, str(request.base_url)),
    )
    await session.refresh(deposit)  # created_at, set by the database
    view = DepositOut.of(deposit)
    if idempotency_key is None:
        return view
    answer = idempotency.Answer(status.HTTP_201_CREATED, view.model_dump_json())
    await idempotency.remember(session, buyer.id, idempotency_key, answer)
    return _sent(answer)


@router.get("/deposits")
async def list_deposits(
    session: SessionDep, buyer: BuyerDep, before: Before = None, limit: Limit = 50
) -> DepositPage:
    """Your deposits, newest first."""
    found: Sequence[Deposit] = await deposits.deposits_of(
        session, buyer, before=before, limit=limit
    )
    items = [DepositOut.of(deposit) for deposit in found]
    return DepositPage(items=items, next_before=items[-1].id if len(items) == limit else None)


@router.get("/deposits/{deposit_id}")
async def get_deposit(deposit_id: PathId, session: SessionDep, buyer: BuyerDep) -> DepositOut:
    return DepositOut.of(await deposits.deposit_of(session, buyer, deposit_id))


# --- a reseller's own gateways, for its agencies ------------------------------------------------


@router.get("/payment-gateways", tags=["reseller payments"])
async def list_gateways(
    request: Request, session: SessionDep, buyer: BuyerDep, runtime: RuntimeDep
) -> list[GatewayOut]:
    """Your gateways, where your agencies pay their deposits (resellers). Keys are never
    shown: only the API key's last 4 characters."""
    owner = methods.gateway_owner(buyer)
    found = await methods.gateways_of(session, owner)
    return [gateway_view(runtime, request, gateway) for gateway in found]


@router.post("/payment-gateways", status_code=status.HTTP_201_CREATED, tags=["reseller payments"])
async def create_gateway(
    body: GatewayCreate,
    request: Request,
    session: SessionDep,
    buyer: BuyerDep,
    runtime: RuntimeDep,
) -> GatewayOut:
    """A Tripay merchant (its merchant code and keys), or a transfer by hand to your bank or
    e-wallet account. Paste `report_url` into the gateway's dashboard."""
    owner = methods.gateway_owner(buyer)
    keys = methods.GatewayKeys(body.merchant_code, body.api_key, body.private_key)
    gateway = await methods.add_gateway(
        session,
        buyer.id,
        owner,
        body.kind,
        body.name,
        keys,
        runtime.settings.currency,
        production=body.production,
    )
    await session.refresh(gateway)
    return gateway_view(runtime, request, gateway)


@router.get("/payment-gateways/{gateway_id}/methods", tags=["reseller payments"])
async def list_gateway_methods(
    gateway_id: PathId, session: SessionDep, buyer: BuyerDep, runtime: RuntimeDep
) -> list[GatewayMethodOut]:
    gateway = await methods.gateway_of(session, methods.gateway_owner(buyer), gateway_id)
    return method_views(await methods.methods_of(session, gateway), runtime.settings.currency)


@router.post("/payment-gateways/{gateway_id}/methods", tags=["reseller payments"])
async def put_gateway_method(
    gateway_id: PathId, body: MethodPut, session: SessionDep, buyer: BuyerDep, runtime: RuntimeDep
) -> GatewayMethodOut:
    """Add a method, or change the one with the same `code`."""
    gateway = await methods.gateway_of(session, methods.gateway_owner(buyer), gateway_id)
    return await put_method(session, buyer.id, gateway, body, runtime.settings.currency)


@router.post(
    "/payment-gateways/{gateway_id}/import", tags=["reseller payments"], responses=GATEWAY_DOWN
)
async def import_gateway_channels(
    gateway_id: PathId,
    body: ChannelImport,
    session: SessionDep,
    buyer: BuyerDep,
    runtime: RuntimeDep,
) -> list[GatewayMethodOut]:
    """Offer a Tripay gateway's active channels, with the fees and limits it sets."""
    gateway = await methods.gateway_of(session, methods.gateway_owner(buyer), gateway_id)
    return await import_channels(session, buyer.id, runtime, gateway, body)


# --- what a reseller receives --------------------------------------------------------------------


@router.get("/agency-deposits", tags=["reseller payments"])
async def list_agency_deposits(
    session: SessionDep,
    buyer: BuyerDep,
    runtime: RuntimeDep,
    status_: Annotated[DepositStatus | None, Query(alias="status")] = None,
    before: Before = None,
    limit: Limit = 50,
) -> AgencyDepositPage:
    """Your agencies' deposits, newest first. `held` counts those paid but waiting for your
    wallet: top it up and they are credited."""
    owner = methods.gateway_owner(buyer)
    found = deposits.Filter(status=status_, before=before, limit=limit)
    items, next_before = row_page(await deposits.search(session, owner, found), limit)
    held = await crediting.held_for(session, owner)
    return AgencyDepositPage(
        items=items,
        next_before=next_before,
        held=HeldOut(count=held.count, total=held.total, currency=runtime.settings.currency),
    )


@router.post("/agency-deposits/{deposit_id}/confirm", tags=["reseller payments"])
async def confirm_agency_transfer(
    deposit_id: PathId, session: SessionDep, buyer: BuyerDep
) -> DepositOut:
    """A transfer by hand arrived in your account: the agency is credited from your wallet."""
    methods.gateway_owner(buyer)
    deposit = await crediting.confirm_transfer(session, buyer, deposit_id, datetime.now(UTC))
    return DepositOut.of(deposit)


@router.post("/agency-deposits/{deposit_id}/reject", tags=["reseller payments"])
async def reject_agency_transfer(
    deposit_id: PathId, body: TransferRejection, session: SessionDep, buyer: BuyerDep
) -> DepositOut:
    """A transfer by hand that never arrived; the agency reads `reason`."""
    methods.gateway_owner(buyer)
    deposit = await crediting.reject_transfer(
        session, buyer, deposit_id, body.reason, datetime.now(UTC)
    )
    return DepositOut.of(deposit)


@router.get("/payment-reviews", tags=["reseller payments"])
async def list_reviews(
    session: SessionDep, buyer: BuyerDep, all_: All = False, limit: Limit = 100
) -> list[PaymentReviewOut]:
    """Money reported to your gateways that was not credited (a wrong amount, a payment
    after expiry, an unknown reference): you decide. Open ones only, unless `all`."""
    owner = methods.gateway_owner(buyer)
    return review_views(
        await crediting.reviews_for(session, owner, open_only=not all_, limit=limit)
    )


@router.post("/payment-reviews/{review_id}/resolve", tags=["reseller payments"])
async def resolve_review(
    review_id: PathId, body: PaymentDecision, session: SessionDep, buyer: BuyerDep
) -> PaymentReviewOut:
    """`credited` credits the agency's deposit once, from your wallet; `dismissed` credits
    nothing."""
    methods.gateway_owner(buyer)
    found = await crediting.resolve(
        session, buyer, review_id, body.outcome, body.note, datetime.now(UTC), body.amount
    )
    gateway = await session.get_one(PaymentGateway, found.gateway_id)
    deposit = await session.get(Deposit, found.deposit_id) if found.deposit_id else None
    return PaymentReviewOut.of(found, gateway, deposit)
