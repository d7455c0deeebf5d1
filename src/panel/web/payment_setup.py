"""The set-up pages of gateways and payment methods, as routes: the reseller's console sets up
its agencies' (`/console/payment-methods`), the operator the panel's own
(`/ops/payment-methods`). The same forms at both; only the owner differs, named by a
dependency that also says who may open them."""

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Form
from fastapi.responses import Response

from panel.payments import methods
from panel.plumbing.deps import SessionDep
from panel.web import payment_console
from panel.web.pages import PageDep, page_router

Owner = Callable[..., Awaitable[int | None]]


def routes(base: str, template: str, owner_of: Owner) -> APIRouter:
    """The set-up pages under `base`, drawn with `template`, for the owner `owner_of` names
    (None: the panel)."""
    router = page_router()
    OwnerDep = Annotated[int | None, Depends(owner_of)]

    @router.get(base)
    async def payment_methods(
        page: PageDep, owner: OwnerDep, session: SessionDep, done: int = 0
    ) -> Response:
        return await payment_console.setup_page(
            page, session, owner, template, base, done=bool(done)
        )

    @router.post(base + "/tripay")
    async def add_tripay(
        page: PageDep,
        owner: OwnerDep,
        session: SessionDep,
        name: Annotated[str, Form(max_length=100)] = "",
        merchant_code: Annotated[str, Form(max_length=100)] = "",
        api_key: Annotated[str, Form(max_length=500)] = "",
        private_key: Annotated[str, Form(max_length=500)] = "",
        production: Annotated[str, Form(max_length=10)] = "",
        fee_paid_by: Annotated[str, Form(max_length=20)] = "",
    ) -> Response:
        keys = methods.GatewayKeys(merchant_code.strip(), api_key.strip(), private_key.strip())
        return await payment_console.add_tripay(
            page,
            session,
            owner,
            template,
            base,
            name=name,
            keys=keys,
            production=production == "on",
            fee_paid_by=fee_paid_by,
        )

    @router.post(base + "/transfer")
    async def add_transfer(
        page: PageDep,
        owner: OwnerDep,
        session: SessionDep,
        bank: Annotated[str, Form(max_length=100)] = "",
        number: Annotated[str, Form(max_length=100)] = "",
        holder: Annotated[str, Form(max_length=100)] = "",
        kind: Annotated[str, Form(max_length=20)] = "",
        min_amount: Annotated[str, Form(max_length=40)] = "",
        max_amount: Annotated[str, Form(max_length=40)] = "",
        secret: Annotated[str, Form(max_length=500)] = "",
    ) -> Response:
        form = payment_console.TransferForm(
            bank, number, holder, kind, min_amount, max_amount, secret
        )
        return await payment_console.add_transfer(page, session, owner, template, base, form)

    @router.post(base + "/{gateway_id}/import")
    async def import_channels(
        gateway_id: int, page: PageDep, owner: OwnerDep, session: SessionDep
    ) -> Response:
        return await payment_console.import_again(page, session, owner, template, base, gateway_id)

    @router.post(base + "/{gateway_id}/methods/{method_id}")
    async def change_method(
        gateway_id: int,
        method_id: int,
        page: PageDep,
        owner: OwnerDep,
        session: SessionDep,
        fee_paid_by: Annotated[str, Form(max_length=20)] = "",
        enabled: Annotated[str, Form(max_length=10)] = "",
        min_amount: Annotated[str, Form(max_length=40)] = "",
        max_amount: Annotated[str, Form(max_length=40)] = "",
    ) -> Response:
        change = payment_console.MethodChange(fee_paid_by, enabled == "on", min_amount, max_amount)
        return await payment_console.change_method(
            page, session, owner, template, base, gateway_id, method_id, change
        )

    return router
