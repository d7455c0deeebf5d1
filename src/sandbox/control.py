"""`/sandbox/...`: the control API a test or an integrator uses to steer the sandbox. JSON, no
authentication: the sandbox holds no real money and no real orders."""

from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Body, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field

from sandbox.catalogue import REQUIRED_PARAMS, SandboxService
from sandbox.dialects import Dialect, describe, dialect_names
from sandbox.state import Sandbox

router = APIRouter(prefix="/sandbox", tags=["sandbox"])


class ResetBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    seed: int | None = None  # kept for later resets too
    frozen: bool | None = None  # start the clock frozen (tests) or running (the default)


class ClockBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    advance_s: float = Field(default=0.0, ge=0)
    frozen: bool | None = None


class DialectBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    dialect: str  # a name, or several joined by commas


class BalanceBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    balance: Decimal = Field(ge=0, max_digits=20, decimal_places=6)


class CurrencyBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    currency: str = Field(pattern=r"^[A-Z]{3}$")


class ServiceBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    type: str = "Default"
    category: str = "Sandbox"
    rate: Decimal = Field(ge=0, max_digits=20, decimal_places=6)
    min: int = Field(default=10, ge=1)
    max: int = Field(default=10_000, ge=1)
    refill: bool = False
    cancel: bool = False
    dripfeed: bool = False
    description: str = ""


def _sandbox(request: Request) -> Sandbox:
    sandbox: Sandbox = request.app.state.sandbox
    return sandbox


@router.get("")
async def summary(request: Request) -> dict[str, Any]:
    return _sandbox(request).summary()


@router.post("/reset")
async def reset(request: Request, body: ResetBody | None = None) -> dict[str, Any]:
    """Forget every order, refill and request; behaviours, dialect, balance and clock go back
    to how the sandbox started (with the seed given here, if any)."""
    sandbox = _sandbox(request)
    body = body or ResetBody()
    sandbox.reset(seed=body.seed, frozen=body.frozen)
    return sandbox.summary()


@router.get("/clock")
async def clock(request: Request) -> dict[str, Any]:
    return _sandbox(request).move_clock()


@router.post("/clock")
async def move_clock(request: Request, body: ClockBody) -> dict[str, Any]:
    """Advance the virtual clock (orders progress as if that time had passed), or freeze it."""
    return _sandbox(request).move_clock(body.advance_s, body.frozen)


@router.get("/dialect")
async def dialect(request: Request) -> dict[str, Any]:
    return {**describe(_sandbox(request).writer.dialect), "available": dialect_names()}


@router.post("/dialect")
async def set_dialect(request: Request, body: DialectBody) -> dict[str, Any]:
    try:
        chosen = Dialect.parse(body.dialect)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None
    _sandbox(request).set_dialect(chosen)
    return {**describe(chosen), "available": dialect_names()}


@router.post("/currency")
async def set_currency(request: Request, body: CurrencyBody) -> dict[str, Any]:
    """Answer in another currency from now on, the numbers unchanged (until a reset)."""
    sandbox = _sandbox(request)
    sandbox.set_currency(body.currency)
    return sandbox.summary()


@router.post("/balance")
async def set_balance(request: Request, body: BalanceBody) -> dict[str, Any]:
    sandbox = _sandbox(request)
    sandbox.set_balance(body.balance)
    return sandbox.summary()


@router.get("/services")
async def services(request: Request) -> list[dict[str, Any]]:
    return _sandbox(request).catalogue()


@router.put("/services/{service_id}")
async def put_service(request: Request, service_id: str, body: ServiceBody) -> dict[str, Any]:
    """Add a service, or replace one; lets a test reach every `add` shape of api-v2.md."""
    if not service_id.isdigit():
        raise HTTPException(422, "service ids are digits")
    if body.type not in REQUIRED_PARAMS:
        raise HTTPException(422, f"unknown type; known: {', '.join(REQUIRED_PARAMS)}")
    if body.min > body.max:
        raise HTTPException(422, "min is above max")
    sandbox = _sandbox(request)
    sandbox.put_service(SandboxService(id=service_id, **body.model_dump()))
    return next(row for row in sandbox.catalogue() if row["id"] == service_id)


@router.delete("/services/{service_id}", status_code=204)
async def remove_service(request: Request, service_id: str) -> None:
    """The service disappears from the catalogue; orders already made on it go on."""
    if not _sandbox(request).remove_service(service_id):
        raise HTTPException(404, "no such service")


@router.get("/services/{service_id}/behaviour")
async def behaviour(request: Request, service_id: str) -> dict[str, Any]:
    sandbox = _sandbox(request)
    if sandbox.service(service_id) is None:
        raise HTTPException(404, "no such service")
    return sandbox.behaviour(service_id).shown()


@router.post("/services/{service_id}/behaviour")
async def set_behaviour(
    request: Request, service_id: str, changes: Annotated[dict[str, Any], Body()]
) -> dict[str, Any]:
    """Change some of a service's behaviour fields; the others keep their values."""
    try:
        return _sandbox(request).set_behaviour(service_id, changes).shown()
    except KeyError:
        raise HTTPException(404, "no such service") from None
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None


@router.get("/requests")
async def requests(
    request: Request,
    action: str | None = None,
    link: str | None = None,
    service: str | None = None,
) -> dict[str, Any]:
    """The API v2 requests received, oldest first, and the count of each action."""
    return _sandbox(request).request_log(action, link, service)


@router.get("/orders")
async def orders(request: Request) -> list[dict[str, Any]]:
    """Every order with its drawn fate and where it stands now."""
    return _sandbox(request).order_views()


@router.get("/orders/{order_id}")
async def order(request: Request, order_id: int) -> dict[str, Any]:
    found = _sandbox(request).order_views([order_id])
    if not found:
        raise HTTPException(404, "no such order")
    return found[0]
