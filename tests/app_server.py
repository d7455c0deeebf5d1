"""A real HTTP server for tests: uvicorn in a background thread on a free 127.0.0.1 port."""

import socket
import threading
import time
from typing import Literal

import uvicorn
from fastapi import FastAPI

START_TIMEOUT_S = 10.0
STOP_TIMEOUT_S = 10.0


class AppServer:
    """uvicorn serving one app from a daemon thread, on a port of its own. With
    `lifespan="on"` the app starts and stops its own runtime in that thread's event loop."""

    def __init__(self, app: FastAPI, lifespan: Literal["on", "off"]) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind(("127.0.0.1", 0))
        port: int = self._socket.getsockname()[1]
        self.port = port
        self.base_url = f"http://127.0.0.1:{port}"
        config = uvicorn.Config(
            app,
            log_level="warning",
            access_log=False,
            lifespan=lifespan,
            # A request a fault holds back must not hold the end of the session back too.
            timeout_graceful_shutdown=1,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )

    def start(self) -> "AppServer":
        self._thread.start()
        for _ in range(int(START_TIMEOUT_S / 0.01)):
            if self._server.started or not self._thread.is_alive():
                break
            time.sleep(0.01)
        if not self._server.started:
            raise RuntimeError("the server did not start")
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(STOP_TIMEOUT_S)
        if self._thread.is_alive():
            self._server.force_exit = True
            self._thread.join(STOP_TIMEOUT_S)
        self._socket.close()
