"""The sandbox payment gateway as a real HTTP server for tests: one uvicorn server per test
session (the sandbox app, the gateway under `/tripay` as `pasok sandbox` serves it), reset
before each test.

    async def test_something(gateway: GatewayHandle) -> None:
        gateway.register_merchant("T0001", "api-key", "private-key", callback_url=...)
        adapter = TripayAdapter(client, gateway.base_url, "api-key", ...)
        ...
        gateway.pay(reference, duplicates=3)
        assert len(gateway.callbacks()) == 3

Control calls return only after their callbacks have been answered.
"""

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from panel.sandbox import create_app
from tests.app_server import AppServer


class GatewayHandle:
    """What a test holds: the Tripay API base URL and the control API, over real HTTP."""

    def __init__(self, server_url: str, http: httpx.Client) -> None:
        self.base_url = f"{server_url}/tripay"
        self.control_url = f"{self.base_url}/control"
        self.http = http

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.http.request(method, f"{self.control_url}{path}", **kwargs)
        response.raise_for_status()
        return response.json()

    def reset(self) -> None:
        self._call("POST", "/reset")

    def register_merchant(
        self, code: str, api_key: str, private_key: str, callback_url: str | None = None
    ) -> dict[str, Any]:
        body = {"api_key": api_key, "private_key": private_key, "callback_url": callback_url}
        merchant: dict[str, Any] = self._call("PUT", f"/merchants/{code}", json=body)
        return merchant

    def pay(self, reference: str, **faults: Any) -> dict[str, Any]:
        """Faults: duplicates, signature ("good" | "wrong"), tamper, amount_delta, send,
        after_expiry. Answers the transaction and the callbacks sent."""
        answer: dict[str, Any] = self._call("POST", f"/transactions/{reference}/pay", json=faults)
        return answer

    def expire(self, reference: str, **faults: Any) -> dict[str, Any]:
        answer: dict[str, Any] = self._call(
            "POST", f"/transactions/{reference}/expire", json=faults
        )
        return answer

    def refund(self, reference: str, **faults: Any) -> dict[str, Any]:
        answer: dict[str, Any] = self._call(
            "POST", f"/transactions/{reference}/refund", json=faults
        )
        return answer

    def send_callback(self, reference: str, status: str, **faults: Any) -> dict[str, Any]:
        """A callback with `status`, the transaction left as it is."""
        answer: dict[str, Any] = self._call(
            "POST", f"/transactions/{reference}/callback", json={"status": status, **faults}
        )
        return answer

    def advance(self, seconds: float) -> int:
        """Move the gateway's time on; returns its unix time afterwards."""
        now: int = self._call("POST", "/clock", json={"advance_s": seconds})["now"]
        return now

    def transactions(self) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = self._call("GET", "/transactions")
        return rows

    def callbacks(self) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = self._call("GET", "/callbacks")
        return rows


@pytest.fixture(scope="session")
def gateway_server() -> Iterator[AppServer]:
    server = AppServer(create_app(seed=1), lifespan="off").start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def gateway_http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10) as http:
        yield http


@pytest.fixture
def gateway(gateway_server: AppServer, gateway_http: httpx.Client) -> GatewayHandle:
    handle = GatewayHandle(gateway_server.base_url, gateway_http)
    handle.reset()
    return handle
