"""Time-based one-time passwords (RFC 6238 over RFC 4226): SHA-1, 6 digits, 30-second steps,
the kind every authenticator app reads from an otpauth:// URI.

A code is taken for the step before and after the current one too (a phone's clock drifts,
and a code typed at the end of its step arrives in the next), but only for a step later than
the last one accepted: a code seen over a shoulder or in a log cannot be used again.

The secret is kept encrypted with the web secret, so a copy of the database alone gives no
codes. The standard library has no block cipher; the stream is HMAC-SHA256 in counter mode
under a fresh random nonce, with an HMAC tag over the account id, nonce and ciphertext, so a
secret cannot be moved to another account's row, and a changed web secret is detected rather
than giving wrong codes.
"""

import base64
import hashlib
import hmac
import secrets
import struct
from urllib.parse import quote, urlencode

DIGITS = 6
STEP_S = 30
WINDOW = 1  # steps either side of the current one
SECRET_BYTES = 20  # 160 bits, as RFC 4226 recommends
_NONCE = 16
_TAG = 16
_FORMAT = "1."


def new_secret() -> bytes:
    return secrets.token_bytes(SECRET_BYTES)


def text(secret: bytes) -> str:
    """The secret as authenticator apps take it typed in: base32 without padding."""
    return base64.b32encode(secret).decode().rstrip("=")


def uri(secret: bytes, account: str, issuer: str) -> str:
    """The otpauth:// URI an authenticator app reads (from a QR code, or pasted)."""
    label = quote(f"{issuer}:{account}", safe="@:")
    query = urlencode(
        {
            "secret": text(secret),
            "issuer": issuer,
            "algorithm": "SHA1",
            "digits": DIGITS,
            "period": STEP_S,
        },
        quote_via=quote,
    )
    return f"otpauth://totp/{label}?{query}"


def step_at(unix_time: float) -> int:
    return int(unix_time // STEP_S)


def code_at(secret: bytes, step: int, digits: int = DIGITS) -> str:
    """The code for a time step (RFC 4226's HOTP with the step as counter)."""
    digest = hmac.new(secret, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(number % 10**digits).zfill(digits)


def matching_step(secret: bytes, code: str, unix_time: float, last_step: int | None) -> int | None:
    """The step `code` is right for, within the window and after `last_step`; None if none."""
    code = "".join(code.split())
    if len(code) != DIGITS or not code.isdigit():
        return None
    now = step_at(unix_time)
    for step in range(now - WINDOW, now + WINDOW + 1):
        if last_step is not None and step <= last_step:
            continue
        if hmac.compare_digest(code_at(secret, step), code):
            return step
    return None


def _keys(web_secret: str) -> tuple[bytes, bytes]:
    root = web_secret.encode()
    return (
        hmac.new(root, b"pasok-totp-encrypt", hashlib.sha256).digest(),
        hmac.new(root, b"pasok-totp-authenticate", hashlib.sha256).digest(),
    )


def _stream(key: bytes, nonce: bytes, length: int) -> bytes:
    blocks = (
        hmac.new(key, nonce + struct.pack(">I", counter), hashlib.sha256).digest()
        for counter in range((length + 31) // 32)
    )
    return b"".join(blocks)[:length]


def _tag(key: bytes, account_id: int, nonce: bytes, sealed: bytes) -> bytes:
    message = struct.pack(">q", account_id) + nonce + sealed
    return hmac.new(key, message, hashlib.sha256).digest()[:_TAG]


def seal(secret: bytes, account_id: int, web_secret: str) -> str:
    """`secret` encrypted for `account_id`'s row."""
    encrypt, authenticate = _keys(web_secret)
    nonce = secrets.token_bytes(_NONCE)
    sealed = bytes(a ^ b for a, b in zip(secret, _stream(encrypt, nonce, len(secret)), strict=True))
    tag = _tag(authenticate, account_id, nonce, sealed)
    return _FORMAT + base64.urlsafe_b64encode(nonce + sealed + tag).decode()


def unseal(stored: str, account_id: int, web_secret: str) -> bytes | None:
    """The secret `seal` encrypted; None when it was sealed for another row or under another
    web secret."""
    if not stored.startswith(_FORMAT):
        return None
    try:
        raw = base64.urlsafe_b64decode(stored.removeprefix(_FORMAT))
    except ValueError:
        return None
    nonce, sealed, tag = raw[:_NONCE], raw[_NONCE:-_TAG], raw[-_TAG:]
    encrypt, authenticate = _keys(web_secret)
    if len(raw) <= _NONCE + _TAG or not hmac.compare_digest(
        tag, _tag(authenticate, account_id, nonce, sealed)
    ):
        return None
    return bytes(a ^ b for a, b in zip(sealed, _stream(encrypt, nonce, len(sealed)), strict=True))
