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

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from panel import throttle
from panel.api_v2 import actions, shapes
from panel.deps import RuntimeDep
from panel.errors import InsufficientFunds, PanelError
from panel.orders import texts
from panel.orders.texts import Refused
from panel.runtime import Runtime

log = logging.getLogger("panel.api_v2")

# Not in the OpenAPI document: that describes /v1; this surface is described by the standard.
router = APIRouter(tags=["api v2"], include_in_schema=False)

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


# Both spellings: a POST redirected from one to the other is not followed by most clients.
@router.api_route("/api/v2", methods=["GET", "POST"])
@router.api_route("/api/v2/", methods=["GET", "POST"])
async def api_v2(request: Request, runtime: RuntimeDep) -> JSONResponse:
    # The transaction is opened here rather than by the session dependency so that a refusal
    # can roll it back and still be answered as 200 {"error": ...}: a failed request changes
    # nothing, and the client still reads why.
    quota = None
    try:
        params = await read_params(request)
        key = params.pop("key", "") or request.headers.get("x-api-key", "")
        quota = await _count(runtime, key)
        if quota is not None and quota.exceeded:
            return _answer(shapes.error(throttle.API_V2_TOO_MANY), quota, 429)
        async with runtime.transaction() as session:
            answer = await actions.run(session, runtime, key, params)
    except Refused as refused:
        answer = shapes.error(refused.detail)
    except InsufficientFunds:
        answer = shapes.error(texts.NOT_ENOUGH_FUNDS)
    except PanelError as error:
        # A rule of another surface with no API v2 text: the client can only fix its request.
        log.warning("api v2 request refused", extra={"fields": {"detail": error.detail}})
        answer = shapes.error(texts.INCORRECT_REQUEST)
    except Exception:
        # Rolled back like any failure; the trace stays in the log under the request id.
        log.exception("api v2 request failed")
        answer = shapes.error(texts.INCORRECT_REQUEST)
    return _answer(answer, quota)


async def _count(runtime: Runtime, key: str) -> throttle.Quota | None:
    limits = runtime.settings.rate_limits
    if not limits.enabled or not key:
        return None
    return await throttle.take(
        runtime.redis, "key", throttle.key_digest(key), limits.per_key_per_minute
    )


def _answer(body: Any, quota: throttle.Quota | None, status: int = 200) -> JSONResponse:
    response = JSONResponse(body, status_code=status)
    for name, value in quota.headers() if quota else []:
        response.headers[name.decode()] = value.decode()
    return response


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
    if content_type in FORM_TYPES:
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
    # No or another content type: scripts that build the body by hand often leave it unset.
    return dict(parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True))


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
