"""`/api/v2`: the SMM standard for resellers' existing scripts, bots and child panels.

One endpoint takes every transport the standard's clients use (form, JSON, multipart, query
string) and answers 200 with JSON, errors included: many clients call `raise_for_status()`
before they read `{"error": ...}`. The one exception is a caller over its rate limit: 429, so
that its client backs off, still with `{"error": ...}`.
"""

import json
import logging
from typing import Any
from urllib.parse import parse_qsl

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send

from panel.api_v2 import actions, answers
from panel.errors import InsufficientFunds, PanelError
from panel.orders import texts
from panel.orders.texts import Refused
from panel.plumbing import compressed, throttle
from panel.plumbing.db import ConnectionLost
from panel.plumbing.runtime import Runtime

log = logging.getLogger("panel.api_v2")

# Both spellings: a POST redirected from one to the other is not followed by most clients.
PATHS = frozenset({"/api/v2", "/api/v2/"})
METHODS = frozenset({"GET", "HEAD", "POST"})
MAX_FIELDS = 1000  # as Starlette allows a form


async def api_v2(scope: Scope, receive: Receive, send: Send) -> None:
    """The ASGI app of `PATHS`, served ahead of FastAPI's routing (panel.app): it has no path
    parameters or dependencies, and FastAPI's routing, dependency injection and exception
    middleware were much of an `add`'s CPU (bench/README.md). Not in the OpenAPI document:
    that describes /v1; this surface is described by the standard."""
    if scope["method"] not in METHODS:
        # 200 like every other refusal, not 405: a client that calls raise_for_status()
        # first would otherwise never read why. Nothing is read, so nothing is done.
        refusal = answers.error(texts.INCORRECT_REQUEST)
        await JSONResponse(refusal, 200, {"allow": "GET, POST"})(scope, receive, send)
        return
    request = Request(scope, receive)
    runtime: Runtime = scope["app"].state.runtime
    answer, quota, status = await _answer_for(request, runtime)
    response: Response
    if isinstance(answer, compressed.Body):  # the kept services list
        response = answer.response(request.headers.get("accept-encoding", ""))
    elif isinstance(answer, answers.Encoded):
        response = Response(answer, status, media_type="application/json")
    else:
        response = JSONResponse(answer, status_code=status)
    for name, value in quota.headers() if quota else []:
        response.headers[name.decode()] = value.decode()
    await response(scope, receive, send)


async def _answer_for(request: Request, runtime: Runtime) -> tuple[Any, throttle.Quota | None, int]:
    # The transaction is opened here rather than by the session dependency so that a refusal
    # can roll it back and still be answered as 200 {"error": ...}: a failed request changes
    # nothing, and the client still reads why.
    quota = None
    try:
        params = await read_params(request)
        key = params.pop("key", "") or request.headers.get("x-api-key", "")
        quota = await _count(runtime, key)
        if quota is not None and quota.exceeded:
            return answers.error(throttle.API_V2_TOO_MANY), quota, 429
        async with runtime.transaction() as session:
            address = request.client.host if request.client else None
            answer = await actions.run(session, runtime, key, params, address)
    except Refused as refused:
        answer = answers.error(refused.detail)
    except InsufficientFunds:
        answer = answers.error(texts.NOT_ENOUGH_FUNDS)
    except PanelError as error:
        # A rule of another surface with no API v2 text: the client can only fix its request.
        log.warning("api v2 request refused", extra={"fields": {"detail": error.detail}})
        answer = answers.error(texts.INCORRECT_REQUEST)
    except ConnectionLost:
        raise  # run again or answered by panel.plumbing.reconnect
    except Exception:
        # Rolled back like any failure; the trace stays in the log under the request id.
        log.exception("api v2 request failed")
        answer = answers.error(texts.INCORRECT_REQUEST)
    return answer, quota, 200


async def _count(runtime: Runtime, key: str) -> throttle.Quota | None:
    limits = runtime.settings.rate_limits
    if not limits.enabled or not key:
        return None
    return await throttle.take(
        runtime.redis, "key", throttle.key_digest(key), limits.per_key_per_minute
    )


async def read_params(request: Request) -> dict[str, str]:
    """The query string merged with the body; the body wins. Values that are not text (files,
    nested JSON) are dropped like unknown parameters; a NUL character anywhere is refused."""
    params = dict(request.query_params)
    params.update(await _body(request))
    if any("\x00" in value for value in params.values()):
        raise Refused(texts.INCORRECT_REQUEST)  # text PostgreSQL cannot store
    return params


async def _body(request: Request) -> dict[str, str]:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "multipart/form-data":
        try:
            async with request.form() as form:
                return {name: value for name, value in form.items() if isinstance(value, str)}
        except HTTPException:
            raise Refused(texts.INCORRECT_REQUEST) from None
    body = await request.body()
    if not body.strip():
        return {}
    if content_type == "application/json" or content_type.endswith("+json"):
        return _json_fields(body)
    if not content_type and body.lstrip().startswith(b"{"):
        return _json_fields(body)
    # A form; or no or another content type, as scripts that build the body by hand often send.
    return _form_fields(body)


def _form_fields(body: bytes) -> dict[str, str]:
    # Read here rather than by Starlette's form parser, which costs more (bench/README.md).
    try:
        fields = parse_qsl(
            body.decode("utf-8", errors="replace"),
            keep_blank_values=True,
            max_num_fields=MAX_FIELDS,
        )
    except ValueError:  # more fields than any action takes
        raise Refused(texts.INCORRECT_REQUEST) from None
    return dict(fields)


def _json_fields(body: bytes) -> dict[str, str]:
    try:
        document: Any = json.loads(body)
    except ValueError:
        raise Refused(texts.INCORRECT_REQUEST) from None
    if not isinstance(document, dict):
        raise Refused(texts.INCORRECT_REQUEST)
    return {
        str(name): value if isinstance(value, str) else str(value)
        for name, value in document.items()
        if isinstance(value, str | int | float) and not isinstance(value, bool)
    }
