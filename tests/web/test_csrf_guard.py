"""Every form of the web panel is guarded against cross-site requests by one dependency of the
page routers, not by each handler remembering to check: the test walks every route that takes
a POST (or any other unsafe method) outside the APIs, checks it carries the guard, and posts to
each without a token and with another visit's, signed in, expecting 403 and nothing written."""

import re

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from httpx import AsyncClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.routing import BaseRoute

from panel.app import create_app
from panel.config import Settings
from panel.models.base import Base
from panel.web.pages import SAFE_METHODS, guard_form
from tests.fixtures.factories import World
from tests.web.conftest import csrf_of

API_PREFIXES = ("/api/", "/v1", "/admin/", "/providers/", "/payments/", "/webhooks/")


def _routes(routes: list[BaseRoute]) -> list[BaseRoute]:
    """Every route, inside the routers included in others too."""
    found: list[BaseRoute] = []
    for route in routes:
        included = getattr(route, "original_router", None)
        found.extend(_routes(included.routes) if included is not None else [route])
    return found


def _form_routes(app: FastAPI) -> list[tuple[str, str, APIRoute]]:
    found = []
    for route in _routes(app.routes):
        # The web panel's pages: its handlers, out of the APIs' schema (web.admin is an API).
        if not isinstance(route, APIRoute) or route.include_in_schema:
            continue
        if not route.endpoint.__module__.startswith("panel.web."):
            continue
        for method in sorted(route.methods - SAFE_METHODS):
            found.append((method, route.path, route))
    return found


def _guards(route: APIRoute) -> bool:
    dependants = list(route.dependant.dependencies)
    while dependants:
        dependant = dependants.pop()
        if dependant.call is guard_form:
            return True
        dependants.extend(dependant.dependencies)
    return False


async def _rows(session: AsyncSession) -> dict[str, int]:
    """How many rows every table holds."""
    return {
        table.name: await session.scalar(select(func.count()).select_from(table)) or 0
        for table in Base.metadata.sorted_tables
    }


def _filled(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


def test_every_form_route_carries_the_guard(settings: Settings) -> None:
    routes = _form_routes(create_app(settings))
    assert len(routes) > 50  # the walk found the web panel's forms
    assert [f"{m} {p}" for m, p, r in routes if not _guards(r)] == []
    # The APIs and the gateways' and providers' callbacks are not in the walk.
    assert [p for _, p, _ in routes if p.startswith(API_PREFIXES)] == []


@pytest.mark.parametrize("token", [None, "forged"], ids=["no token", "another visit's"])
async def test_every_form_refuses_a_post_without_this_visits_token(
    settings: Settings,
    world: World,
    reseller_web: AsyncClient,
    token: str | None,
    session: AsyncSession,
) -> None:
    page = await reseller_web.get("/")
    assert csrf_of(page) != "forged"
    before = await _rows(session)
    refused = []
    for method, path, _ in _form_routes(create_app(settings)):
        data = {} if token is None else {"csrf": token}
        answer = await reseller_web.request(method, _filled(path), data=data)
        if answer.status_code != 403:
            refused.append((method, path, answer.status_code))
    assert refused == []
    assert await _rows(session) == before
