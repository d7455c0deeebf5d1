"""Render every error of /v1 and /admin/v1 as problem JSON (RFC 9457)."""

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException
from starlette.routing import Match

from panel.errors import PanelError

MEDIA_TYPE = "application/problem+json"
UNIQUE_VIOLATION = "23505"

log = logging.getLogger("panel.problems")


class Problem(BaseModel):
    """An error (RFC 9457). `detail` says what to fix; invalid input also lists `errors`."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str
    errors: list[dict[str, Any]] | None = None


_MEANING = {
    400: "The request cannot be read",
    401: "No valid key or token",
    402: "Not enough funds on balance",
    403: "Not allowed",
    404: "Not found, or not yours",
    409: "Conflicts with the current state",
    422: "Invalid input",
    429: "Too many requests: wait `Retry-After` seconds",
    502: "The upstream provider failed",
}


def documented(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The error answers of a router, for its OpenAPI document: problem JSON, each."""
    schema = {"$ref": "#/components/schemas/Problem"}
    return {
        status: {
            "model": Problem,
            "description": _MEANING[status],
            "content": {MEDIA_TYPE: {"schema": schema}},
        }
        for status in statuses
    }


def problem(
    status: int, title: str, detail: str, type_: str = "about:blank", **extra: Any
) -> JSONResponse:
    body = {"type": type_, "title": title, "status": status, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE)


async def _panel_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, PanelError)
    return problem(exc.status_code, exc.title, exc.detail, exc.type, **exc.extra)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"loc": list(error["loc"]), "msg": error["msg"], "type": error["type"]}
        for error in exc.errors()
    ]
    detail = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in errors)
    return problem(422, "Invalid input", detail, errors=errors)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    response = problem(exc.status_code, str(exc.detail), str(exc.detail))
    if exc.headers:
        response.headers.update(exc.headers)
    if exc.status_code == 405:
        response.headers["allow"] = _allowed(request)
    return response


_METHODS = ("DELETE", "GET", "HEAD", "PATCH", "POST", "PUT")


def _allowed(request: Request) -> str:
    """Every method the path answers. Starlette's 405 names those of the first route that
    matched the path alone, so `/accounts` said `POST` though it answers GET too."""
    routes = request.app.router.routes
    return ", ".join(
        method
        for method in _METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] is Match.FULL for route in routes
        )
    )


async def _database_error(request: Request, exc: Exception) -> JSONResponse:
    """A value the database itself refused (SQLSTATE class 22, "data exception": text it
    cannot store, a number out of range) is the client's to fix: the transaction was rolled
    back, nothing changed. Anything else is a fault of the panel's, answered as such."""
    assert isinstance(exc, DBAPIError)
    sqlstate = str(getattr(exc.orig, "sqlstate", "") or "")
    if sqlstate == UNIQUE_VIOLATION:
        # The services ask before they write a unique value; this is the request that lost
        # a race with another writing the same one. Rolled back, so trying again is safe.
        constraint = getattr(getattr(exc.orig, "__cause__", None), "constraint_name", None)
        log.warning("unique violation answered 409", extra={"fields": {"constraint": constraint}})
        return problem(409, "Conflict", "another request wrote the same unique value first")
    if not sqlstate.startswith("22"):
        raise exc
    return problem(422, "Invalid input", "a value was refused by the database as it stands")


def install(app: FastAPI) -> None:
    app.add_exception_handler(DBAPIError, _database_error)
    app.add_exception_handler(PanelError, _panel_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
