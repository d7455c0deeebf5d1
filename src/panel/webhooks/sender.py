"""Sending one delivery over HTTP: signed, timed, and never into the panel's own network."""

import asyncio
import ipaddress
import socket
import time
from urllib.parse import urlsplit

import httpx

from panel.config import WebhookSettings
from panel.webhooks import signing
from panel.webhooks.service import Due, Result

USER_AGENT = "Pasok-Webhooks/1"


async def send(http: httpx.AsyncClient, due: Due, settings: WebhookSettings) -> Result:
    started = time.monotonic()
    body = due.body.encode()
    if not settings.allow_private_hosts and await _private(due.url):
        return Result(None, "the receiver's address is private; not sent", 0)
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
        return Result(None, f"{type(error).__name__}: {error}"[:500], _ms(started))
    return Result(response.status_code, None, _ms(started))


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


async def _private(url: str) -> bool:
    """Whether the URL's host is or resolves to an address inside a private network. (A
    host that resolves differently a moment later is not caught here.)"""
    host = urlsplit(url).hostname or ""
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except OSError:
        return False  # the request itself will fail and be retried
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global:
            return True
    return False
