"""`/control/...`: the API a test or a newcomer uses to steer the sandbox prepaid provider:
the account and its deposit, what a product or a customer number does, settling pending
purchases, sending odd webhooks, reading what happened. JSON, no authentication: the sandbox
moves no real money."""

from collections.abc import Awaitable
from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field

from sandbox.prepaid.actions import Actions
from sandbox.prepaid.callbacks import Faults
from sandbox.prepaid.state import Account, Behaviour, Kind, Status

router = APIRouter(prefix="/control", tags=["control"])


class AccountBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1)
    api_key: str = Field(min_length=1)
    webhook_secret: str = ""
    callback_url: str | None = None


class DepositBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    deposit: int = Field(ge=0)


class BehaviourBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: str | None = None
    customer_no: str | None = None
    kind: Kind = "success"
    rc: str = Field(default="54", pattern=r"^\d{2}$")
    created: bool = True
    then: Literal["success", "pending"] = "success"


class FaultsBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    duplicates: int = Field(default=1, ge=1, le=100)
    signature: Literal["good", "wrong"] = "good"
    tamper: bool = False
    send: bool = True

    def faults(self) -> Faults:
        return Faults(self.duplicates, self.signature, self.tamper, self.send)


class SettleBody(FaultsBody):
    to: Literal["Sukses", "Gagal"] | None = None  # default: as the behaviour said


class CallbackBody(FaultsBody):
    event: Literal["create", "update"] = "update"


def _actions(request: Request) -> Actions:
    actions: Actions = request.app.state.actions
    return actions


async def _run(call: Awaitable[dict[str, Any]]) -> dict[str, Any]:
    try:
        return await call
    except KeyError:
        raise HTTPException(404, "no purchase with that ref_id") from None
    except ValueError as exc:
        raise HTTPException(409, str(exc)) from None


@router.post("/reset")
async def reset(request: Request) -> dict[str, Any]:
    """Forget purchases, behaviours, webhooks and counts; the account and deposit the
    sandbox started with come back."""
    _actions(request).store.reset()
    return {"success": True}


@router.put("/account")
async def put_account(request: Request, body: AccountBody) -> dict[str, Any]:
    account = Account(**body.model_dump())
    _actions(request).store.set_account(account)
    return account.shown()


@router.put("/deposit")
async def put_deposit(request: Request, body: DepositBody) -> dict[str, Any]:
    _actions(request).store.set_deposit(body.deposit)
    return {"deposit": body.deposit}


@router.post("/behaviour")
async def set_behaviour(request: Request, body: BehaviourBody) -> dict[str, Any]:
    """What purchases of `sku`, or for `customer_no` (which wins), do from now on."""
    if body.sku is None and body.customer_no is None:
        raise HTTPException(422, "give a sku, a customer_no or both")
    behaviour = Behaviour(body.kind, body.rc, body.created, body.then)
    _actions(request).store.set_behaviour(behaviour, body.sku, body.customer_no)
    return body.model_dump()


@router.get("/purchases")
async def purchases(request: Request) -> list[dict[str, Any]]:
    return [purchase.shown() for purchase in _actions(request).store.all_purchases()]


@router.get("/requests")
async def requests(request: Request) -> dict[str, int]:
    """How many calls each API path has had since the last reset."""
    return _actions(request).store.request_counts()


@router.get("/callbacks")
async def callback_log(request: Request) -> list[dict[str, Any]]:
    """Every webhook sent, oldest first: body, headers and the receiver's answer."""
    return _actions(request).store.callback_log()


@router.post("/purchases/{ref_id}/settle")
async def settle(request: Request, ref_id: str, body: SettleBody | None = None) -> dict[str, Any]:
    body = body or SettleBody()
    to: Status | None = body.to
    return await _run(_actions(request).settle(ref_id, to, body.faults()))


@router.post("/purchases/{ref_id}/callback")
async def send_callback(
    request: Request, ref_id: str, body: CallbackBody | None = None
) -> dict[str, Any]:
    """A webhook about the purchase as it stands: again, late, or with a fault."""
    body = body or CallbackBody()
    return await _run(_actions(request).send(ref_id, body.event, body.faults()))
