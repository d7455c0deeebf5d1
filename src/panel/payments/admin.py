"""`/admin/v1`: the panel's own gateways (where resellers pay in), every deposit, transfers
by hand confirmed or rejected, and the review list."""

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request, status
from sqlalchemy.ext.asyncio import AsyncSession

from panel.errors import NotFound
from panel.keys.callers import OperatorDep
from panel.models import Account, ApiKey, Deposit, DepositStatus, PaymentGateway, PaymentMethod
from panel.payments import crediting, deposits, methods
from panel.payments.endpoints_v1 import (
    GATEWAY_DOWN,
    All,
    Before,
    Limit,
    gateway_view,
    import_channels,
    method_views,
    put_method,
    review_views,
    row_page,
)
from panel.payments.schemas import (
    ChannelImport,
    DepositRow,
    DepositRowPage,
    GatewayChange,
    GatewayCreate,
    GatewayMethodOut,
    GatewayOut,
    MethodPut,
    PaymentDecision,
    PaymentReviewOut,
    TransferRejection,
)
from panel.plumbing.deps import RuntimeDep, SessionDep
from panel.plumbing.schemas import MAX_ID, PathId

router = APIRouter(tags=["admin: payments"])
PANEL = None  # the owner of the panel's own gateways


async def _actor(session: AsyncSession, operator: ApiKey) -> Account:
    return await session.get_one(Account, operator.account_id)


async def _row(session: AsyncSession, deposit: Deposit) -> DepositRow:
    account = await session.get_one(Account, deposit.account_id)
    method = await session.get_one(PaymentMethod, deposit.method_id)
    return DepositRow.row(deposit, account, method)


# --- the panel's gateways ------------------------------------------------------------------------


@router.get("/payment-gateways")
async def list_gateways(
    request: Request, session: SessionDep, runtime: RuntimeDep
) -> list[GatewayOut]:
    """The panel's gateways, where resellers pay their deposits. Keys are never shown."""
    found = await methods.gateways_of(session, PANEL)
    return [gateway_view(runtime, request, gateway) for gateway in found]


@router.post("/payment-gateways", status_code=status.HTTP_201_CREATED)
async def create_gateway(
    body: GatewayCreate,
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    operator: OperatorDep,
) -> GatewayOut:
    """A Tripay merchant, or a transfer by hand to the panel's bank or e-wallet account.
    Paste `report_url` into the gateway's dashboard."""
    keys = methods.GatewayKeys(body.merchant_code, body.api_key, body.private_key)
    gateway = await methods.add_gateway(
        session,
        operator.account_id,
        PANEL,
        body.kind,
        body.name,
        keys,
        runtime.settings.currency,
        production=body.production,
    )
    await session.refresh(gateway)
    return gateway_view(runtime, request, gateway)


@router.patch("/payment-gateways/{gateway_id}")
async def change_gateway(
    gateway_id: PathId,
    body: GatewayChange,
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    operator: OperatorDep,
) -> GatewayOut:
    """Rename, enable or disable (a disabled gateway is offered to no one; its open deposits
    still complete), switch to production, or replace keys: only the keys sent change."""
    gateway = await methods.gateway_of(session, PANEL, gateway_id)
    given = body.model_fields_set
    keys = None
    if given & {"merchant_code", "api_key", "private_key"}:
        keys = methods.GatewayKeys(
            body.merchant_code or "", body.api_key or "", body.private_key or ""
        )
    await methods.change_gateway(
        session,
        operator.account_id,
        gateway,
        name=body.name,
        keys=keys,
        production=body.production,
        enabled=body.enabled,
    )
    await session.flush()
    return gateway_view(runtime, request, gateway)


@router.get("/payment-gateways/{gateway_id}/methods")
async def list_gateway_methods(
    gateway_id: PathId, session: SessionDep, runtime: RuntimeDep
) -> list[GatewayMethodOut]:
    gateway = await methods.gateway_of(session, PANEL, gateway_id)
    return method_views(await methods.methods_of(session, gateway), runtime.settings.currency)


@router.post("/payment-gateways/{gateway_id}/methods")
async def put_gateway_method(
    gateway_id: PathId,
    body: MethodPut,
    session: SessionDep,
    runtime: RuntimeDep,
    operator: OperatorDep,
) -> GatewayMethodOut:
    """Add a method, or change the one with the same `code`."""
    gateway = await methods.gateway_of(session, PANEL, gateway_id)
    return await put_method(session, operator.account_id, gateway, body, runtime.settings.currency)


@router.post("/payment-gateways/{gateway_id}/import", responses=GATEWAY_DOWN)
async def import_gateway_channels(
    gateway_id: PathId,
    body: ChannelImport,
    session: SessionDep,
    runtime: RuntimeDep,
    operator: OperatorDep,
) -> list[GatewayMethodOut]:
    """Offer a Tripay gateway's active channels, with the fees and limits it sets."""
    gateway = await methods.gateway_of(session, PANEL, gateway_id)
    return await import_channels(session, operator.account_id, runtime, gateway, body)


# --- deposits ------------------------------------------------------------------------------------


@router.get("/deposits")
async def search_deposits(
    session: SessionDep,
    status_: Annotated[DepositStatus | None, Query(alias="status")] = None,
    account_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    reference: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=100,
            description="Pasok's reference, the gateway's, or a pay code",
        ),
    ] = None,
    before: Before = None,
    limit: Limit = 50,
) -> DepositRowPage:
    """Every deposit of the panel, resellers' and agencies', newest first."""
    found = deposits.Filter(status_, account_id, reference, before, limit)
    items, next_before = row_page(
        await deposits.search(session, PANEL, found, everyone=True), limit
    )
    return DepositRowPage(items=items, next_before=next_before)


@router.get("/deposits/{deposit_id}")
async def get_deposit(deposit_id: PathId, session: SessionDep) -> DepositRow:
    deposit = await session.get(Deposit, deposit_id)
    if deposit is None:
        raise NotFound(f"deposit {deposit_id} does not exist")
    return await _row(session, deposit)


@router.post("/deposits/{deposit_id}/confirm")
async def confirm_transfer(
    deposit_id: PathId, session: SessionDep, operator: OperatorDep
) -> DepositRow:
    """A transfer by hand arrived: the wallet is credited with what the deposit asked for."""
    actor = await _actor(session, operator)
    deposit = await crediting.confirm_transfer(session, actor, deposit_id, datetime.now(UTC))
    return await _row(session, deposit)


@router.post("/deposits/{deposit_id}/reject")
async def reject_transfer(
    deposit_id: PathId, body: TransferRejection, session: SessionDep, operator: OperatorDep
) -> DepositRow:
    """A transfer by hand that never arrived; the buyer reads `reason`."""
    actor = await _actor(session, operator)
    deposit = await crediting.reject_transfer(
        session, actor, deposit_id, body.reason, datetime.now(UTC)
    )
    return await _row(session, deposit)


# --- the review list -----------------------------------------------------------------------------


@router.get("/payment-reviews")
async def list_reviews(
    session: SessionDep, all_: All = False, limit: Limit = 100
) -> list[PaymentReviewOut]:
    """What gateways reported that was not credited, on every gateway; open ones unless
    `all`."""
    return review_views(
        await crediting.reviews_for(session, PANEL, everyone=True, open_only=not all_, limit=limit)
    )


@router.post("/payment-reviews/{review_id}/resolve")
async def resolve_review(
    review_id: PathId, body: PaymentDecision, session: SessionDep, operator: OperatorDep
) -> PaymentReviewOut:
    """`credited` credits the deposit once (`amount`, by default what it asked for);
    `dismissed` credits nothing."""
    actor = await _actor(session, operator)
    found = await crediting.resolve(
        session, actor, review_id, body.outcome, body.note, datetime.now(UTC), body.amount
    )
    gateway = await session.get_one(PaymentGateway, found.gateway_id)
    deposit = await session.get(Deposit, found.deposit_id) if found.deposit_id else None
    return PaymentReviewOut.of(found, gateway, deposit)
