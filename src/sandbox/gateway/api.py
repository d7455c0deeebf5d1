"""The Tripay API: payment channels, creating a transaction and reading it back. Answers in
Tripay's envelope, `{"success", "message", "data"}`, errors included."""

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse

from sandbox.gateway.actions import Actions
from sandbox.gateway.channels import CHANNELS
from sandbox.gateway.state import Merchant, Refused

router = APIRouter(tags=["tripay"])


def _actions(request: Request) -> Actions:
    actions: Actions = request.app.state.actions
    return actions


def _failure(status: int, message: str) -> JSONResponse:
    return JSONResponse({"success": False, "message": message}, status_code=status)


def _merchant(request: Request) -> Merchant | None:
    scheme, _, key = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        return None
    return _actions(request).gateway.by_api_key(key.strip())


@router.get("/merchant/payment-channel")
async def payment_channels(request: Request) -> JSONResponse:
    if _merchant(request) is None:
        return _failure(401, "Invalid API Key")
    data = [channel.shown() for channel in CHANNELS]
    return JSONResponse({"success": True, "message": "Success", "data": _plain(data)})


@router.post("/transaction/create")
async def create(request: Request) -> JSONResponse:
    merchant = _merchant(request)
    if merchant is None:
        return _failure(401, "Invalid API Key")
    try:
        body: Any = json.loads(await request.body())
    except ValueError:
        return _failure(400, "The body must be JSON")
    if not isinstance(body, dict):
        return _failure(400, "The body must be a JSON object")

    def checkout_url(reference: str) -> str:
        return str(request.url_for("pay_page", reference=reference))

    try:
        transaction = _actions(request).gateway.create(merchant, body, checkout_url)
    except Refused as refused:
        return _failure(400, refused.message)
    data = transaction.shown()
    del data["paid_at"]  # create answers without it, as Tripay does
    return JSONResponse({"success": True, "message": "", "data": data})


@router.get("/transaction/detail")
async def detail(request: Request, reference: str = "") -> JSONResponse:
    merchant = _merchant(request)
    if merchant is None:
        return _failure(401, "Invalid API Key")
    try:
        transaction = await _actions(request).look(reference, merchant.code)
    except Refused:
        return _failure(400, "Transaction not found")
    return JSONResponse(
        {"success": True, "message": "Transaction found", "data": transaction.shown()}
    )


def _plain(value: Any) -> Any:
    """Decimals (fee percents) as JSON numbers: ints where whole, floats otherwise."""
    return jsonable_encoder(value)
