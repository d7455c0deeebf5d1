"""What changes a transaction and tells the merchant: the state change first, then the
callbacks, sent before the call that caused them answers (a test that gets its answer knows
the callbacks have arrived)."""

from typing import Any

import httpx

from sandbox.gateway import callbacks
from sandbox.gateway.callbacks import Faults
from sandbox.gateway.state import Gateway, Status, Transaction


class Actions:
    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway
        self._client: httpx.AsyncClient | None = None

    @property
    def client(self) -> httpx.AsyncClient:
        # Built on first use, inside the server's event loop: a mounted app gets no lifespan.
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=callbacks.TIMEOUT_S)
        return self._client

    async def observe(self, reference: str) -> list[dict[str, Any]]:
        """Notice a transaction that has run past its expiry: EXPIRED, and its callback, once."""
        expired = self.gateway.notice_expiry(reference)
        if expired is None:
            return []
        return await callbacks.send(self.gateway, self.client, expired, "EXPIRED", Faults())

    async def look(self, reference: str, merchant_code: str | None = None) -> Transaction:
        await self.observe(reference)
        return self.gateway.find(reference, merchant_code)

    async def move(
        self, reference: str, to: Status, faults: Faults, *, after_expiry: bool = False
    ) -> dict[str, Any]:
        noticed = await self.observe(reference)
        moved = self.gateway.move(reference, to, after_expiry=after_expiry)
        sent = await callbacks.send(self.gateway, self.client, moved, to, faults)
        return {"transaction": moved.shown(), "callbacks": noticed + sent}

    async def send(self, reference: str, status: Status, faults: Faults) -> dict[str, Any]:
        """A callback with any status, the transaction left as it is."""
        transaction = self.gateway.find(reference)
        sent = await callbacks.send(self.gateway, self.client, transaction, status, faults)
        return {"transaction": transaction.shown(), "callbacks": sent}
