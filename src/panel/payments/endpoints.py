"""Where gateways report: Tripay's callbacks and bank statement webhooks. Public (the gateway
has no Pasok key), so each is cheap for junk: the body is capped, the gateway's row is the
one read before the signature is checked, and nothing is believed before it is."""

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse

from panel.models import GatewayKind, PaymentGateway
from panel.payments import callbacks, statements
from panel.payments.adapters import adapter_for
from panel.payments.gateways import Rejected
from panel.plumbing.deps import RuntimeDep, SessionDep

router = APIRouter(prefix="/payments", include_in_schema=False)
GatewayId = Annotated[int, Path(ge=1, le=2**31 - 1)]


def _answer(success: bool, message: str = "", status: int = 200) -> JSONResponse:
    body: dict[str, object] = {"success": success}
    if message:
        body["message"] = message
    return JSONResponse(body, status_code=status)


async def _body(request: Request) -> bytes | None:
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > callbacks.MAX_BODY:
            return None
    return body


def _headers(request: Request) -> dict[str, str]:
    return {name.lower(): value for name, value in request.headers.items()}


@router.post("/tripay/{gateway_id}/callback")
async def tripay_callback(
    gateway_id: GatewayId, request: Request, session: SessionDep, runtime: RuntimeDep
) -> JSONResponse:
    body = await _body(request)
    if body is None:
        return _answer(False, "body too large", 413)
    gateway = await session.get(PaymentGateway, gateway_id)
    if gateway is None or gateway.kind is not GatewayKind.tripay:
        return _answer(False, "unknown gateway", 404)
    adapter = adapter_for(gateway, runtime.http, runtime.settings.payments)
    try:
        await callbacks.receive(
            session, gateway, adapter, _headers(request), body, datetime.now(UTC)
        )
    except Rejected as rejected:
        # Listed for the receiver (this answer commits it); the gateway is told it failed.
        return _answer(False, rejected.detail, 403 if rejected.reason == "bad_signature" else 400)
    # Whatever the callback changed, or put on the review list, is Pasok's to handle now:
    # the gateway need not send it again.
    return _answer(True)


@router.post("/transfers/{gateway_id}/statement")
async def statement_webhook(
    gateway_id: GatewayId, request: Request, session: SessionDep
) -> JSONResponse:
    body = await _body(request)
    if body is None:
        return _answer(False, "body too large", 413)
    gateway = await session.get(PaymentGateway, gateway_id)
    if gateway is None or gateway.kind is not GatewayKind.manual:
        return _answer(False, "unknown gateway", 404)
    try:
        await statements.receive(session, gateway, _headers(request), body, datetime.now(UTC))
    except Rejected as rejected:
        return _answer(False, rejected.detail, 403 if rejected.reason == "bad_signature" else 400)
    return _answer(True)
