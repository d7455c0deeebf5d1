"""The sandbox prepaid application: the Digiflazz buyer API under `/v1`, the control API under
`/control`."""

from fastapi import FastAPI

from sandbox.prepaid import api, control
from sandbox.prepaid.actions import Actions
from sandbox.prepaid.state import DEFAULT_DEPOSIT, Account, Store

DEFAULT_ACCOUNT = Account(
    username="sandboxuser", api_key="dev-sandbox-key", webhook_secret="sandbox-webhook-secret"
)


def create_prepaid_app(
    *, account: Account = DEFAULT_ACCOUNT, deposit: int = DEFAULT_DEPOSIT
) -> FastAPI:
    """A fresh sandbox prepaid provider for one buyer `account`, holding `deposit` rupiah."""
    app = FastAPI(
        title="Pasok sandbox prepaid provider",
        summary="A fake Digiflazz: price list, purchases by ref_id, deposit, signed webhooks.",
        version="0.1.0",
    )
    store = Store(initial=account, deposit=deposit)
    app.state.store = store
    app.state.actions = Actions(store)
    app.include_router(api.router)
    app.include_router(control.router)
    return app
