"""JSON logs, one object per line, each carrying what its task is about: the request id of the
request that wrote it, or the job, its id and the order (or refill, ticket) it works on.

One way to bind them: `bound(...)`, a context variable, so every line written while the task
runs carries them, whichever module writes it."""

import json
import logging
import sys
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from types import MappingProxyType
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from panel.plumbing import metrics, problems

_NOTHING: Mapping[str, Any] = MappingProxyType({})
_bound: ContextVar[Mapping[str, Any]] = ContextVar("log_fields", default=_NOTHING)


@contextmanager
def bound(**fields: Any) -> Iterator[None]:
    """Every log line written inside carries `fields` (as well as those bound around it)."""
    token = _bound.set({**_bound.get(), **fields})
    try:
        yield
    finally:
        _bound.reset(token)


log = logging.getLogger("panel")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        entry.update(_bound.get())
        for key, value in getattr(record, "fields", {}).items():
            entry[key] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure(level: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # uvicorn's access log repeats what RequestLog writes, without the request id.
    logging.getLogger("uvicorn.access").disabled = True


def route_template(scope: Scope) -> str:
    """The matched route as a template (`/admin/v1/accounts/{account_id}`), a bounded metric
    label. Rebuilt from the path and its parameters: routers nested under prefixes do not
    keep the full template on the route itself."""
    if "endpoint" not in scope:
        return "unmatched"
    names = {str(value): name for name, value in scope.get("path_params", {}).items()}
    return "/".join(
        f"{{{names[part]}}}" if part in names else part for part in scope["path"].split("/")
    )


class RequestLog:
    """ASGI middleware: assign a request id (or keep the caller's), echo it, log and count the
    outcome."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        given = headers.get(b"x-request-id", b"").decode("latin-1")[:64]
        rid = given or uuid.uuid4().hex
        token = _bound.set({**_bound.get(), "request_id": rid})
        started = time.perf_counter()
        status = 500
        started_response = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, started_response
            if message["type"] == "http.response.start":
                status, started_response = message["status"], True
                message.setdefault("headers", []).append((b"x-request-id", rid.encode()))
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            # Answer here rather than in Starlette's outer error middleware, so the caller
            # gets problem JSON carrying the request id to quote; the trace stays in the log.
            log.exception("unhandled error")
            if started_response:
                raise
            await problems.problem(
                500,
                "Internal error",
                "The request failed and changed nothing; quote the request id to support.",
                request_id=rid,
            )(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - started
            route = route_template(scope)
            metrics.REQUESTS.labels(scope["method"], route, str(status)).inc()
            metrics.REQUEST_SECONDS.labels(route).observe(seconds)
            fields = {
                "method": scope["method"],
                "path": scope["path"],
                "status": status,
                "ms": round(seconds * 1000, 2),
            }
            log.info("request", extra={"fields": fields})
            _bound.reset(token)
