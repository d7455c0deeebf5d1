"""The sandbox gateway's fixtures, and a merchant's callback receiver: a tiny real server that
records each callback's raw body and headers and answers as Tripay expects."""

import threading
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi import FastAPI, Request

from tests.fixtures.app_server import AppServer


@dataclass(frozen=True)
class Received:
    raw: bytes
    headers: dict[str, str]


class Receiver:
    def __init__(self, base_url: str) -> None:
        self.url = f"{base_url}/callback"
        self._lock = threading.Lock()
        self._got: list[Received] = []

    def add(self, received: Received) -> None:
        with self._lock:
            self._got.append(received)

    def got(self) -> list[Received]:
        with self._lock:
            return list(self._got)

    def clear(self) -> None:
        with self._lock:
            self._got.clear()


def _receiver_app(receivers: list[Receiver]) -> FastAPI:
    app = FastAPI()

    @app.post("/callback")
    async def callback(request: Request) -> dict[str, bool]:
        receivers[0].add(Received(await request.body(), dict(request.headers)))
        return {"success": True}

    return app


@pytest.fixture(scope="session")
def receiver_server() -> Iterator[tuple[AppServer, Receiver]]:
    holder: list[Receiver] = []
    server = AppServer(_receiver_app(holder), lifespan="off").start()
    holder.append(Receiver(server.base_url))
    yield server, holder[0]
    server.stop()


@pytest.fixture
def receiver(receiver_server: tuple[AppServer, Receiver]) -> Receiver:
    found = receiver_server[1]
    found.clear()
    return found
