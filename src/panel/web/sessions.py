"""Signed session cookies and CSRF tokens.

The cookie carries the account id and a random CSRF token, signed with the panel's secret and
dated, so it cannot be forged or used past its age. Every form posts the token back; a form
without it, or with another session's, is refused.
"""

import hmac
import secrets
from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeTimedSerializer

COOKIE = "pasok_session"
PENDING_S = 300  # from the right password to the code


@dataclass(frozen=True)
class Visit:
    account_id: int | None
    csrf: str


def fresh(account_id: int | None) -> Visit:
    """A visit with a new CSRF token: on every sign-in and sign-out, so a token seen before
    is worth nothing after."""
    return Visit(account_id, secrets.token_urlsafe(24))


class Signer:
    def __init__(self, secret: str, max_age_s: float) -> None:
        self._serializer = URLSafeTimedSerializer(secret, salt="pasok-web-session")
        self.max_age_s = max_age_s

    def read(self, cookie: str | None) -> Visit:
        """The visit a cookie carries; a new anonymous one for none or a bad one."""
        if cookie:
            try:
                data = self._serializer.loads(cookie, max_age=int(self.max_age_s))
                return Visit(data.get("a"), str(data["c"]))
            except (BadSignature, KeyError, TypeError, AttributeError):
                pass
        return fresh(None)

    def write(self, visit: Visit) -> str:
        return self._serializer.dumps({"a": visit.account_id, "c": visit.csrf})


def csrf_ok(visit: Visit, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(visit.csrf, given or "")


class Pending:
    """A sign-in whose password was right and whose code is still to come, carried by the
    code form: signed, dated, and bound to the visit's CSRF token, so that it opens nothing in
    another browser, and nothing once `PENDING_S` has passed."""

    def __init__(self, secret: str) -> None:
        self._serializer = URLSafeTimedSerializer(secret, salt="pasok-web-second-step")

    def write(self, account_id: int, visit: Visit) -> str:
        return self._serializer.dumps({"a": account_id, "c": visit.csrf})

    def read(self, token: str, visit: Visit) -> int | None:
        """The account the sign-in is for; None for a bad, old or other visit's token."""
        try:
            data = self._serializer.loads(token, max_age=PENDING_S)
            account_id, csrf = data["a"], str(data["c"])
        except (BadSignature, KeyError, TypeError, AttributeError):
            return None
        if not isinstance(account_id, int) or not hmac.compare_digest(csrf, visit.csrf):
            return None
        return account_id
