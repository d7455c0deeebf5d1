"""Webhooks to the buyer: the JSON body Digiflazz posts when a purchase changes, signed with an
HMAC-SHA1 of its raw bytes in `X-Hub-Signature`, and the faults a test asks for (duplicates, a
wrong secret, a body changed after signing)."""

import asyncio
import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any, Literal

import httpx

from sandbox.gateway.callbacks import deliver
from sandbox.prepaid.state import Account, Purchase, Store

TIMEOUT_S = 5.0
WRONG_SECRET = "not-the-webhook-secret"
Event = Literal["create", "update"]


@dataclass(frozen=True)
class Faults:
    duplicates: int = 1  # sent at the same time
    signature: Literal["good", "wrong"] = "good"
    tamper: bool = False  # the status turned to Sukses after signing
    send: bool = True  # false: the state changes, the callback is lost


def signature(secret: str, raw: bytes) -> str:
    return "sha1=" + hmac.new(secret.encode(), raw, hashlib.sha1).hexdigest()


def _encode(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, separators=(",", ":")).encode()


def build(
    account: Account, purchase: Purchase, event: Event, faults: Faults
) -> tuple[bytes, dict[str, str]]:
    """The raw body and headers of one webhook, faults applied."""
    data = purchase.shown()
    raw = _encode({"data": data})
    secret = account.webhook_secret if faults.signature == "good" else WRONG_SECRET
    signed = signature(secret, raw)
    if faults.tamper:
        raw = _encode({"data": data | {"status": "Sukses", "rc": "00", "sn": "TAMPERED"}})
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "DigiFlazz-Hookshot",
        "X-Digiflazz-Event": event,
        "X-Hub-Signature": signed,
    }
    return raw, headers


async def send(
    store: Store, client: httpx.AsyncClient, purchase: Purchase, event: Event, faults: Faults
) -> list[dict[str, Any]]:
    """Send the webhook (`duplicates` times at once) and record each; [] when not sent."""
    if not faults.send:
        return []
    account = store.account
    raw, headers = build(account, purchase, event, faults)
    url = account.callback_url
    if url is None:
        answers = [{"error": "no callback_url is set for the account"}] * faults.duplicates
    else:
        # The receiver's answer, or why there was none, recorded as the payment gateway does.
        answers = await asyncio.gather(
            *(deliver(client, url, raw, headers) for _ in range(faults.duplicates))
        )
    sent = {
        "ref_id": purchase.ref_id,
        "event": event,
        "url": url,
        "body": raw.decode(),
        "headers": headers,
        "signed_correctly": hmac.compare_digest(
            headers["X-Hub-Signature"], signature(account.webhook_secret, raw)
        ),
    }
    return store.record([sent | answer for answer in answers])
