"""The sandbox gateway application: the Tripay API at its root, the pay pages under `/pay`,
the control API under `/control`."""

from collections.abc import Sequence

from fastapi import FastAPI

from sandbox.gateway import api, control, pay_pages
from sandbox.gateway.actions import Actions
from sandbox.gateway.state import Gateway, Merchant


def create_gateway_app(*, merchants: Sequence[Merchant] = ()) -> FastAPI:
    """A fresh sandbox gateway knowing `merchants` (kept across resets)."""
    app = FastAPI(
        title="Pasok sandbox gateway",
        summary="A fake Tripay: payment channels, transactions, pay pages and signed callbacks.",
        version="0.1.0",
    )
    app.state.actions = Actions(Gateway(initial_merchants=tuple(merchants)))
    app.include_router(api.router)
    app.include_router(pay_pages.router)
    app.include_router(control.router)
    return app
