"""One transaction per request: committed before the answer goes out, rolled back on error."""

from collections.abc import AsyncIterator

import pytest
from fastapi import APIRouter
from httpx import ASGITransport, AsyncClient
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from panel.errors import Invalid
from panel.models import Tier
from panel.plumbing.deps import SessionDep
from tests.conftest import AppFor

probes = APIRouter()


@probes.post("/probe/fails-at-commit")
async def fails_at_commit(session: SessionDep) -> dict[str, str]:
    # A deferred foreign key is checked only at COMMIT, after this handler has returned.
    await session.execute(text("CREATE TEMP TABLE probe_parent (id int PRIMARY KEY)"))
    await session.execute(
        text(
            "CREATE TEMP TABLE probe_child (parent int REFERENCES probe_parent (id) "
            "DEFERRABLE INITIALLY DEFERRED)"
        )
    )
    await session.execute(text("INSERT INTO probe_child VALUES (42)"))
    return {"status": "written"}


@probes.post("/probe/raises-after-write")
async def raises_after_write(session: SessionDep) -> dict[str, str]:
    session.add(Tier(name="probe"))
    await session.flush()
    raise Invalid("refused after a write")


@pytest.fixture
async def probe(
    app_for: AppFor, committed: async_sessionmaker[AsyncSession]
) -> AsyncIterator[AsyncClient]:
    app = app_for(committed, fresh=True)
    app.include_router(probes)
    transport = ASGITransport(app=app, raise_app_exceptions=False)
    async with AsyncClient(transport=transport, base_url="http://pasok.test") as client:
        yield client


async def test_a_failed_commit_is_never_answered_as_success(probe: AsyncClient) -> None:
    response = await probe.post("/probe/fails-at-commit")
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["request_id"] == response.headers["x-request-id"]


async def test_an_error_rolls_the_request_back(
    probe: AsyncClient, committed: async_sessionmaker[AsyncSession]
) -> None:
    response = await probe.post("/probe/raises-after-write")
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    async with committed() as session:
        assert await session.scalar(select(func.count()).select_from(Tier)) == 0
