"""The sandbox provider as a real HTTP server for tests: one uvicorn server per test session,
started in a background thread on a free 127.0.0.1 port, reset before each test.

    async def test_something(sandbox: SandboxHandle) -> None:
        sandbox.set_behaviour("1", partial_rate=1.0)
        adapter = SmmV2Adapter(client, sandbox.url, "any-key")
        ...
        sandbox.advance(3600)

The clock starts frozen in each test, so orders move only when a test advances it.
"""

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from panel.sandbox import create_app

START_TIMEOUT_S = 10.0
STOP_TIMEOUT_S = 10.0


class SandboxServer:
    """uvicorn serving one sandbox app from a daemon thread, on a port of its own."""

    def __init__(self, app: FastAPI) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind(("127.0.0.1", 0))
        port: int = self._socket.getsockname()[1]
        self.base_url = f"http://127.0.0.1:{port}"
        config = uvicorn.Config(
            app,
            log_level="warning",
            access_log=False,
            lifespan="off",
            # A request a fault holds back must not hold the end of the session back too.
            timeout_graceful_shutdown=1,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )

    def start(self) -> "SandboxServer":
        self._thread.start()
        for _ in range(int(START_TIMEOUT_S / 0.01)):
            if self._server.started or not self._thread.is_alive():
                break
            time.sleep(0.01)
        if not self._server.started:
            raise RuntimeError("the sandbox server did not start")
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(STOP_TIMEOUT_S)
        if self._thread.is_alive():
            self._server.force_exit = True
            self._thread.join(STOP_TIMEOUT_S)
        self._socket.close()


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
def sandbox_server() -> Iterator[SandboxServer]:
    server = SandboxServer(create_app(seed=1)).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def sandbox_http(sandbox_server: SandboxServer) -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10) as http:
        yield http
        # Release any answer a fault still holds back, so the server stops at once.
        http.post(f"{sandbox_server.base_url}/sandbox/reset")


@pytest.fixture
def sandbox(sandbox_server: SandboxServer, sandbox_http: httpx.Client) -> SandboxHandle:
    handle = SandboxHandle(sandbox_server.base_url, sandbox_http)
    handle.reset(seed=1)
    return handle
