"""The HTTP application: every surface mounted on one FastAPI app."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from panel.admin.router import router as admin_router
from panel.api_v2 import endpoints as api_v2
from panel.config import Settings, get_settings
from panel.orders.prepaid_endpoints import router as prepaid_router
from panel.payments.endpoints import router as payments_router
from panel.plumbing import (
    collector,
    compressed,
    headers,
    health,
    logs,
    problems,
    reconnect,
    throttle,
)
from panel.plumbing.runtime import Runtime
from panel.v1.router import router as v1_router
from panel.web import pages as web_pages
from panel.web.announcement_pages import router as web_announcement_router
from panel.web.api_pages import router as web_api_router
from panel.web.console_agencies import router as web_console_agencies_router
from panel.web.console_deposits import router as web_console_deposits_router
from panel.web.console_levels import router as web_console_levels_router
from panel.web.console_sales import router as web_console_sales_router
from panel.web.console_settings import router as web_console_settings_router
from panel.web.console_tickets import router as web_console_tickets_router
from panel.web.deposit_pages import router as web_deposit_router
from panel.web.fund_pages import router as web_fund_router
from panel.web.invitation_pages import router as web_invitation_router
from panel.web.mass_pages import router as web_mass_router
from panel.web.operator_accounts import router as web_operator_accounts_router
from panel.web.operator_actions import router as web_operator_actions_router
from panel.web.operator_catalogue import router as web_operator_catalogue_router
from panel.web.operator_dashboard import router as web_operator_dashboard_router
from panel.web.operator_deposits import router as web_operator_deposits_router
from panel.web.operator_orders import router as web_operator_orders_router
from panel.web.operator_pages import router as web_operator_router
from panel.web.operator_prices import router as web_operator_prices_router
from panel.web.operator_tickets import router as web_operator_tickets_router
from panel.web.order_pages import router as web_order_router
from panel.web.pages import router as web_router
from panel.web.referral_pages import router as web_referral_router
from panel.web.rest_docs import router as rest_docs_router
from panel.web.reward_pages import router as web_reward_router
from panel.web.security_pages import router as web_security_router
from panel.web.ticket_pages import router as web_ticket_router
from panel.web.update_pages import router as web_update_router
from panel.web.voucher_pages import router as web_voucher_router

# What every request passes through, innermost first. The last runs first: every answer is
# logged and counted, a 429 included, and a request over its limit costs nothing more. Pages
# travel compressed to phones on mobile data (service lists are kept compressed already).
MIDDLEWARE: tuple[tuple[Any, dict[str, Any]], ...] = (
    (reconnect.RetryOnConnectionLoss, {}),
    (throttle.RateLimits, {}),
    (logs.RequestLog, {}),
    (GZipMiddleware, {"minimum_size": compressed.MINIMUM_SIZE}),
)


class Panel(FastAPI):
    """FastAPI, with API v2 answered before FastAPI's routing: resellers' scripts send nearly
    every request there, and it needs neither path parameters nor dependencies."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        app: ASGIApp = api_v2.api_v2
        for middleware, arguments in MIDDLEWARE:
            app = middleware(app, **arguments)
        self._api_v2 = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] in api_v2.PATHS:
            scope["app"] = self
            scope["endpoint"] = api_v2.api_v2  # what logs.route_template looks for
            await self._api_v2(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = await Runtime.start(settings, "pasok-api")
        # What API v2 keeps (panel.plumbing.read_cache) is kept longer while changes are heard.
        runtime.reads.listen(runtime.engine.url.render_as_string(hide_password=False))
        app.state.runtime = runtime
        try:
            yield
        finally:
            await runtime.close()

    app = Panel(
        title="Pasok",
        summary="A first-hand supply hub for digital-service resellers.",
        version="0.1.0",
        lifespan=lifespan,
        # Served by panel.web.rest_docs, under the brand of the host asked for.
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    for middleware, arguments in MIDDLEWARE:
        app.add_middleware(middleware, **arguments)
    # Outermost, so that every answer FastAPI gives carries them, a 429 included.
    app.add_middleware(headers.SecurityHeaders)
    problems.install(app)
    web_pages.install(app)
    app.include_router(health.router)
    app.include_router(rest_docs_router)
    app.include_router(admin_router)
    app.include_router(v1_router)
    app.include_router(payments_router)
    app.include_router(prepaid_router)
    app.include_router(web_router)
    app.include_router(web_mass_router)
    app.include_router(web_order_router)
    app.include_router(web_update_router)
    app.include_router(web_operator_router)
    app.include_router(web_operator_prices_router)
    app.include_router(web_operator_catalogue_router)
    app.include_router(web_operator_orders_router)
    app.include_router(web_operator_dashboard_router)
    app.include_router(web_api_router)
    app.include_router(web_fund_router)
    app.include_router(web_invitation_router)
    app.include_router(web_referral_router)
    app.include_router(web_console_agencies_router)
    app.include_router(web_console_sales_router)
    app.include_router(web_console_settings_router)
    app.include_router(web_console_levels_router)
    app.include_router(web_voucher_router)
    app.include_router(web_reward_router)
    app.include_router(web_security_router)
    app.include_router(web_deposit_router)
    app.include_router(web_console_deposits_router)
    app.include_router(web_operator_deposits_router)
    app.include_router(web_ticket_router)
    app.include_router(web_console_tickets_router)
    app.include_router(web_operator_tickets_router)
    app.include_router(web_operator_accounts_router)
    app.include_router(web_operator_actions_router)
    app.include_router(web_announcement_router)
    return app


def serve() -> FastAPI:
    """The app as `pasok api` serves it: built, then its heap frozen for the collector."""
    app = create_app()
    collector.freeze_startup()
    return app
