"""The sandbox application: API v2 at `/api/v2`, the control API under `/sandbox`, the
sandbox payment gateway under `/tripay`, the sandbox prepaid provider under `/digiflazz`."""

from collections.abc import Iterable, Sequence
from decimal import Decimal

from fastapi import FastAPI

from sandbox import api, control, foreign
from sandbox.behaviour import Behaviour
from sandbox.catalogue import DEFAULT_SERVICES, SandboxService
from sandbox.dialects import Dialect
from sandbox.gateway import Merchant, create_gateway_app
from sandbox.prepaid import create_prepaid_app
from sandbox.state import Sandbox, Setup

DEFAULT_BALANCE = Decimal("1000")


def create_app(
    *,
    seed: int = 1,
    dialect: str = "standard",
    api_key: str | None = None,
    currency: str = "USD",
    balance: Decimal = DEFAULT_BALANCE,
    services: Iterable[SandboxService] = DEFAULT_SERVICES,
    frozen: bool = False,
    behaviour: Behaviour | None = None,
    gateway_merchants: Sequence[Merchant] = (),
) -> FastAPI:
    """A fresh sandbox provider. With `api_key` only that key is accepted; without, any
    non-empty key is. `dialect` is a name from `dialects.PRESETS`, or several joined by commas.
    The sandbox payment gateway (a fake Tripay) is served under `/tripay`, knowing
    `gateway_merchants`."""
    setup = Setup(
        seed=seed,
        dialect=Dialect.parse(dialect),
        currency=currency,
        balance=balance,
        api_key=api_key or None,
        services=tuple(services),
        frozen=frozen,
        behaviour=behaviour or Behaviour(),
    )
    app = FastAPI(
        title="Pasok sandbox provider",
        summary="A fake upstream panel speaking SMM API v2, with behaviour set per service.",
        version="0.1.0",
    )
    app.state.sandbox = Sandbox(setup)
    app.include_router(api.router)
    app.include_router(control.router)
    app.include_router(foreign.router)  # the shipped dialect documents, under /dialect
    app.mount("/tripay", create_gateway_app(merchants=gateway_merchants))
    app.mount("/digiflazz", create_prepaid_app())
    return app
