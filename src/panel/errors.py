"""One error type for the whole panel, rendered once as problem JSON (RFC 9457).

Services raise these; HTTP surfaces decide how to show them (`/api/v2` maps them to its own
`{"error": ...}` texts).
"""

from typing import Any, ClassVar


class PanelError(Exception):
    status_code: ClassVar[int] = 400
    title: ClassVar[str] = "Bad request"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra

    @property
    def type(self) -> str:
        return f"https://pasok.dev/problems/{type(self).__name__}"


class Invalid(PanelError):
    status_code = 422
    title = "Invalid input"


class NotFound(PanelError):
    status_code = 404
    title = "Not found"


class Conflict(PanelError):
    status_code = 409
    title = "Conflict"


class Unauthorized(PanelError):
    status_code = 401
    title = "Unauthorized"


class Forbidden(PanelError):
    status_code = 403
    title = "Forbidden"


class InsufficientFunds(PanelError):
    status_code = 402
    title = "Insufficient funds"


class Unavailable(PanelError):
    """Someone Pasok depends on (a payment gateway) did not answer or refused: nothing was
    made, and trying again later may work."""

    status_code = 503
    title = "Unavailable"


class TooMany(PanelError):
    status_code = 429
    title = "Too many requests"
