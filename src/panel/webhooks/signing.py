"""Webhook signatures: `Pasok-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>` over
`"<t>.<body>"` with the endpoint's secret.

A receiver checks it like this (Python; any language with HMAC-SHA256 does the same):

    import hashlib, hmac, time

    def verify(secret: str, header: str, body: bytes, tolerance_s: int = 300) -> bool:
        parts = dict(item.split("=", 1) for item in header.split(","))
        signed = parts["t"].encode() + b"." + body
        expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
        fresh = abs(time.time() - int(parts["t"])) <= tolerance_s
        return fresh and hmac.compare_digest(expected, parts["v1"])

The timestamp is signed with the body, so an old request replayed later fails the tolerance,
and each event's `id` lets a receiver drop one it has already handled (retries resend it).
"""

import hashlib
import hmac

HEADER = "Pasok-Signature"
TOLERANCE_S = 300


def sign(secret: str, body: bytes, timestamp: int) -> str:
    mac = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify(
    secret: str, header: str, body: bytes, now: float, tolerance_s: int = TOLERANCE_S
) -> bool:
    """What a receiver does; Pasok's own tests and the documentation use this one."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
        given = parts["v1"]
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > tolerance_s:
        return False
    return hmac.compare_digest(sign(secret, body, timestamp).split("v1=", 1)[1], given)
