"""The sandbox provider as a real HTTP server for tests: one uvicorn server per test session,
started in a background thread on a free 127.0.0.1 port, reset before each test.

    async def test_something(sandbox: SandboxHandle) -> None:
        sandbox.set_behaviour("1", partial_rate=1.0)
        adapter = SmmV2Adapter(client, sandbox.url, "any-key")
        ...
        sandbox.advance(3600)

The clock starts frozen in each test, so orders move only when a test advances it.
"""

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from panel.sandbox import create_app
from tests.app_server import AppServer


class SandboxHandle:
    """What a test holds: the API v2 URL and the control API, over real HTTP. `http` is a
    plain client for calls of the test's own (one per session: building one costs ~40 ms)."""

    def __init__(self, base_url: str, http: httpx.Client) -> None:
        self.base_url = base_url
        self.url = f"{base_url}/api/v2"
        self.http = http

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.http.request(method, f"{self.base_url}/sandbox{path}", **kwargs)
        response.raise_for_status()
        return response.json()

    def reset(self, seed: int | None = None, *, frozen: bool = True) -> None:
        body: dict[str, Any] = {"frozen": frozen} | ({} if seed is None else {"seed": seed})
        self._call("POST", "/reset", json=body)

    def set_behaviour(self, service_id: str, **fields: Any) -> dict[str, Any]:
        behaviour: dict[str, Any] = self._call(
            "POST", f"/services/{service_id}/behaviour", json=fields
        )
        return behaviour

    def put_service(self, service_id: str, **fields: Any) -> dict[str, Any]:
        service: dict[str, Any] = self._call("PUT", f"/services/{service_id}", json=fields)
        return service

    def remove_service(self, service_id: str) -> None:
        self.http.delete(f"{self.base_url}/sandbox/services/{service_id}").raise_for_status()

    def set_dialect(self, name: str) -> None:
        self._call("POST", "/dialect", json={"dialect": name})

    def set_currency(self, currency: str) -> None:
        self._call("POST", "/currency", json={"currency": currency})

    def set_balance(self, balance: str) -> None:
        self._call("POST", "/balance", json={"balance": balance})

    def advance(self, seconds: float) -> float:
        """Move the virtual clock on; returns the sandbox's time afterwards."""
        now: float = self._call("POST", "/clock", json={"advance_s": seconds})["now_s"]
        return now

    def requests(
        self, action: str | None = None, *, link: str | None = None
    ) -> list[dict[str, Any]]:
        query = {name: value for name, value in (("action", action), ("link", link)) if value}
        rows: list[dict[str, Any]] = self._call("GET", "/requests", params=query)["requests"]
        return rows

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = self._call("GET", "/requests")["counts"]
        return counts

    def orders(self) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = self._call("GET", "/orders")
        return rows

    def summary(self) -> dict[str, Any]:
        summary: dict[str, Any] = self._call("GET", "")
        return summary


@pytest.fixture(scope="session")
def sandbox_server() -> Iterator[AppServer]:
    server = AppServer(create_app(seed=1), lifespan="off").start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def sandbox_http(sandbox_server: AppServer) -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10) as http:
        yield http
        # Release any answer a fault still holds back, so the server stops at once.
        http.post(f"{sandbox_server.base_url}/sandbox/reset")


@pytest.fixture
def sandbox(sandbox_server: AppServer, sandbox_http: httpx.Client) -> SandboxHandle:
    handle = SandboxHandle(sandbox_server.base_url, sandbox_http)
    handle.reset(seed=1)
    return handle
