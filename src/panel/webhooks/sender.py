"""Sending one delivery over HTTP: signed, timed, and never into the panel's own network.

`http` is the client of `panel.webhooks.network`, which refuses private addresses when it
connects; this module only reports a refusal as such.
"""

import time

import httpx

from panel.config import WebhookSettings
from panel.webhooks import signing
from panel.webhooks.network import PrivateAddress
from panel.webhooks.service import Due, Result

USER_AGENT = "Pasok-Webhooks/1"


async def send(http: httpx.AsyncClient, due: Due, settings: WebhookSettings) -> Result:
    started = time.monotonic()
    body = due.body.encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        signing.HEADER: signing.sign(due.secret, body, int(time.time())),
        "Pasok-Delivery": str(due.delivery_id),
    }
    try:
        response = await http.post(
            due.url,
            content=body,
            headers=headers,
            timeout=settings.timeout_s,
            follow_redirects=False,
        )
    except httpx.HTTPError as error:
        if isinstance(error.__cause__, PrivateAddress):
            return Result(None, str(error.__cause__)[:500], _ms(started))
        return Result(None, f"{type(error).__name__}: {error}"[:500], _ms(started))
    return Result(response.status_code, None, _ms(started))


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
