"""The sandbox prepaid provider as a real HTTP server for tests: the whole sandbox app (the
fake Digiflazz mounted under `/digiflazz`, as `pasok sandbox` serves it) and a buyer's webhook
receiver, one of each per test module, reset before each test.

    from tests.sandbox.prepaid.servers import prepaid_fixture, prepaid_servers_fixture

    async def test_something(prepaid: PrepaidHandle) -> None:
        prepaid.behave(sku="tsel10", kind="pending_success")
        ...
        prepaid.settle(ref_id, signature="wrong")
        assert prepaid.receiver.got()[0].headers["x-hub-signature"]

Control calls return only after their webhooks have been answered.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from sandbox import create_app
from sandbox.prepaid import DEFAULT_ACCOUNT
from tests.fixtures.app_server import AppServer
from tests.sandbox.gateway.conftest import Receiver, _receiver_app

USERNAME = DEFAULT_ACCOUNT.username
API_KEY = DEFAULT_ACCOUNT.api_key
WEBHOOK_SECRET = DEFAULT_ACCOUNT.webhook_secret


class PrepaidHandle:
    """What a test holds: the buyer API base URL, the control API and the receiver."""

    def __init__(self, server_url: str, http: httpx.Client, receiver: Receiver) -> None:
        self.base_url = f"{server_url}/digiflazz/v1"
        self.control_url = f"{server_url}/digiflazz/control"
        self.http = http
        self.receiver = receiver

    def control(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        """One control call, its JSON answer; raises on an error status."""
        answer = self.http.request(method, self.control_url + path, json=body)
        answer.raise_for_status()
        return answer.json()

    def reset(self) -> None:
        self.receiver.clear()
        self.control("POST", "/reset")
        # The account the sandbox starts with, pointed at this module's receiver.
        account = {"username": USERNAME, "api_key": API_KEY, "webhook_secret": WEBHOOK_SECRET}
        self.control("PUT", "/account", account | {"callback_url": self.receiver.url})

    def behave(self, **fields: Any) -> None:
        """sku and/or customer_no, kind, rc, created, then (see the control API)."""
        self.control("POST", "/behaviour", fields)

    def set_deposit(self, deposit: int) -> None:
        self.control("PUT", "/deposit", {"deposit": deposit})

    def settle(self, ref_id: str, **fields: Any) -> Any:
        """to ("Sukses" | "Gagal"), and faults: duplicates, signature, tamper, send."""
        return self.control("POST", f"/purchases/{ref_id}/settle", fields)

    def send_callback(self, ref_id: str, **fields: Any) -> Any:
        """event ("create" | "update"), and the same faults as `settle`."""
        return self.control("POST", f"/purchases/{ref_id}/callback", fields)

    def purchases(self) -> Any:
        return self.control("GET", "/purchases")

    def requests(self) -> Any:
        """Calls per API path since the reset."""
        return self.control("GET", "/requests")

    def callbacks(self) -> Any:
        return self.control("GET", "/callbacks")


@dataclass(frozen=True)
class Servers:
    sandbox: AppServer
    receiver: Receiver
    http: httpx.Client


# Named apart from what they provide, so that a module imports them without its test
# arguments shadowing the import.
@pytest.fixture(scope="module", name="prepaid_servers")
def prepaid_servers_fixture() -> Iterator[Servers]:
    holder: list[Receiver] = []
    receiver_server = AppServer(_receiver_app(holder), lifespan="off").start()
    holder.append(Receiver(receiver_server.base_url))
    sandbox = AppServer(create_app(seed=1), lifespan="off").start()
    with httpx.Client(timeout=10) as http:
        yield Servers(sandbox, holder[0], http)
    sandbox.stop()
    receiver_server.stop()


@pytest.fixture(name="prepaid")
def prepaid_fixture(prepaid_servers: Servers) -> PrepaidHandle:
    handle = PrepaidHandle(
        prepaid_servers.sandbox.base_url, prepaid_servers.http, prepaid_servers.receiver
    )
    handle.reset()
    return handle
