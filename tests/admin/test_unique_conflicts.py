"""A unique value already taken is a 409 problem JSON that writes nothing, never the database's
refusal leaking as a 500: asked by the service first, and answered the same way for the request
that loses a race to another writing the same value."""

from typing import Any

import pytest
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from panel.plumbing.deps import SessionDep
from tests.conftest import AppFor
from tests.fixtures.world import Panel

PROVIDER = {"api_url": "http://127.0.0.1:9/api/v2", "api_key": "up-key"}


def conflict(response: Any, detail: str) -> None:
    assert response.status_code == 409, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert (problem["status"], problem["title"], problem["detail"]) == (409, "Conflict", detail)


async def provider_names(panel: Panel) -> dict[int, str]:
    return {p["id"]: p["name"] for p in await panel.admin("GET", "/providers")}


async def test_renaming_a_provider_to_a_taken_name_is_a_conflict(panel: Panel) -> None:
    other = await panel.admin("POST", "/providers", {"name": "Second", **PROVIDER})
    before = await provider_names(panel)
    response = await panel.client.patch(
        f"/admin/v1/providers/{other['id']}",
        json={"name": "Upstream", "api_key": "changed"},
        headers=panel.operator.headers,
    )
    conflict(response, "a provider named 'Upstream' exists")
    assert await provider_names(panel) == before
    async with panel.sessionmaker() as session:
        key = await session.scalar(
            text("SELECT api_key FROM provider WHERE id = :id"), {"id": other["id"]}
        )
    assert key == "up-key"  # the rest of the refused change was not written either


async def test_a_provider_keeps_its_own_name_and_takes_a_free_one(panel: Panel) -> None:
    same = await panel.admin("PATCH", f"/providers/{panel.provider_id}", {"name": "Upstream"})
    assert same["name"] == "Upstream"
    renamed = await panel.admin("PATCH", f"/providers/{panel.provider_id}", {"name": "Renamed"})
    assert renamed["name"] == "Renamed"
    again = await panel.admin("POST", "/providers", {"name": "Upstream", **PROVIDER})
    assert again["name"] == "Upstream"


async def test_adding_a_provider_under_a_taken_name_is_a_conflict(panel: Panel) -> None:
    before = await provider_names(panel)
    response = await panel.client.post(
        "/admin/v1/providers", json={"name": "Upstream", **PROVIDER}, headers=panel.operator.headers
    )
    conflict(response, "a provider named 'Upstream' exists")
    assert await provider_names(panel) == before


@pytest.mark.parametrize(
    ("path", "body", "detail"),
    [
        ("/tiers", {"name": "Gold"}, "a tier named 'Gold' exists"),
        ("/accounts", {"kind": "reseller", "name": "R", "email": "r@example.com"}, None),
    ],
    ids=["tier", "account-email"],
)
async def test_other_unique_names_are_refused_before_the_database_is(
    panel: Panel, path: str, body: dict[str, Any], detail: str | None
) -> None:
    await panel.admin("POST", path, body)
    response = await panel.client.post(
        f"/admin/v1{path}", json=body, headers=panel.operator.headers
    )
    assert response.status_code in (409, 422), response.text
    assert response.headers["content-type"] == "application/problem+json"
    if detail is not None:
        conflict(response, detail)


async def test_a_tier_renamed_to_a_taken_name_is_a_conflict(panel: Panel) -> None:
    await panel.admin("POST", "/tiers", {"name": "Gold"})
    silver = await panel.admin("POST", "/tiers", {"name": "Silver"})
    response = await panel.client.patch(
        f"/admin/v1/tiers/{silver['id']}", json={"name": "Gold"}, headers=panel.operator.headers
    )
    conflict(response, "a tier named 'Gold' exists")


async def test_the_request_that_loses_a_race_for_a_unique_value_is_a_conflict(
    app_for: AppFor, committed: async_sessionmaker[AsyncSession]
) -> None:
    """Two requests can both find a name free and both write it: the second's unique
    violation is answered 409 problem JSON, and its transaction rolled back."""
    app: FastAPI = app_for(committed, fresh=True)

    @app.post("/admin/v1/test-race")
    async def lose_the_race(session: SessionDep) -> None:
        # As if another request had written the same name between the check and the write.
        await session.execute(text("INSERT INTO tier (name, min_spend_90d) VALUES ('Race', 0)"))
        await session.execute(text("INSERT INTO tier (name, min_spend_90d) VALUES ('Race', 0)"))

    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://pasok.test") as c:
        response = await c.post("/admin/v1/test-race")
    conflict(response, "another request wrote the same unique value first")
    async with committed() as session:
        assert await session.scalar(text("SELECT count(*) FROM tier WHERE name = 'Race'")) == 0
