"""Requests that meet a lost database connection.

When PostgreSQL restarts or an administrator ends the panel's backends, every pooled
connection is dead, and the first request to use each finds out. SQLAlchemy then invalidates
the whole pool, so a second try connects afresh. A request whose transaction cannot have
committed is therefore run once more, unseen by its client. One that may have committed, or
fails twice, is answered as unavailable for a moment: 503 with `Retry-After`, and on API v2
HTTP 200 with an error text, as that protocol's clients expect.
"""

import json
import logging

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from panel.plumbing import problems
from panel.plumbing.db import ConnectionLost

log = logging.getLogger("panel.db")

RETRY_AFTER_S = 1
API_V2_UNAVAILABLE = "Service temporarily unavailable, please retry"


class RetryOnConnectionLoss:
    """ASGI middleware: run a request again once when its connection was lost before commit."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # What the first try read of the body, to give the second the same request.
        received: list[Message] = []
        started = False

        async def recording() -> Message:
            message = await receive()
            received.append(message)
            return message

        async def watching(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, recording, watching)
            return
        except ConnectionLost as lost:
            if started:
                raise
            if lost.may_have_committed:
                log.warning("connection lost during commit", extra={"fields": _where(scope)})
                await _unavailable(scope, send, may_have_committed=True)
                return
        log.warning("connection lost before commit; trying again", extra={"fields": _where(scope)})
        replay = iter(list(received))

        async def replaying() -> Message:
            return next(replay, None) or await receive()

        try:
            await self.app(scope, replaying, watching)
        except ConnectionLost:
            if started:
                raise
            log.warning("connection lost again", extra={"fields": _where(scope)})
            await _unavailable(scope, send, may_have_committed=False)


def _where(scope: Scope) -> dict[str, str]:
    return {"method": scope.get("method", ""), "path": scope.get("path", "")}


async def _unavailable(scope: Scope, send: Send, *, may_have_committed: bool) -> None:
    path: str = scope.get("path", "")
    if path.startswith("/api/v2"):
        status, content_type = 200, b"application/json"
        body = json.dumps({"error": API_V2_UNAVAILABLE}).encode()
    else:
        status, content_type = 503, problems.MEDIA_TYPE.encode()
        body = json.dumps(
            {
                "type": "about:blank",
                "title": "Service unavailable",
                "status": 503,
                "detail": (
                    "the database connection was lost while saving; the change may or may not "
                    "have been made: look before sending it again, or repeat it with the same "
                    "Idempotency-Key"
                    if may_have_committed
                    else "the database connection was lost; nothing was changed: retry after "
                    "the seconds in Retry-After"
                ),
            }
        ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", content_type),
                (b"retry-after", str(RETRY_AFTER_S).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
