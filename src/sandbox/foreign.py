"""The sandbox speaking the dialects of the shipped dialect documents, under
`/dialect/<name>/...`, from the same `Sandbox` state and behaviours as `/api/v2`: an order
placed here progresses, fails and shows faults exactly as one placed in API v2 does."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request, Response

from panel import money
from sandbox.api import json_answer, pause, place_order, read_params
from sandbox.catalogue import SandboxService
from sandbox.orders import Progress, RefillStatus, Status
from sandbox.state import LINK_BUSY, Refused, Sandbox

router = APIRouter()

# The API v2 texts the state raises, as these panels word them.
_TEXTS = {
    "Invalid API key": "API Key salah",
    "Incorrect request": "Permintaan tidak valid",
    "Incorrect service ID": "Layanan tidak tersedia",
    "Incorrect link": "Target tidak valid",
    "Not enough funds on balance": "Saldo tidak mencukupi",
    "Incorrect order ID": "Pesanan tidak ditemukan",
    "Refill not found": "Refill tidak ditemukan",
    "Refill is disabled for this service": "Layanan ini tidak mendukung refill",
    "Order not eligible for refill": "Pesanan belum dapat di-refill",
    "Cancel is disabled for this service": "Layanan ini tidak mendukung pembatalan",
    "Order not eligible for cancel": "Pesanan tidak dapat dibatalkan",
    LINK_BUSY: "Masih ada pesanan dengan target ini yang sedang berjalan",
}
_PREFIXES = {
    "Quantity less than minimal": "Jumlah pesanan kurang dari minimal",
    "Quantity more than maximum": "Jumlah pesanan melebihi maksimal",
}


@dataclass(frozen=True)
class Speech:
    """How one dialect's panel names its calls, fields and statuses."""

    paths: Mapping[str, str]  # path -> API v2 action
    fields: Mapping[str, str]  # their request field -> API v2 parameter
    statuses: Mapping[str, str]  # API v2 status -> their word
    secret: bool  # every call needs a `secret_key`
    many: bool  # `id` may list many orders
    notes: str  # the name of a service's description


SPEECHES = {
    "medanpedia": Speech(
        paths={"/services": "services", "/order": "add", "/status": "status",
               "/refill": "refill", "/refill_status": "refill_status", "/profile": "balance"},
        fields={"target": "link", "custom_comments": "comments", "id_order": "order",
                "id_refill": "refill", "id": "order"},
        statuses={Status.pending: "Pending", Status.in_progress: "Processing",
                  Status.completed: "Success", Status.partial: "Partial",
                  Status.canceled: "Error", RefillStatus.pending: "Pending",
                  RefillStatus.in_progress: "Processing", RefillStatus.completed: "Success",
                  RefillStatus.rejected: "Error"},
        secret=False,
        many=False,
        notes="description",
    ),
    "irvankede": Speech(
        paths={"/api/services": "services", "/api/order": "add", "/api/status": "status",
               "/api/cancel": "cancel", "/api/refill": "refill",
               "/api/refill/status": "refill_status", "/api/profile": "balance"},
        fields={"target": "link", "id": "order"},
        statuses={Status.pending: "Menunggu", Status.in_progress: "Proses",
                  Status.completed: "Sukses", Status.partial: "Sebagian",
                  Status.canceled: "Dibatalkan", RefillStatus.pending: "Menunggu",
                  RefillStatus.in_progress: "Proses", RefillStatus.completed: "Sukses",
                  RefillStatus.rejected: "Ditolak"},
        secret=True,
        many=True,
        notes="note",
    ),
}  # fmt: skip


def _text(error: str) -> str:
    if error in _TEXTS:
        return _TEXTS[error]
    for prefix, text in _PREFIXES.items():
        if error.startswith(prefix):
            return text + error.removeprefix(prefix)
    return error


def _ok(data: object) -> Response:
    return json_answer({"status": True, "data": data})


def _no(error: str) -> Response:
    return json_answer({"status": False, "data": {"msg": _text(error)}})


@router.api_route("/dialect/{name}/{path:path}", methods=["POST"])
async def foreign(request: Request, name: str, path: str) -> Response:
    sandbox: Sandbox = request.app.state.sandbox
    speech = SPEECHES.get(name)
    action = speech.paths.get("/" + path.strip("/")) if speech else None
    raw = await read_params(request)
    if speech is None or action is None:
        return json_answer({"status": False, "data": {"msg": "Halaman tidak ditemukan"}}, 404)
    ours = {speech.fields.get(field, field): value for field, value in raw.items()}
    if action == "refill_status" and "order" in ours:
        ours["refill"] = ours.pop("order")
    logged = sandbox.record(
        action, {k: v for k, v in ours.items() if k not in ("api_key", "secret_key")}
    )
    if not raw.get("api_id") or not (raw.get("secret_key") or not speech.secret):
        return _no("Invalid API key")
    if not sandbox.key_accepted(raw.get("api_key")):
        return _no("Invalid API key")
    if action == "add":
        return await place_order(sandbox, ours, _no, lambda made: _ok({"id": made}), logged)
    return await _answer(sandbox, speech, action, ours)


async def _answer(
    sandbox: Sandbox, speech: Speech, action: str, params: dict[str, str]
) -> Response:
    if action == "services":
        return _ok([_service(speech, service) for service in sandbox.services()])
    if action == "balance":
        return _ok({"username": "sandbox", "balance": money.text(sandbox.balance())})
    ids = [part.strip() for part in params.get("order", params.get("refill", "")).split(",")]
    ids = [one for one in ids if one]
    if not ids:
        return _no("Incorrect request")
    await pause(sandbox.latency(sandbox.services_of(ids)))
    if action == "status":
        rows = sandbox.statuses(ids)
        if len(ids) > 1 and speech.many:
            return _ok([_status(speech, one, found) for one, found in rows if found])
        found = rows[0][1]
        return _ok(_status(speech, ids[0], found)) if found else _no("Incorrect order ID")
    if action == "cancel":
        error = sandbox.cancel(ids[:1])[0][1]
        return _ok({"id": ids[0]}) if error is None else _no(error)
    if action == "refill":
        try:
            made = sandbox.refill(ids[0])
        except Refused as refused:
            return _no(refused.text)
        return _ok({"id": made, "id_refill": made})
    found_refill = sandbox.refill_statuses(ids[:1])[0][1]
    if found_refill is None:
        return _no("Refill not found")
    return _ok({"id": ids[0], "status": speech.statuses[found_refill]})


def _service(speech: Speech, service: SandboxService) -> dict[str, Any]:
    return {
        "id": int(service.id) if service.id.isdigit() else service.id,
        "name": service.name,
        "category": service.category,
        "price": str(service.rate),
        "min": service.min,
        "max": service.max,
        "refill": service.refill,
        "cancel": service.cancel,
        speech.notes: service.description,
    }


def _status(speech: Speech, order_id: str, found: Progress) -> dict[str, Any]:
    return {
        "id": order_id,
        "status": speech.statuses[found.status],
        "start_count": found.start_count,
        "remains": found.remains,
        "price": money.text(found.charge),
    }
