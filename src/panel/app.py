"""The HTTP application: every surface mounted on one FastAPI app."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.middleware.gzip import GZipMiddleware

from panel import health, logs, problems, throttle
from panel.admin.router import router as admin_router
from panel.api_v2 import router as api_v2_router
from panel.config import Settings, get_settings
from panel.runtime import Runtime
from panel.v1.router import router as v1_router
from panel.web import pages as web_pages
from panel.web.api_pages import router as web_api_router
from panel.web.console_agencies import router as web_console_agencies_router
from panel.web.console_sales import router as web_console_sales_router
from panel.web.console_settings import router as web_console_settings_router
from panel.web.fund_pages import router as web_fund_router
from panel.web.invitation_pages import router as web_invitation_router
from panel.web.mass_pages import router as web_mass_router
from panel.web.operator_pages import router as web_operator_router
from panel.web.order_pages import router as web_order_router
from panel.web.pages import router as web_router
from panel.web.rest_docs import router as rest_docs_router


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = await Runtime.start(settings)
        # What API v2 keeps (panel.read_cache) is kept longer while changes are heard.
        runtime.reads.listen(runtime.engine.url.render_as_string(hide_password=False))
        app.state.runtime = runtime
        try:
            yield
        finally:
            await runtime.close()

    app = FastAPI(
        title="Pasok",
        summary="A first-hand supply hub for digital-service resellers.",
        version="0.1.0",
        lifespan=lifespan,
        # Served by panel.web.rest_docs, under the brand of the host asked for.
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    # The last added runs first: every answer is logged and counted, a 429 included; a
    # request over its limit costs nothing more.
    app.add_middleware(throttle.RateLimits)
    app.add_middleware(logs.RequestLog)
    # Pages and service lists travel compressed to phones on mobile data; answers shorter than
    # this gain nothing from it (an API v2 `add` answer is a few dozen bytes).
    app.add_middleware(GZipMiddleware, minimum_size=1000)
    problems.install(app)
    web_pages.install(app)
    # Routes are tried in order: resellers' scripts' one path first, ahead of the hundred
    # others (matching them all cost a sixth of an order's time).
    app.include_router(api_v2_router)
    app.include_router(health.router)
    app.include_router(rest_docs_router)
    app.include_router(admin_router)
    app.include_router(v1_router)
    app.include_router(web_router)
    app.include_router(web_mass_router)
    app.include_router(web_order_router)
    app.include_router(web_operator_router)
    app.include_router(web_api_router)
    app.include_router(web_fund_router)
    app.include_router(web_invitation_router)
    app.include_router(web_console_agencies_router)
    app.include_router(web_console_sales_router)
    app.include_router(web_console_settings_router)
    return app
