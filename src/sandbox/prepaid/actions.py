"""What changes a purchase and tells the buyer: the state change first, then the webhooks,
sent before the control call that caused them answers (a test that gets its answer knows the
webhooks have arrived)."""

from functools import cached_property
from typing import Any

import httpx

from sandbox.prepaid import callbacks
from sandbox.prepaid.callbacks import Event, Faults
from sandbox.prepaid.state import Status, Store


class Actions:
    def __init__(self, store: Store) -> None:
        self.store = store

    @cached_property
    def client(self) -> httpx.AsyncClient:
        # Built on first use, inside the server's event loop: a mounted app gets no lifespan.
        return httpx.AsyncClient(timeout=callbacks.TIMEOUT_S)

    async def settle(self, ref_id: str, to: Status | None, faults: Faults) -> dict[str, Any]:
        """End a Pending purchase and send its `update` webhook."""
        settled = self.store.settle(ref_id, to)
        sent = await callbacks.send(self.store, self.client, settled, "update", faults)
        return {"purchase": settled.shown(), "callbacks": sent}

    async def send(self, ref_id: str, event: Event, faults: Faults) -> dict[str, Any]:
        """A webhook about the purchase as it stands, the purchase unchanged."""
        purchase = self.store.find(ref_id)
        sent = await callbacks.send(self.store, self.client, purchase, event, faults)
        return {"purchase": purchase.shown(), "callbacks": sent}
