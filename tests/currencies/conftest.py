"""An IDR panel buying from the sandbox provider, which charges in US dollars: the operator's
side through /admin/v1, the resellers' through /api/v2, the pipeline run by real workers."""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from httpx import ASGITransport, AsyncClient, Response
from sqlalchemy import text

from panel.accounts import service as accounts
from panel.app import create_app
from panel.config import Settings
from panel.keys import service as keys
from panel.models import AccountKind
from panel.plumbing.runtime import Runtime
from tests.fixtures.sandbox import SandboxHandle

PANEL_CURRENCY = "IDR"


@pytest.fixture
def pipeline_settings(pipeline_settings: Settings) -> Settings:
    return pipeline_settings.model_copy(update={"currency": PANEL_CURRENCY})


@dataclass
class Idr:
    """The panel as its operator and one reseller use it."""

    client: AsyncClient
    runtime: Runtime
    sandbox: SandboxHandle
    operator_token: str
    operator_id: int

    async def call(self, method: str, path: str, body: Any = None) -> Response:
        return await self.client.request(
            method,
            f"/admin/v1{path}",
            json=body,
            headers={"Authorization": f"Bearer {self.operator_token}"},
        )

    async def admin(self, method: str, path: str, body: Any = None) -> Any:
        response = await self.call(method, path, body)
        assert response.is_success, response.text
        return response.json() if response.content else None

    async def api(self, key: str, **params: Any) -> Any:
        data = {"key": key, **{name: str(value) for name, value in params.items()}}
        response = await self.client.post("/api/v2", data=data)
        assert response.status_code == 200, response.text
        return response.json()

    async def scalar(self, statement: str, **values: Any) -> Any:
        async with self.runtime.transaction() as session:
            return await session.scalar(text(statement), values)

    async def rows(self, statement: str, **values: Any) -> list[dict[str, Any]]:
        async with self.runtime.transaction() as session:
            found = await session.execute(text(statement), values)
            return [dict(row) for row in found.mappings()]


@pytest.fixture
async def idr(runtime: Runtime, sandbox: SandboxHandle) -> AsyncIterator[Idr]:
    async with runtime.transaction() as session:
        operator = await accounts.create(session, kind=AccountKind.operator, name="Ops")
        issued = await keys.issue(session, operator, "tests")
    app = create_app(runtime.settings)
    app.state.runtime = runtime
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://pasok.test") as c:
        yield Idr(c, runtime, sandbox, issued.plaintext, operator.id)
