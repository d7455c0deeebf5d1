"""The Digiflazz buyer API under `/v1`: the price list, purchases (a repeat with the same
ref_id is the status check) and the deposit. Answers wrapped in `data`, errors included, with
HTTP 400 for a refusal that made nothing, as the real API does."""

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send

from sandbox.prepaid.catalogue import PRODUCTS
from sandbox.prepaid.state import Refused, Store

router = APIRouter(prefix="/v1", tags=["digiflazz"])


def store_of(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


async def _body(request: Request, store: Store, path: str) -> dict[str, Any]:
    """Count the call and read its JSON object, or Refused (rc 40)."""
    store.count(path)
    try:
        body: Any = json.loads(await request.body())
    except ValueError:
        raise Refused("40") from None
    if not isinstance(body, dict):
        raise Refused("40")
    return body


def _refusal(refused: Refused) -> JSONResponse:
    data = {"rc": refused.rc, "message": refused.message, "status": "Gagal"}
    return JSONResponse({"data": data}, status_code=refused.status)


class CutOffResponse(Response):
    """Headers promising a longer body than is sent: the client sees the connection break
    mid-answer, after the server acted on the request."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = [(b"content-type", b"application/json"), (b"content-length", b"4096")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b'{"data": {"ref_id"', "more_body": True})
        # Returning with the body unfinished makes the server close the connection (it logs
        # one line saying so), which is the cut-off a client must survive.


@router.post("/price-list")
async def price_list(request: Request) -> JSONResponse:
    store = store_of(request)
    try:
        store.check_sign(body := await _body(request, store, "price-list"), "pricelist")
    except Refused as refused:
        return _refusal(refused)
    if body.get("cmd") != "prepaid":
        return JSONResponse({"data": []})
    code = body.get("code")
    rows = [p.shown() for p in PRODUCTS if code in (None, "", p.sku)]
    return JSONResponse({"data": rows})


@router.post("/cek-saldo")
async def balance(request: Request) -> JSONResponse:
    store = store_of(request)
    try:
        store.check_sign(body := await _body(request, store, "cek-saldo"), "depo")
        if body.get("cmd") != "deposit":
            raise Refused("40")
    except Refused as refused:
        return _refusal(refused)
    return JSONResponse({"data": {"deposit": store.deposit}})


def _text(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value.strip():
        raise Refused("40", message=f"{name} is required")
    return value.strip()


@router.post("/transaction")
async def transaction(request: Request) -> Response:
    store = store_of(request)
    try:
        body = await _body(request, store, "transaction")
        sku, customer_no = _text(body, "buyer_sku_code"), _text(body, "customer_no")
        store.check_sign(body, ref_id := _text(body, "ref_id"))
        behaviour = store.behaviour(sku, customer_no)
        if behaviour.kind == "http_500" and not behaviour.created:
            return Response(b"Internal Server Error", 500, media_type="text/plain")
        purchase, made = store.buy(sku, customer_no, ref_id, behaviour)
    except Refused as refused:
        return _refusal(refused)
    # Faults hit the answer that made the purchase; a repeat (the status check) answers as
    # the purchase stands.
    if made and behaviour.kind == "http_500":
        return Response(b"<html>500 Internal Server Error</html>", 500, media_type="text/html")
    if made and behaviour.kind == "lost":
        return CutOffResponse()
    return JSONResponse({"data": purchase.shown()})
