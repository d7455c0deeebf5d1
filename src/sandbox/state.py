"""The sandbox provider's memory: catalogue, behaviours, orders, refills, balance, the request
log and the seeded randomness. One process, no database; a lock guards it because uvicorn
serves requests concurrently. Nothing here awaits, so the lock is never held across a request.
"""

import hmac
import random
import re
import threading
from collections import Counter, deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from panel import money
from sandbox.behaviour import Behaviour
from sandbox.catalogue import (
    COUNTED_FROM,
    PACKAGE_TYPES,
    REQUIRED_PARAMS,
    SandboxService,
)
from sandbox.clock import Clock
from sandbox.dialects import Dialect, Writer
from sandbox.orders import (
    Fate,
    Order,
    Progress,
    Refill,
    RefillStatus,
    Status,
    progress,
    refill_status,
)

MAX_IDS = 100  # per status, refill, refill_status or cancel call (api-v2.md)
MAX_RUNS = 1000
REQUEST_LOG_SIZE = 10_000  # the newest requests kept; the counts cover all of them
FIRST_ORDER_ID = 1001
LINK_BUSY = "You have active order with this link. Please wait until order being completed."
# Links are never fetched; a URL or a handle is fine, anything with blanks in it is not.
_LINK = re.compile(r"\S{1,2000}")
_INTEGER = re.compile(r"-?\d{1,12}")


class Refused(Exception):
    """An explicit API v2 error: the call changed nothing."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


@dataclass(frozen=True)
class Draws:
    """Every random number one `add` may need, drawn together so that changing one
    probability does not shift the draws of the orders after it."""

    error: float
    fault: float
    cancel: float
    partial: float
    fraction: float
    start_count: int


@dataclass
class Setup:
    """What `reset` goes back to."""

    seed: int
    dialect: Dialect
    currency: str
    balance: Decimal
    api_key: str | None
    services: tuple[SandboxService, ...]
    frozen: bool = False
    behaviour: Behaviour = Behaviour()  # of every service until one is set


@dataclass
class State:
    clock: Clock
    rng: random.Random
    dialect: Dialect
    currency: str  # what its rates, charges and balance are in
    balance: Decimal  # before any order: what is left is this minus what the orders cost now
    services: dict[str, SandboxService]
    behaviours: dict[str, Behaviour] = field(default_factory=dict)
    orders: dict[int, Order] = field(default_factory=dict)
    refills: dict[int, Refill] = field(default_factory=dict)
    requests: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=REQUEST_LOG_SIZE))
    counts: Counter[str] = field(default_factory=Counter)
    next_order_id: int = FIRST_ORDER_ID
    next_refill_id: int = 1
    # Every order's charge when accepted: refunds only lower what orders cost, so while this
    # fits the balance the exact (and slow: every order's progress) sum need not be taken.
    charged: Decimal = Decimal(0)


class Sandbox:
    """A fake upstream panel. Every public method takes the lock; none of them awaits."""

    def __init__(self, setup: Setup) -> None:
        self.setup = setup
        self.generation = 0  # bumped by reset: requests held back by a fault stop waiting
        self._lock = threading.Lock()
        self._state = self._fresh()

    def _fresh(self) -> State:
        setup = self.setup
        return State(
            clock=Clock(frozen=setup.frozen),
            rng=random.Random(setup.seed),
            dialect=setup.dialect,
            currency=setup.currency,
            balance=setup.balance,
            services={service.id: service for service in setup.services},
        )

    # --- control ---------------------------------------------------------------------------------

    def reset(self, seed: int | None = None, frozen: bool | None = None) -> None:
        with self._lock:
            if seed is not None:
                self.setup.seed = seed
            if frozen is not None:
                self.setup.frozen = frozen
            self._state = self._fresh()
            self.generation += 1

    def now(self) -> float:
        with self._lock:
            return self._state.clock.now()

    def move_clock(self, advance_s: float = 0.0, frozen: bool | None = None) -> dict[str, Any]:
        with self._lock:
            clock = self._state.clock
            if frozen is not None:
                clock.freeze(frozen)
            clock.advance(advance_s)
            return {"now_s": clock.now(), "frozen": clock.frozen}

    @property
    def writer(self) -> Writer:
        with self._lock:
            return Writer(self._state.dialect, self._state.currency)

    def set_dialect(self, dialect: Dialect) -> None:
        with self._lock:
            self._state.dialect = dialect

    def set_currency(self, currency: str) -> None:
        """Answer in `currency` from now on (the numbers stay as they are), until a reset."""
        with self._lock:
            self._state.currency = currency

    def set_balance(self, balance: Decimal) -> None:
        """Set what the balance is now, whatever the orders so far were charged."""
        with self._lock:
            state = self._state
            state.balance = balance + self._spent(state)

    def put_service(self, service: SandboxService) -> None:
        with self._lock:
            self._state.services[service.id] = service

    def remove_service(self, service_id: str) -> bool:
        """Stop selling a service, as an upstream does; its orders go on."""
        with self._lock:
            return self._state.services.pop(service_id, None) is not None

    def behaviour(self, service_id: str) -> Behaviour:
        with self._lock:
            return self._behaviour(service_id)

    def set_behaviour(self, service_id: str, changes: Mapping[str, Any]) -> Behaviour:
        """Raises KeyError for an unknown service, ValueError for a bad change."""
        with self._lock:
            if service_id not in self._state.services:
                raise KeyError(service_id)
            changed = self._behaviour(service_id).changed(changes)
            self._state.behaviours[service_id] = changed
            return changed

    def catalogue(self) -> list[dict[str, Any]]:
        with self._lock:
            return [
                {**_service_view(service), "behaviour": self._behaviour(service.id).shown()}
                for service in self._state.services.values()
            ]

    def request_log(
        self, action: str | None = None, link: str | None = None, service: str | None = None
    ) -> dict[str, Any]:
        with self._lock:
            rows = [
                dict(row)
                for row in self._state.requests
                if (action is None or row["action"] == action)
                and (link is None or row["link"] == link)
                and (service is None or row["service"] == service)
            ]
            return {"requests": rows, "counts": dict(self._state.counts)}

    def order_views(self, order_ids: Iterable[int] | None = None) -> list[dict[str, Any]]:
        with self._lock:
            state = self._state
            now = state.clock.now()
            chosen = (
                state.orders.values()
                if order_ids is None
                else (state.orders[order_id] for order_id in order_ids if order_id in state.orders)
            )
            return [_order_view(order, progress(order, now)) for order in chosen]

    def summary(self) -> dict[str, Any]:
        with self._lock:
            state = self._state
            return {
                "seed": self.setup.seed,
                "dialect": state.dialect.name,
                "currency": state.currency,
                "now_s": state.clock.now(),
                "frozen": state.clock.frozen,
                "balance": money.text(state.balance - self._spent(state)),
                "orders": len(state.orders),
                "refills": len(state.refills),
                "counts": dict(state.counts),
            }

    # --- API v2 ----------------------------------------------------------------------------------

    def record(self, action: str, params: Mapping[str, str]) -> dict[str, Any]:
        """Log a request that reached the sandbox; the caller fills in `order` if it made one."""
        quantity = params.get("quantity")
        entry: dict[str, Any] = {
            "action": action,
            "service": params.get("service"),
            "link": params.get("link"),
            "quantity": int(quantity) if quantity and _INTEGER.fullmatch(quantity) else quantity,
            "order": None,
            # Everything but the key: the log is there to be read.
            "params": {name: value for name, value in params.items() if name != "key"},
            "received_at": datetime.now(UTC).isoformat(),
        }
        with self._lock:
            state = self._state
            entry["at_s"] = state.clock.now()
            entry["seq"] = state.counts.total() + 1
            state.requests.append(entry)
            state.counts[action] += 1
        return entry

    def key_accepted(self, key: str | None) -> bool:
        if not key:
            return False
        return self.setup.api_key is None or hmac.compare_digest(key, self.setup.api_key)

    def service(self, service_id: str | None) -> SandboxService | None:
        with self._lock:
            return self._state.services.get((service_id or "").strip())

    def services(self) -> list[SandboxService]:
        with self._lock:
            return list(self._state.services.values())

    def draw(self) -> Draws:
        with self._lock:
            rng = self._state.rng
            return Draws(
                error=rng.random(),
                fault=rng.random(),
                cancel=rng.random(),
                partial=rng.random(),
                fraction=rng.uniform(0.1, 0.9),
                start_count=rng.randint(0, 5000),
            )

    def add(self, service: SandboxService, params: Mapping[str, str], draws: Draws) -> Order:
        """Validate and record an order; raises Refused with the API v2 error text."""
        quantity, runs, interval_s = _order_size(service, params)
        link = params.get("link") or params.get("username") or ""
        total = quantity * runs
        if service.type in PACKAGE_TYPES:
            charge = money.round_half_up(service.rate)
        else:
            charge = money.charge_for(service.rate, total)
        with self._lock:
            state = self._state
            behaviour = self._behaviour(service.id)
            now = state.clock.now()
            if draws.error < behaviour.error_rate:
                raise Refused(behaviour.error_text)
            if behaviour.exclusive_link and any(
                order.service_id == service.id
                and order.link == link
                and not progress(order, now).finished
                for order in state.orders.values()
            ):
                raise Refused(LINK_BUSY)
            if (
                state.balance - state.charged < charge
                and state.balance - self._spent(state) < charge
            ):
                raise Refused("Not enough funds on balance")
            fate, cap = Fate.complete, total
            if draws.cancel < behaviour.cancel_rate:
                fate = Fate.cancel
            elif draws.partial < behaviour.partial_rate:
                # At least one unit delivered and one left: otherwise it is not a partial.
                fate, cap = Fate.partial, min(total - 1, max(1, int(total * draws.fraction)))
                if total < 2:
                    fate, cap = Fate.cancel, total
            order = Order(
                id=state.next_order_id,
                service_id=service.id,
                link=link,
                quantity=total,
                runs=runs,
                interval_s=interval_s,
                charge=charge,
                created_at_s=now,
                start_count=draws.start_count,
                fate=fate,
                deliver_cap=cap,
                speed=behaviour.speed,
                start_delay_s=behaviour.start_delay_s,
            )
            state.orders[order.id] = order
            state.charged += charge
            state.next_order_id += 1
            return order

    def statuses(self, order_ids: Sequence[str]) -> list[tuple[str, Progress | None]]:
        with self._lock:
            state = self._state
            now = state.clock.now()
            return [
                (raw, progress(order, now) if (order := self._order(raw)) else None)
                for raw in order_ids
            ]

    def refill(self, raw_order_id: str) -> int:
        """Start a refill of an order; raises Refused with the API v2 error text."""
        with self._lock:
            state = self._state
            order = self._order(raw_order_id)
            if order is None:
                raise Refused("Incorrect order ID")
            service = state.services.get(order.service_id)
            if service is None or not service.refill:
                raise Refused("Refill is disabled for this service")
            now = state.clock.now()
            if progress(order, now).status not in (Status.completed, Status.partial):
                raise Refused("Order not eligible for refill")
            behaviour = self._behaviour(order.service_id)
            refill = Refill(
                id=state.next_refill_id,
                order_id=order.id,
                created_at_s=now,
                pending_s=behaviour.start_delay_s,
                duration_s=behaviour.refill_s,
                rejected=state.rng.random() < behaviour.refill_reject_rate,
            )
            state.refills[refill.id] = refill
            state.next_refill_id += 1
            return refill.id

    def refill_statuses(self, refill_ids: Sequence[str]) -> list[tuple[str, RefillStatus | None]]:
        with self._lock:
            state = self._state
            now = state.clock.now()
            found: list[tuple[str, RefillStatus | None]] = []
            for raw in refill_ids:
                refill = state.refills.get(int(raw)) if _INTEGER.fullmatch(raw) else None
                found.append((raw, refill_status(refill, now) if refill else None))
            return found

    def cancel(self, order_ids: Sequence[str]) -> list[tuple[str, str | None]]:
        """(id, None when canceled, or the error text) for each id."""
        results: list[tuple[str, str | None]] = []
        with self._lock:
            state = self._state
            now = state.clock.now()
            for raw in order_ids:
                order = self._order(raw)
                service = state.services.get(order.service_id) if order else None
                if order is None:
                    results.append((raw, "Incorrect order ID"))
                elif service is None or not service.cancel:
                    results.append((raw, "Cancel is disabled for this service"))
                elif progress(order, now).finished:
                    results.append((raw, "Order not eligible for cancel"))
                else:
                    order.canceled_at_s = now
                    results.append((raw, None))
        return results

    def balance(self) -> Decimal:
        with self._lock:
            state = self._state
            return state.balance - self._spent(state)

    def latency(self, service_ids: Iterable[str]) -> float:
        with self._lock:
            return max((self._behaviour(sid).latency_s for sid in service_ids), default=0.0)

    def services_of(self, order_ids: Iterable[str]) -> set[str]:
        with self._lock:
            return {order.service_id for raw in order_ids if (order := self._order(raw))}

    # --- under the lock ----------------------------------------------------------------------

    def _behaviour(self, service_id: str) -> Behaviour:
        return self._state.behaviours.get(service_id) or self.setup.behaviour

    def _order(self, raw: str) -> Order | None:
        return self._state.orders.get(int(raw)) if _INTEGER.fullmatch(raw) else None

    @staticmethod
    def _spent(state: State) -> Decimal:
        # Charges after refunds, as they stand now: a partial or a cancel pays back by itself.
        now = state.clock.now()
        return sum((progress(order, now).charge for order in state.orders.values()), Decimal(0))


def _order_size(service: SandboxService, params: Mapping[str, str]) -> tuple[int, int, float]:
    """(quantity per run, runs, seconds between runs) of an `add`, or Refused."""
    required = REQUIRED_PARAMS.get(service.type, ("link", "quantity"))
    if "link" in required and not _LINK.fullmatch(params.get("link", "").strip()):
        raise Refused("Incorrect link")
    if any(not params.get(name, "").strip() for name in required if name != "quantity"):
        raise Refused("Incorrect request")
    counted = COUNTED_FROM.get(service.type)
    if counted is not None:
        quantity = sum(1 for line in params[counted].splitlines() if line.strip())
    elif service.type in PACKAGE_TYPES:
        quantity = 1
    elif service.type == "Subscriptions":
        quantity = _integer(params.get("max")) or 0
    else:
        quantity = _integer(params.get("quantity")) or 0
    if service.type not in PACKAGE_TYPES:
        if quantity < service.min:
            raise Refused(f"Quantity less than minimal {service.min}")
        if quantity > service.max:
            raise Refused(f"Quantity more than maximum {service.max}")
    runs, interval = _integer(params.get("runs")), _integer(params.get("interval"))
    if runs is None and interval is None:
        return quantity, 1, 0.0
    if not service.dripfeed:
        raise Refused("Drip-feed is disabled for this service")
    if runs is None or not 1 <= runs <= MAX_RUNS or interval is None or interval < 0:
        raise Refused("Incorrect request")
    return quantity, runs, interval * 60.0  # `interval` is in minutes


def _integer(raw: str | None) -> int | None:
    text = (raw or "").strip()
    return int(text) if _INTEGER.fullmatch(text) else None


def _service_view(service: SandboxService) -> dict[str, Any]:
    return {
        "id": service.id,
        "name": service.name,
        "type": service.type,
        "category": service.category,
        "rate": str(service.rate),
        "min": service.min,
        "max": service.max,
        "refill": service.refill,
        "cancel": service.cancel,
        "dripfeed": service.dripfeed,
        "description": service.description,
    }


def _order_view(order: Order, now: Progress) -> dict[str, Any]:
    return {
        "id": order.id,
        "service": order.service_id,
        "link": order.link,
        "quantity": order.quantity,
        "runs": order.runs,
        "charge": money.text(order.charge),
        "fate": order.fate.value,
        "created_at_s": order.created_at_s,
        "status": now.status.value,
        "delivered": now.delivered,
        "remains": now.remains,
        "charged": money.text(now.charge),
    }
