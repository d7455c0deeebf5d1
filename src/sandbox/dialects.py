"""How the sandbox writes its answers: `standard` is api-v2.md exactly; the other dialects are
the variations real upstream panels send (api-v2.md "Tolerance", upstream-dialects.json), so a
client can be tested against each. Every answer body is shaped here and nowhere else."""

import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from panel import money
from sandbox.catalogue import SandboxService
from sandbox.orders import Progress, RefillStatus, Status


@dataclass(frozen=True)
class Dialect:
    name: str = "standard"
    numbers: bool = False  # money and counts as JSON numbers, not strings
    statuses: Literal["standard", "cancelled", "lowercase"] = "standard"
    add: Literal["object", "list", "success"] = "object"
    status_many: Literal["keyed", "list", "bare_errors"] = "keyed"
    error_keys: bool = False  # untranslated message keys instead of English texts
    sparse_services: bool = False  # no cancel/dripfeed flags, lower-case type, `desc`

    @classmethod
    def parse(cls, names: str) -> "Dialect":
        """One dialect by name, or several joined by commas ("numbers,error_keys")."""
        chosen = [name.strip() for name in names.split(",") if name.strip()] or ["standard"]
        unknown = [name for name in chosen if name not in PRESETS]
        if unknown:
            raise ValueError(f"unknown dialect {', '.join(unknown)}; known: {', '.join(PRESETS)}")
        changes: dict[str, Any] = {}
        for name in chosen:
            changes |= PRESETS[name]
        return cls(name=",".join(chosen), **changes)


PRESETS: dict[str, dict[str, Any]] = {
    "standard": {},
    "numbers": {"numbers": True},
    "cancelled": {"statuses": "cancelled"},  # "Cancelled" for "Canceled"
    "lowercase": {"statuses": "lowercase"},  # "in_progress", "cancelled", ...
    "add_list": {"add": "list"},  # [{"order": "1242"}]
    "add_success": {"add": "success"},  # {"status": "success", "order": 77}
    "status_list": {"status_many": "list"},  # multi-status as a list of rows with "order"
    "bare_errors": {"status_many": "bare_errors"},  # {"10": "Incorrect order ID"}
    "error_keys": {"error_keys": True},  # neworder.error.not_enough_funds
    "sparse_services": {"sparse_services": True},
    # Everything at once that can be combined: the sloppiest panel there is.
    "loose": {
        "numbers": True,
        "statuses": "lowercase",
        "add": "list",
        "status_many": "list",
        "error_keys": True,
        "sparse_services": True,
    },
}

# Untranslated message keys, as some panels leak them instead of the English texts.
_ERROR_KEYS = {
    "Incorrect request": "error.incorrect_request",
    "Invalid API key": "error.incorrect_key",
    "Incorrect service ID": "error.incorrect_service_id",
    "Incorrect link": "neworder.error.link",
    "Not enough funds on balance": "neworder.error.not_enough_funds",
    "Incorrect order ID": "error.incorrect_order_id",
    "Refill is disabled for this service": "refill.error.service_disabled",
    "Order not eligible for refill": "refill.error.not_eligible",
    "Refill not found": "error.refill_not_found",
    "Cancel is disabled for this service": "cancel.error.service_disabled",
    "You have active order with this link. Please wait until order being completed.": (
        "neworder.error.link_duplicate"
    ),
}
_ERROR_KEY_PREFIXES = {
    "Quantity less than minimal": "neworder.error.min_quantity",
    "Quantity more than maximum": "neworder.error.max_quantity",
}

_LOWER_STATUSES = {
    Status.pending: "pending",
    Status.in_progress: "in_progress",
    Status.completed: "completed",
    Status.partial: "partial",
    Status.canceled: "cancelled",
    RefillStatus.rejected: "rejected",
}


class Writer:
    """Answer bodies in one dialect, in one currency."""

    def __init__(self, dialect: Dialect, currency: str) -> None:
        self.dialect = dialect
        self.currency = currency

    # --- values --------------------------------------------------------------------------------

    def _money(self, amount: Decimal) -> str | float:
        return float(amount) if self.dialect.numbers else money.text(amount)

    def _count(self, value: int) -> str | int:
        return value if self.dialect.numbers else str(value)

    def _status(self, status: Status | RefillStatus) -> str:
        if self.dialect.statuses == "lowercase":
            return _LOWER_STATUSES.get(status, status.value.lower())
        if self.dialect.statuses == "cancelled" and status is Status.canceled:
            return "Cancelled"
        return status.value

    def _text(self, error: str) -> str:
        if not self.dialect.error_keys:
            return error
        if error in _ERROR_KEYS:
            return _ERROR_KEYS[error]
        for prefix, key in _ERROR_KEY_PREFIXES.items():
            if error.startswith(prefix):
                return key
        return "error." + re.sub(r"[^a-z0-9]+", "_", error.lower()).strip("_")

    # --- answers -------------------------------------------------------------------------------

    def error(self, text: str) -> dict[str, Any]:
        return {"error": self._text(text)}

    def services(self, services: Sequence[SandboxService]) -> list[dict[str, Any]]:
        return [self._service(service) for service in services]

    def _service(self, service: SandboxService) -> dict[str, Any]:
        row: dict[str, Any] = {
            "service": int(service.id) if service.id.isdigit() else service.id,
            "name": service.name,
            "type": service.type,
            "category": service.category,
            "rate": float(service.rate) if self.dialect.numbers else str(service.rate),
            "min": self._count(service.min),
            "max": self._count(service.max),
            "refill": service.refill,
            "cancel": service.cancel,
            "dripfeed": service.dripfeed,
        }
        if self.dialect.sparse_services:
            del row["cancel"], row["dripfeed"]
            row["type"] = service.type.lower()
            if service.description:
                row["desc"] = service.description
        elif service.description:
            row["description"] = service.description
        return row

    def added(self, order_id: int) -> object:
        if self.dialect.add == "list":
            return [{"order": self._count(order_id)}]
        if self.dialect.add == "success":
            return {"status": "success", "order": order_id}
        return {"order": order_id}

    def status(self, progress: Progress) -> dict[str, Any]:
        return {
            "charge": self._money(progress.charge),
            "start_count": self._count(progress.start_count),
            "status": self._status(progress.status),
            "remains": self._count(progress.remains),
            "currency": self.currency,
        }

    def statuses(self, rows: Sequence[tuple[str, Progress | None]]) -> object:
        """`None` for an id the sandbox does not know."""
        unknown = "Incorrect order ID"
        if self.dialect.status_many == "list":
            return [
                {"order": self._id(order_id)}
                | (self.status(found) if found else self.error(unknown))
                for order_id, found in rows
            ]
        bare = self.dialect.status_many == "bare_errors"
        return {
            order_id: self.status(found)
            if found
            else (self._text(unknown) if bare else self.error(unknown))
            for order_id, found in rows
        }

    def refill(self, refill_id: int) -> dict[str, Any]:
        shown = self._count(refill_id)
        if self.dialect.add == "success":
            return {"success": "Your order will be refill asap", "refill": shown}
        return {"refill": shown}

    def refills(self, rows: Sequence[tuple[str, int | str]]) -> list[dict[str, Any]]:
        """(order id, refill id or error text) for each order asked about."""
        return [
            {"order": self._id(order_id), "refill": made}
            if isinstance(made, int)
            else {"order": self._id(order_id), "refill": self.error(made)}
            for order_id, made in rows
        ]

    def refill_status(self, status: RefillStatus) -> dict[str, Any]:
        return {"status": self._status(status)}

    def refill_statuses(
        self, rows: Sequence[tuple[str, RefillStatus | str]]
    ) -> list[dict[str, Any]]:
        """(refill id, status or error text) for each refill asked about."""
        return [
            {"refill": self._id(refill_id), "status": self._status(found)}
            if isinstance(found, RefillStatus)
            else {"refill": self._id(refill_id), "status": self.error(found)}
            for refill_id, found in rows
        ]

    def canceled(self, rows: Sequence[tuple[str, str | None]]) -> list[dict[str, Any]]:
        """(order id, None when canceled or the error text) for each order asked about."""
        return [
            {"order": self._id(order_id), "cancel": 1 if error is None else self.error(error)}
            for order_id, error in rows
        ]

    def balance(self, amount: Decimal) -> dict[str, Any]:
        body: dict[str, Any] = {"balance": self._money(amount), "currency": self.currency}
        return {"status": "success", **body} if self.dialect.add == "success" else body

    @staticmethod
    def _id(raw: str) -> int | str:
        # Ids the client sent come back as the integers they are, or as sent when they are not.
        return int(raw) if raw.isdigit() and len(raw) < 19 else raw


def dialect_names() -> list[str]:
    return list(PRESETS)


def describe(dialect: Dialect) -> dict[str, Any]:
    return dataclasses.asdict(dialect)
