"""`/control/...`: the API a test or a newcomer uses to steer the sandbox gateway: register
merchants, pay, expire or refund transactions, send odd callbacks, read what was sent. JSON,
no authentication: the sandbox moves no real money."""

from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field

from sandbox.gateway.actions import Actions
from sandbox.gateway.callbacks import Faults
from sandbox.gateway.state import Merchant, Refused, Status

router = APIRouter(prefix="/control", tags=["control"])


class MerchantBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    api_key: str = Field(min_length=1)
    private_key: str = Field(min_length=1)
    callback_url: str | None = None


class FaultsBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    duplicates: int = Field(default=1, ge=1, le=100)  # sent at the same time
    signature: Literal["good", "wrong"] = "good"  # wrong: signed with another key
    tamper: bool = False  # the body changed after signing
    amount_delta: int = 0  # total_amount and amount_received shifted, signed correctly
    send: bool = True  # false: the state changes, the callback is lost

    def faults(self) -> Faults:
        return Faults(
            duplicates=self.duplicates,
            signature=self.signature,
            tamper=self.tamper,
            amount_delta=self.amount_delta,
            send=self.send,
        )


class PayBody(FaultsBody):
    after_expiry: bool = False  # pay an EXPIRED transaction: the late callback


class CallbackBody(FaultsBody):
    status: Status


class ClockBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    advance_s: float = Field(ge=0)


def _actions(request: Request) -> Actions:
    actions: Actions = request.app.state.actions
    return actions


async def _run(call: Any) -> dict[str, Any]:
    try:
        answer: dict[str, Any] = await call
    except Refused as refused:
        raise HTTPException(refused.status, refused.message) from None
    return answer


@router.put("/merchants/{code}")
async def put_merchant(request: Request, code: str, body: MerchantBody) -> dict[str, Any]:
    """Add a merchant or replace one with the same code."""
    merchant = Merchant(code=code, **body.model_dump())
    _actions(request).gateway.put_merchant(merchant)
    return merchant.shown()


@router.get("/merchants")
async def merchants(request: Request) -> list[dict[str, Any]]:
    return [merchant.shown() for merchant in _actions(request).gateway.merchant_list()]


@router.post("/reset")
async def reset(request: Request) -> dict[str, Any]:
    """Forget transactions, callbacks, merchants registered since and time moved on; the
    merchants the gateway started with stay."""
    _actions(request).gateway.reset()
    return {"success": True}


@router.post("/clock")
async def clock(request: Request, body: ClockBody) -> dict[str, Any]:
    """Move the gateway's time on, so transactions reach their expiry without waiting."""
    return {"now": _actions(request).gateway.advance(body.advance_s)}


@router.get("/transactions")
async def transactions(request: Request) -> list[dict[str, Any]]:
    actions = _actions(request)
    for transaction in actions.gateway.all_transactions():
        await actions.observe(transaction.reference)
    return [
        {"merchant_code": t.merchant_code, **t.shown()} for t in actions.gateway.all_transactions()
    ]


@router.get("/callbacks")
async def callback_log(request: Request) -> list[dict[str, Any]]:
    """Every callback sent, oldest first: body, headers and the receiver's answer."""
    return _actions(request).gateway.callback_log()


@router.post("/transactions/{reference}/pay")
async def pay(request: Request, reference: str, body: PayBody | None = None) -> dict[str, Any]:
    body = body or PayBody()
    return await _run(
        _actions(request).move(reference, "PAID", body.faults(), after_expiry=body.after_expiry)
    )


@router.post("/transactions/{reference}/expire")
async def expire(
    request: Request, reference: str, body: FaultsBody | None = None
) -> dict[str, Any]:
    body = body or FaultsBody()
    return await _run(_actions(request).move(reference, "EXPIRED", body.faults()))


@router.post("/transactions/{reference}/refund")
async def refund(
    request: Request, reference: str, body: FaultsBody | None = None
) -> dict[str, Any]:
    body = body or FaultsBody()
    return await _run(_actions(request).move(reference, "REFUND", body.faults()))


@router.post("/transactions/{reference}/callback")
async def send_callback(request: Request, reference: str, body: CallbackBody) -> dict[str, Any]:
    """A callback with the given status, the transaction unchanged: out of order, stale."""
    return await _run(_actions(request).send(reference, body.status, body.faults()))
