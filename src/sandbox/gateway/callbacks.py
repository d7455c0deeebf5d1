"""Callbacks to the merchant: the JSON body Tripay sends, signed over its raw bytes, and the
faults a test asks for (duplicates, a wrong key, a changed body, a shifted amount)."""

import asyncio
import hmac
import json
from dataclasses import dataclass
from hashlib import sha256
from typing import Any, Literal

import httpx

from sandbox.gateway.state import Gateway, Merchant, Status, Transaction

TIMEOUT_S = 5.0
WRONG_KEY = "not-the-private-key"
TAMPER_DELTA = 10_000  # rupiah added to total_amount after signing
MAX_ANSWER = 2000  # characters of the receiver's answer kept


@dataclass(frozen=True)
class Faults:
    duplicates: int = 1
    signature: Literal["good", "wrong"] = "good"
    tamper: bool = False
    amount_delta: int = 0
    send: bool = True


def sign(private_key: str, raw: bytes) -> str:
    return hmac.new(private_key.encode(), raw, sha256).hexdigest()


def _encode(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, separators=(",", ":")).encode()


def payload(transaction: Transaction, status: Status, now: int) -> dict[str, Any]:
    paid_at = (transaction.paid_at or now) if status == "PAID" else None
    return {
        "reference": transaction.reference,
        "merchant_ref": transaction.merchant_ref,
        "payment_method": transaction.channel.name,
        "payment_method_code": transaction.channel.code,
        "total_amount": transaction.amount,
        "fee_merchant": transaction.fee,
        "fee_customer": 0,
        "total_fee": transaction.fee,
        "amount_received": transaction.amount_received,
        "is_closed_payment": 1,
        "status": status,
        "paid_at": paid_at,
        "note": None,
    }


def build(
    merchant: Merchant, transaction: Transaction, status: Status, faults: Faults, now: int
) -> tuple[bytes, dict[str, str]]:
    """The raw body and headers of one callback, faults applied."""
    body = payload(transaction, status, now)
    if faults.amount_delta:
        body["total_amount"] += faults.amount_delta
        body["amount_received"] += faults.amount_delta
    raw = _encode(body)
    signature = sign(merchant.private_key if faults.signature == "good" else WRONG_KEY, raw)
    if faults.tamper:
        raw = _encode(body | {"total_amount": body["total_amount"] + TAMPER_DELTA})
    headers = {
        "Content-Type": "application/json",
        "X-Callback-Event": "payment_status",
        "X-Callback-Signature": signature,
    }
    return raw, headers


async def deliver(
    client: httpx.AsyncClient, url: str | None, raw: bytes, headers: dict[str, str]
) -> dict[str, Any]:
    """POST one signed body to `url`, as a gateway does: what the receiver answered, or the
    error; never raises (both fake gateways send their callbacks through this)."""
    answer: dict[str, Any] = {"response_status": None, "response_text": None, "error": None}
    if url is None:
        return answer | {"error": "no callback_url: neither the transaction nor the merchant"}
    try:
        response = await client.post(url, content=raw, headers=headers)
    except httpx.HTTPError as exc:
        # A receiver that is down is part of what a test may want to see, not a failure.
        return answer | {"error": f"{type(exc).__name__}: {exc}".rstrip(": ")}
    return answer | {
        "response_status": response.status_code,
        "response_text": response.text[:MAX_ANSWER],
    }


async def send(
    gateway: Gateway,
    client: httpx.AsyncClient,
    transaction: Transaction,
    status: Status,
    faults: Faults,
) -> list[dict[str, Any]]:
    """Send the callback (`duplicates` times at once) and record each; [] when not sent."""
    merchant = gateway.merchant(transaction.merchant_code)
    if not faults.send or merchant is None:
        return []
    raw, headers = build(merchant, transaction, status, faults, gateway.now())
    url = transaction.callback_url or merchant.callback_url
    answers = await asyncio.gather(
        *(deliver(client, url, raw, headers) for _ in range(faults.duplicates))
    )
    text = raw.decode()
    return [
        gateway.record(
            {
                "reference": transaction.reference,
                "status": status,
                "url": url,
                "body": text,
                "headers": dict(headers),
                "signed_correctly": hmac.compare_digest(
                    headers["X-Callback-Signature"], sign(merchant.private_key, raw)
                ),
                "sent_at": gateway.now(),
            }
            | answer
        )
        for answer in answers
    ]
