"""`/api/v2` of the sandbox: the server side of api-v2.md, answering from `Sandbox` in the
dialect currently chosen, with the faults a service's behaviour asks for."""

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request, Response
from starlette.datastructures import UploadFile

from sandbox.behaviour import Behaviour, Fault
from sandbox.dialects import Writer
from sandbox.state import MAX_IDS, Refused, Sandbox

router = APIRouter()

HANG_POLL_S = 0.05
BAD_GATEWAY = (
    "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1>"
    "</center><hr><center>nginx</center></body></html>"
)
BOT_CHECK = (
    "<!DOCTYPE html><html><head><title>Just a moment...</title></head>"
    "<body>Checking your browser before accessing the site.</body></html>"
)

Params = dict[str, str]


@dataclass(frozen=True)
class Call:
    """One API v2 request on its way through an action."""

    sandbox: Sandbox
    writer: Writer
    params: Params
    logged: dict[str, Any]  # its entry in the request log


Action = Callable[[Call], Awaitable[Response]]


@router.api_route("/api/v2", methods=["GET", "POST"])
@router.api_route("/api/v2/", methods=["GET", "POST"], include_in_schema=False)
async def api_v2(request: Request) -> Response:
    sandbox: Sandbox = request.app.state.sandbox
    params = await read_params(request)
    action = params.get("action", "").strip()
    entry = sandbox.record(action, params)
    writer = sandbox.writer
    if not sandbox.key_accepted(params.get("key") or request.headers.get("X-Api-Key")):
        return json_answer(writer.error("Invalid API key"))
    handler = ACTIONS.get(action)
    if handler is None:
        return json_answer(writer.error("Incorrect request"))
    return await handler(Call(sandbox, writer, params, entry))


async def read_params(request: Request) -> Params:
    """Query string and body merged, the body winning: clients send either or both."""
    params: Params = dict(request.query_params)
    if request.method != "POST":
        return params
    content_type = request.headers.get("content-type", "").lower()
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        params |= {name: value for name, value in form.items() if not isinstance(value, UploadFile)}
        return params
    body = await request.body()
    try:
        payload = json.loads(body) if body.strip() else None
    except ValueError:
        payload = None
    if isinstance(payload, dict):
        params |= {str(name): _text(value) for name, value in payload.items() if value is not None}
    elif payload is None and body.strip() and "json" not in content_type:
        # A form sent without its content type.
        params |= dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    return params


def _text(value: object) -> str:
    if isinstance(value, list):  # JSON clients send comments as a list
        return "\n".join(_text(item) for item in value)
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def json_answer(
    body: object, status_code: int = 200, headers: dict[str, str] | None = None
) -> Response:
    return Response(json.dumps(body), status_code, headers=headers, media_type="application/json")


def _ids(params: Params, one: str, many: str) -> list[str] | None:
    """The ids of a call that takes `one=ID` or `many=1,2,3`, or None when there are none."""
    raw = params.get(many) or params.get(one) or ""
    ids = list(dict.fromkeys(part.strip() for part in raw.split(",") if part.strip()))
    return ids or None


async def pause(seconds: float) -> None:
    if seconds > 0:
        await asyncio.sleep(seconds)


async def _hang(sandbox: Sandbox, seconds: float) -> None:
    """Hold an answer back, but let a reset (or the end of a test session) release it."""
    generation, deadline = sandbox.generation, time.monotonic() + seconds
    while sandbox.generation == generation and time.monotonic() < deadline:
        await asyncio.sleep(min(HANG_POLL_S, max(0.0, deadline - time.monotonic())))


def _fault_answer(fault: Fault, behaviour: Behaviour) -> Response:
    if fault is Fault.rate_limit:
        headers = {"Retry-After": str(behaviour.retry_after_s)}
        return json_answer({"error": "Too many requests"}, 429, headers)
    if fault is Fault.http_502:
        return Response(BAD_GATEWAY, 502, media_type="text/html")
    if fault is Fault.html:
        return Response(BOT_CHECK, 200, media_type="text/html")
    return Response(b"", 200, media_type="application/json")


# --- actions -----------------------------------------------------------------------------------


async def _services(call: Call) -> Response:
    return json_answer(call.writer.services(call.sandbox.services()))


async def _add(call: Call) -> Response:
    writer = call.writer
    return await place_order(
        call.sandbox,
        call.params,
        lambda text: json_answer(writer.error(text)),
        lambda order_id: json_answer(writer.added(order_id)),
        call.logged,
    )


async def place_order(
    sandbox: Sandbox,
    params: Params,
    refuse: Callable[[str], Response],
    made: Callable[[int], Response],
    logged: dict[str, Any],
) -> Response:
    """An `add` with the faults its service's behaviour asks for, answered in any dialect."""
    service = sandbox.service(params.get("service"))
    if service is None:
        return refuse("Incorrect service ID")
    behaviour = sandbox.behaviour(service.id)
    await pause(behaviour.latency_s)
    draws = sandbox.draw()
    fault = behaviour.fault if draws.fault < behaviour.fault_rate else None
    if fault is not None and fault is not Fault.timeout_after_accept:
        return _fault_answer(fault, behaviour)
    try:
        order = sandbox.add(service, params, draws)
    except Refused as refused:
        return refuse(refused.text)
    logged["order"] = order.id
    if fault is Fault.timeout_after_accept:
        await _hang(sandbox, behaviour.hang_s)
    return made(order.id)


async def _status(call: Call) -> Response:
    sandbox, writer, params = call.sandbox, call.writer, call.params
    ids = _bounded_ids(call, "order", "orders", "Incorrect order ID")
    if isinstance(ids, Response):
        return ids
    await pause(sandbox.latency(sandbox.services_of(ids)))
    rows = sandbox.statuses(ids)
    if "orders" in params:
        return json_answer(writer.statuses(rows))
    found = rows[0][1]
    return json_answer(writer.status(found) if found else writer.error("Incorrect order ID"))


def _bounded_ids(call: Call, one: str, many: str, missing: str) -> list[str] | Response:
    """The ids asked about, or the error answer: none readable, or more than 100."""
    ids = _ids(call.params, one, many)
    if ids is None:
        return json_answer(call.writer.error(missing))
    if len(ids) > MAX_IDS:
        return json_answer(call.writer.error("Incorrect request"))
    return ids


async def _refill(call: Call) -> Response:
    sandbox, writer, params = call.sandbox, call.writer, call.params
    ids = _bounded_ids(call, "order", "orders", "Incorrect order ID")
    if isinstance(ids, Response):
        return ids
    await pause(sandbox.latency(sandbox.services_of(ids)))
    made: list[tuple[str, int | str]] = []
    for order_id in ids:
        try:
            made.append((order_id, sandbox.refill(order_id)))
        except Refused as refused:
            made.append((order_id, refused.text))
    if "orders" in params:
        return json_answer(writer.refills(made))
    refill = made[0][1]
    return json_answer(writer.refill(refill) if isinstance(refill, int) else writer.error(refill))


async def _refill_status(call: Call) -> Response:
    writer, params = call.writer, call.params
    ids = _bounded_ids(call, "refill", "refills", "Refill not found")
    if isinstance(ids, Response):
        return ids
    rows = call.sandbox.refill_statuses(ids)
    if "refills" in params:
        return json_answer(
            writer.refill_statuses(
                [(refill_id, found or "Refill not found") for refill_id, found in rows]
            )
        )
    found = rows[0][1]
    return json_answer(writer.refill_status(found) if found else writer.error("Refill not found"))


async def _cancel(call: Call) -> Response:
    sandbox, writer = call.sandbox, call.writer
    ids = _bounded_ids(call, "order", "orders", "Incorrect order ID")
    if isinstance(ids, Response):
        return ids
    await pause(sandbox.latency(sandbox.services_of(ids)))
    return json_answer(writer.canceled(sandbox.cancel(ids)))


async def _balance(call: Call) -> Response:
    return json_answer(call.writer.balance(call.sandbox.balance()))


ACTIONS: dict[str, Action] = {
    "services": _services,
    "status": _status,
    "refill": _refill,
    "refill_status": _refill_status,
    "cancel": _cancel,
    "balance": _balance,
    "add": _add,
}
