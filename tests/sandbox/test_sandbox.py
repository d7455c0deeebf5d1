"""The sandbox provider over real HTTP: driven through Pasok's own smm_v2 adapter (what the order
pipeline will see), and read raw where the exact API v2 shapes matter."""

import asyncio
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from panel import cli, demo
from panel.config import HttpSettings
from panel.money import refund_for
from panel.plumbing.upstream_http import build_client
from panel.providers import (
    OrderState,
    Outcome,
    RefillState,
    RejectReason,
    SmmV2Adapter,
    UpstreamRefused,
)
from sandbox import create_app
from sandbox.dialects import PRESETS, Dialect
from tests.fixtures.app_server import AppServer
from tests.fixtures.sandbox import SandboxHandle

KEY = "sandbox-test-key"
LINK = "https://instagram.com/p/sandbox"
UNKNOWN = "9999999"
ADD = {"action": "add", "service": "1", "link": LINK, "quantity": "100"}


@pytest.fixture(scope="session")
async def upstream_client() -> AsyncIterator[httpx.AsyncClient]:
    """The client the worker would use for upstream calls, shared by the session."""
    async with build_client(HttpSettings(connect_timeout_s=2, read_timeout_s=5)) as client:
        yield client


@pytest.fixture
def adapter(upstream_client: httpx.AsyncClient, sandbox: SandboxHandle) -> SmmV2Adapter:
    return SmmV2Adapter(upstream_client, sandbox.url, KEY)


def raw(sandbox: SandboxHandle, **params: Any) -> Any:
    """One API v2 call as a reseller's script makes it: a form POST, the answer's JSON."""
    response = sandbox.http.post(sandbox.url, data={"key": KEY, **params})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    return response.json()


async def order(
    adapter: SmmV2Adapter, service: str = "1", quantity: int | None = 100, **extra: Any
) -> str:
    result = await adapter.add({"service": service, "link": LINK, "quantity": quantity, **extra})
    assert result.outcome is Outcome.accepted, result
    assert result.upstream_id is not None
    return result.upstream_id


# --- catalogue and orders ----------------------------------------------------------------------


async def test_services_parse_and_match_the_demo_catalogue(adapter: SmmV2Adapter) -> None:
    services = {service.external_id: service for service in await adapter.services()}

    assert set(services) == {"1", "2", "3", "4", "5", "6", "7"}
    for (
        external_id,
        name,
        category,
        rate,
        minimum,
        maximum,
        refill,
        cancel,
    ) in demo.SANDBOX_SERVICES:
        service = services[external_id]
        assert (service.name, service.category, service.type) == (name, category, "Default")
        assert service.rate == Decimal(rate)
        assert (service.min_quantity, service.max_quantity) == (minimum, maximum)
        assert (service.refill, service.cancel, service.dripfeed) == (refill, cancel, False)
    assert services["5"].type == "Custom Comments"
    assert services["6"].type == "Package"
    assert services["7"].dripfeed


async def test_add_is_accepted_and_logged(adapter: SmmV2Adapter, sandbox: SandboxHandle) -> None:
    upstream_id = await order(adapter, quantity=250)

    [logged] = sandbox.requests("add", link=LINK)
    assert (logged["service"], logged["quantity"], logged["order"]) == ("1", 250, int(upstream_id))
    assert "key" not in logged["params"]
    assert sandbox.counts() == {"add": 1}


async def test_status_progresses_with_the_clock(
    adapter: SmmV2Adapter, sandbox: SandboxHandle
) -> None:
    # Service 1 by default: 10 s before it starts, then 10 units a second.
    upstream_id = await order(adapter, quantity=100)

    pending = (await adapter.status([upstream_id]))[upstream_id]
    assert (pending.state, pending.remains, pending.start_count) == (OrderState.in_progress, 100, 0)
    assert sandbox.orders()[0]["status"] == "Pending"

    sandbox.advance(15)
    running = (await adapter.status([upstream_id]))[upstream_id]
    assert (running.state, running.remains) == (OrderState.in_progress, 50)
    assert running.start_count is not None
    assert running.start_count > 0

    sandbox.advance(3600)
    done = (await adapter.status([upstream_id]))[upstream_id]
    assert (done.state, done.remains, done.charge, done.currency) == (
        OrderState.completed,
        0,
        Decimal("0.09"),
        "USD",
    )
    assert done.start_count == running.start_count


async def test_partial_ends_with_remains_and_refunds_them(
    adapter: SmmV2Adapter, sandbox: SandboxHandle
) -> None:
    sandbox.set_behaviour("1", partial_rate=1.0)
    upstream_id = await order(adapter, quantity=1000)
    sandbox.advance(3600)

    status = (await adapter.status([upstream_id]))[upstream_id]
    assert status.state is OrderState.partial
    assert status.remains is not None
    assert 0 < status.remains < 1000
    charge = Decimal("0.9")
    assert status.charge == charge - refund_for(charge, status.remains, 1000)
    assert (await adapter.balance()).balance == Decimal(1000) - status.charge


async def test_cancel_behaviour_cancels_everything(
    adapter: SmmV2Adapter, sandbox: SandboxHandle
) -> None:
    sandbox.set_behaviour("1", cancel_rate=1.0, start_delay_s=60)
    upstream_id = await order(adapter, quantity=400)

    assert (await adapter.status([upstream_id]))[upstream_id].state is OrderState.in_progress
    sandbox.advance(60)
    status = (await adapter.status([upstream_id]))[upstream_id]
    assert (status.state, status.remains, status.charge) == (OrderState.canceled, 400, Decimal(0))
    assert (await adapter.balance()).balance == Decimal(1000)


@pytest.mark.parametrize(
    ("error_text", "reason"),
    [
        (None, RejectReason.provider_funds),
        ("Incorrect service ID", RejectReason.service),
        ("Quantity less than minimal 100", RejectReason.quantity),
    ],
)
async def test_explicit_error_rejects_and_creates_nothing(
    adapter: SmmV2Adapter, sandbox: SandboxHandle, error_text: str | None, reason: RejectReason
) -> None:
    sandbox.set_behaviour("1", error_rate=1.0, **({"error_text": error_text} if error_text else {}))

    result = await adapter.add({"service": "1", "link": LINK, "quantity": 100})

    assert (result.outcome, result.reason, result.upstream_id) == (Outcome.rejected, reason, None)
    assert result.detail == (error_text or "Not enough funds on balance")
    assert len(sandbox.requests("add", link=LINK)) == 1
    assert sandbox.orders() == []


@pytest.mark.parametrize(
    ("params", "reason"),
    [
        ({"service": "77", "link": LINK, "quantity": 100}, RejectReason.service),
        ({"service": "1", "link": LINK, "quantity": 5}, RejectReason.quantity),
        ({"service": "1", "link": LINK, "quantity": 100_001}, RejectReason.quantity),
        ({"service": "1", "link": LINK}, RejectReason.quantity),
        ({"service": "1", "quantity": 100}, RejectReason.link),
        ({"service": "1", "link": "not a link", "quantity": 100}, RejectReason.link),
    ],
)
async def test_invalid_orders_are_rejected(
    adapter: SmmV2Adapter, sandbox: SandboxHandle, params: dict[str, Any], reason: RejectReason
) -> None:
    result = await adapter.add(params)

    assert (result.outcome, result.reason) == (Outcome.rejected, reason)
    assert sandbox.orders() == []


async def test_low_balance_and_busy_link_are_rejected(
    adapter: SmmV2Adapter, sandbox: SandboxHandle
) -> None:
    sandbox.set_behaviour("1", exclusive_link=True)
    await order(adapter, quantity=100)
    busy = await adapter.add({"service": "1", "link": LINK, "quantity": 100})
    assert (busy.outcome, busy.reason) == (Outcome.rejected, RejectReason.link_busy)

    sandbox.advance(3600)  # the first order completed: the link is free again
    await order(adapter, quantity=100)

    sandbox.set_balance("0.05")
    poor = await adapter.add({"service": "1", "link": f"{LINK}/2", "quantity": 100})
    assert (poor.outcome, poor.reason) == (Outcome.rejected, RejectReason.provider_funds)
    assert (await adapter.balance()).balance == Decimal("0.05")


# --- faults ------------------------------------------------------------------------------------


async def test_timeout_after_accept_is_ambiguous_and_the_order_exists(
    sandbox: SandboxHandle,
) -> None:
    sandbox.set_behaviour("1", fault="timeout_after_accept")
    async with build_client(HttpSettings(connect_timeout_s=2, read_timeout_s=0.3)) as client:
        adapter = SmmV2Adapter(client, sandbox.url, KEY)
        result = await adapter.add({"service": "1", "link": LINK, "quantity": 100})

    assert (result.outcome, result.upstream_id) == (Outcome.ambiguous, None)
    # The request reached the provider and made an order: resending it would make a second.
    [logged] = sandbox.requests("add", link=LINK)
    [made] = sandbox.orders()
    assert logged["order"] == made["id"]


@pytest.mark.parametrize("fault", ["http_502", "html", "empty"])
async def test_broken_answers_are_ambiguous(
    adapter: SmmV2Adapter, sandbox: SandboxHandle, fault: str
) -> None:
    sandbox.set_behaviour("1", fault=fault)

    result = await adapter.add({"service": "1", "link": LINK, "quantity": 100})

    assert (result.outcome, result.upstream_id) == (Outcome.ambiguous, None)
    assert len(sandbox.requests("add", link=LINK)) == 1


async def test_rate_limit_is_transient_with_retry_after(
    adapter: SmmV2Adapter, sandbox: SandboxHandle
) -> None:
    sandbox.set_behaviour("1", fault="rate_limit", retry_after_s=3)

    result = await adapter.add({"service": "1", "link": LINK, "quantity": 100})

    assert (result.outcome, result.retry_after_s) == (Outcome.transient, 3)
    assert sandbox.orders() == []
    response = sandbox.http.post(sandbox.url, data={"key": KEY, "action": "add", "service": "1"})
    assert (response.status_code, response.headers["Retry-After"]) == (429, "3")


async def test_fault_rate_applies_to_a_share_of_calls(
    adapter: SmmV2Adapter, sandbox: SandboxHandle
) -> None:
    sandbox.set_behaviour("1", fault="http_502", fault_rate=0.5)

    outcomes = [
        (await adapter.add({"service": "1", "link": f"{LINK}{n}", "quantity": 10})).outcome
        for n in range(20)
    ]

    assert {Outcome.accepted, Outcome.ambiguous} == set(outcomes)


async def test_latency_delays_answers(adapter: SmmV2Adapter, sandbox: SandboxHandle) -> None:
    sandbox.set_behaviour("1", latency_s=0.3)

    started = time.monotonic()
    upstream_id = await order(adapter)
    assert time.monotonic() - started >= 0.3
    started = time.monotonic()
    await adapter.status([upstream_id])
    assert time.monotonic() - started >= 0.3


# --- dialects ----------------------------------------------------------------------------------


async def conclusions(adapter: SmmV2Adapter, sandbox: SandboxHandle) -> dict[str, Any]:
    """What the adapter concludes from one tour of every action, outcomes of every kind."""
    sandbox.set_behaviour("2", partial_rate=1.0)
    sandbox.set_behaviour("3", cancel_rate=1.0)
    sandbox.set_behaviour("4", error_rate=1.0, error_text="Incorrect service ID")
    seen: dict[str, Any] = {"services": await adapter.services()}

    adds = [
        await adapter.add({"service": service, "link": LINK, "quantity": quantity})
        for service, quantity in (("1", 100), ("2", 1000), ("3", 1000), ("4", 100), ("1", 5))
    ]
    seen["adds"] = [(add.outcome, add.upstream_id, add.reason) for add in adds]
    made = [add.upstream_id for add in adds if add.upstream_id]
    seen["pending"] = await adapter.status(made)
    sandbox.advance(3600)
    seen["finished"] = await adapter.status([*made, UNKNOWN])
    seen["one"] = await adapter.status([made[1]])
    seen["unknown"] = await adapter.status([UNKNOWN])

    refills = [await adapter.refill(upstream_id) for upstream_id in (made[0], made[1], UNKNOWN)]
    seen["refills"] = [(refill.outcome, refill.upstream_id, refill.reason) for refill in refills]
    refill_id = refills[0].upstream_id
    assert refill_id is not None
    seen["refill_pending"] = await adapter.refill_status([refill_id, "777"])
    sandbox.advance(3600)
    seen["refill_done"] = await adapter.refill_status([refill_id])

    fresh = await order(adapter, quantity=100)
    cancels = await adapter.cancel([fresh, made[0], made[2], UNKNOWN])
    seen["cancels"] = {upstream_id: found.outcome for upstream_id, found in cancels.items()}
    seen["canceled"] = await adapter.status([fresh])
    seen["balance"] = await adapter.balance()
    return seen


async def test_standard_conclusions(adapter: SmmV2Adapter, sandbox: SandboxHandle) -> None:
    seen = await conclusions(adapter, sandbox)

    assert [outcome for outcome, _, _ in seen["adds"]] == [Outcome.accepted] * 3 + [
        Outcome.rejected
    ] * 2
    assert [reason for _, _, reason in seen["adds"][3:]] == [
        RejectReason.service,
        RejectReason.quantity,
    ]
    assert {found.state for found in seen["pending"].values()} == {OrderState.in_progress}
    first, second, third = (upstream_id for _, upstream_id, _ in seen["adds"][:3])
    finished = seen["finished"]
    assert (finished[first].state, finished[first].remains) == (OrderState.completed, 0)
    assert finished[second].state is OrderState.partial
    assert (finished[third].state, finished[third].remains) == (OrderState.canceled, 1000)
    assert finished[UNKNOWN].state is OrderState.unknown_upstream_id
    assert seen["unknown"][UNKNOWN].state is OrderState.unknown_upstream_id
    assert seen["one"][second] == finished[second]
    assert [outcome for outcome, _, _ in seen["refills"]] == [
        Outcome.accepted,
        Outcome.rejected,
        Outcome.rejected,
    ]
    assert list(seen["refill_pending"].values()) == [
        RefillState.pending,
        RefillState.unknown_upstream_id,
    ]
    assert list(seen["refill_done"].values()) == [RefillState.completed]
    assert list(seen["cancels"].values()) == [Outcome.accepted] + [Outcome.rejected] * 3
    assert [found.state for found in seen["canceled"].values()] == [OrderState.canceled]
    charged = finished[first].charge + finished[second].charge
    assert seen["balance"].balance == Decimal(1000) - charged
    assert seen["balance"].currency == "USD"


@pytest.mark.parametrize("dialect", [name for name in PRESETS if name != "standard"])
async def test_every_dialect_leads_to_the_standard_conclusions(
    adapter: SmmV2Adapter, sandbox: SandboxHandle, dialect: str
) -> None:
    expected = await conclusions(adapter, sandbox)
    sandbox.reset(seed=1)
    sandbox.set_dialect(dialect)

    seen = await conclusions(adapter, sandbox)

    if Dialect.parse(dialect).sparse_services:
        # A panel that leaves the flags out says "no cancel, no drip-feed" by omission.
        assert not any(service.cancel or service.dripfeed for service in seen["services"])
        for found in (seen, expected):
            found["services"] = [
                (service.external_id, service.name, service.type, service.rate)
                for service in found["services"]
            ]
    assert seen == expected


SERVICES = {"action": "services"}  # compared on its first row
PENDING = {"action": "status", "order": "1001"}  # service 1, not started yet
CANCELED = {"action": "status", "order": "1002"}  # service 2, canceled by the provider
MANY = {"action": "status", "orders": f"1001,{UNKNOWN}"}
FOLLOWERS = {"service": 1, "name": "Instagram Followers", "category": "Instagram"}
SHAPES: dict[str, list[tuple[dict[str, str], object]]] = {
    "numbers": [
        (SERVICES, FOLLOWERS | {"type": "Default", "rate": 0.9, "min": 10, "max": 100_000,
                                "refill": True, "cancel": True, "dripfeed": False}),
        (PENDING, {"charge": 0.09, "start_count": 0, "status": "Pending", "remains": 100,
                   "currency": "USD"}),
    ],
    "cancelled": [
        (CANCELED, {"charge": "0", "start_count": "0", "status": "Cancelled", "remains": "100",
                    "currency": "USD"}),
    ],
    "lowercase": [
        (CANCELED, {"charge": "0", "start_count": "0", "status": "cancelled", "remains": "100",
                    "currency": "USD"}),
        (PENDING, {"charge": "0.09", "start_count": "0", "status": "pending", "remains": "100",
                   "currency": "USD"}),
    ],
    "add_list": [(ADD, [{"order": "1003"}])],
    "add_success": [(ADD, {"status": "success", "order": 1003})],
    "status_list": [
        (MANY, [{"order": 1001, "charge": "0.09", "start_count": "0", "status": "Pending",
                 "remains": "100", "currency": "USD"},
                {"order": int(UNKNOWN), "error": "Incorrect order ID"}]),
    ],
    "bare_errors": [
        (MANY, {"1001": {"charge": "0.09", "start_count": "0", "status": "Pending",
                         "remains": "100", "currency": "USD"},
                UNKNOWN: "Incorrect order ID"}),
    ],
    "error_keys": [({**ADD, "quantity": "1"}, {"error": "neworder.error.min_quantity"})],
    "sparse_services": [
        (SERVICES, FOLLOWERS | {"type": "default", "rate": "0.90", "min": "10", "max": "100000",
                                "refill": True}),
    ],
    "loose": [
        ({**MANY, "orders": f"1002,{UNKNOWN}"}, [
            {"order": 1002, "charge": 0.0, "start_count": 0, "status": "cancelled",
             "remains": 100, "currency": "USD"},
            {"order": int(UNKNOWN), "error": "error.incorrect_order_id"}]),
        (ADD, [{"order": 1003}]),
    ],
}  # fmt: skip


@pytest.mark.parametrize("dialect", [name for name in PRESETS if name != "standard"])
def test_dialects_write_what_real_panels_write(sandbox: SandboxHandle, dialect: str) -> None:
    sandbox.set_behaviour("2", cancel_rate=1.0, start_delay_s=0)
    raw(sandbox, **ADD)
    raw(sandbox, **{**ADD, "service": "2"})
    sandbox.advance(1)
    sandbox.set_dialect(dialect)

    for params, expected in SHAPES[dialect]:
        body = raw(sandbox, **params)
        assert (body[0] if params is SERVICES else body) == expected


def test_dialects_combine_and_unknown_ones_are_refused(sandbox: SandboxHandle) -> None:
    sandbox.set_dialect("numbers,error_keys")
    assert raw(sandbox, action="balance") == {"balance": 1000.0, "currency": "USD"}
    assert raw(sandbox, action="add", service="0") == {"error": "error.incorrect_service_id"}

    response = sandbox.http.post(f"{sandbox.base_url}/sandbox/dialect", json={"dialect": "klingon"})
    assert response.status_code == 422


# --- many ids, refill, cancel, balance ---------------------------------------------------------


async def test_status_of_a_hundred_orders_in_one_call(
    adapter: SmmV2Adapter, sandbox: SandboxHandle
) -> None:
    made = [
        await order(adapter, quantity=10, link=f"{LINK}/{n}")
        for n in range(100)  # the link in `extra` overrides the shared one
    ]
    sandbox.advance(3600)

    statuses = await adapter.status([*made, UNKNOWN])

    assert {statuses[upstream_id].state for upstream_id in made} == {OrderState.completed}
    assert statuses[UNKNOWN].state is OrderState.unknown_upstream_id
    asked = [
        row["params"].get("orders") or row["params"]["order"] for row in sandbox.requests("status")
    ]
    assert [len(ids.split(",")) for ids in asked] == [100, 1]
    body = raw(sandbox, action="status", orders=",".join([*made, UNKNOWN]))
    assert body == {"error": "Incorrect request"}  # more than 100 ids
    body = raw(sandbox, action="status", orders=",".join(made[:99] + [UNKNOWN]))
    assert len(body) == 100
    assert body[UNKNOWN] == {"error": "Incorrect order ID"}


async def test_refill_follows_its_own_progress(
    adapter: SmmV2Adapter, sandbox: SandboxHandle
) -> None:
    sandbox.set_behaviour("1", refill_s=100, start_delay_s=10)
    upstream_id = await order(adapter, quantity=100)
    early = await adapter.refill(upstream_id)
    assert (early.outcome, early.detail) == (Outcome.rejected, "Order not eligible for refill")

    sandbox.advance(3600)
    refill = await adapter.refill(upstream_id)
    assert refill.outcome is Outcome.accepted
    assert refill.upstream_id == "1"
    states = []
    for step in (0, 20, 100):
        sandbox.advance(step)
        states.append((await adapter.refill_status(["1"]))["1"])
    assert states == [RefillState.pending, RefillState.in_progress, RefillState.completed]

    likes = await order(adapter, service="2", quantity=100)
    sandbox.advance(3600)
    disabled = await adapter.refill(likes)
    assert (disabled.outcome, disabled.detail) == (
        Outcome.rejected,
        "Refill is disabled for this service",
    )
    assert raw(sandbox, action="refill", orders=f"{upstream_id},{UNKNOWN}") == [
        {"order": int(upstream_id), "refill": 2},
        {"order": int(UNKNOWN), "refill": {"error": "Incorrect order ID"}},
    ]
    assert raw(sandbox, action="refill_status", refills="1,99") == [
        {"refill": 1, "status": "Completed"},
        {"refill": 99, "status": {"error": "Refill not found"}},
    ]


async def test_cancel_stops_delivery_and_refunds_the_rest(
    adapter: SmmV2Adapter, sandbox: SandboxHandle
) -> None:
    before_start = await order(adapter, quantity=100)
    midway = await order(adapter, quantity=100, link=f"{LINK}/2")
    views = await order(adapter, service="3", quantity=100)
    sandbox.advance(15)  # `midway` has 50 delivered

    results = await adapter.cancel([midway, views, UNKNOWN])
    assert {upstream_id: found.outcome for upstream_id, found in results.items()} == {
        midway: Outcome.accepted,
        views: Outcome.rejected,
        UNKNOWN: Outcome.rejected,
    }
    assert results[views].detail == "Cancel is disabled for this service"
    sandbox.advance(3600)
    statuses = await adapter.status([before_start, midway])
    assert statuses[before_start].state is OrderState.completed
    assert (statuses[midway].state, statuses[midway].remains) == (OrderState.partial, 50)
    assert (await adapter.cancel([before_start]))[before_start].outcome is Outcome.rejected

    fresh = await order(adapter, quantity=100, link=f"{LINK}/3")
    assert (await adapter.cancel([fresh]))[fresh].outcome is Outcome.accepted
    assert (await adapter.status([fresh]))[fresh].state is OrderState.canceled


async def test_balance_is_the_start_minus_what_orders_cost(
    adapter: SmmV2Adapter, sandbox: SandboxHandle
) -> None:
    start = await adapter.balance()
    assert (start.balance, start.currency) == (Decimal(1000), "USD")
    await order(adapter, service="4", quantity=1000)  # 2.40 per 1000

    assert (await adapter.balance()).balance == Decimal("997.6")
    assert raw(sandbox, action="balance") == {"balance": "997.6", "currency": "USD"}


# --- service types -----------------------------------------------------------------------------


async def test_order_types_count_their_own_quantity(
    adapter: SmmV2Adapter, sandbox: SandboxHandle
) -> None:
    comments = "\n".join(f"Nice post {n}" for n in range(6)) + "\n\n"
    await order(adapter, service="5", quantity=None, comments=comments)
    too_few = await adapter.add({"service": "5", "link": LINK, "comments": "only one"})
    assert (too_few.outcome, too_few.detail) == (Outcome.rejected, "Quantity less than minimal 5")
    await order(adapter, service="6", quantity=None)
    await order(adapter, service="7", quantity=100, runs=3, interval=10)
    no_dripfeed = await adapter.add(
        {"service": "1", "link": LINK, "quantity": 100, "runs": 3, "interval": 10}
    )
    assert no_dripfeed.outcome is Outcome.rejected

    made = {row["service"]: row for row in sandbox.orders()}
    assert (made["5"]["quantity"], made["5"]["charge"]) == (6, "0.072")
    assert (made["6"]["quantity"], made["6"]["charge"]) == (1, "3")
    assert (made["7"]["quantity"], made["7"]["runs"], made["7"]["charge"]) == (300, 3, "0.33")

    # Drip-feed: each run delivers 100 at 10 a second, ten minutes after the one before.
    sandbox.advance(10 + 60)
    assert (await adapter.status([str(made["7"]["id"])]))[str(made["7"]["id"])].remains == 200
    sandbox.advance(600)
    assert (await adapter.status([str(made["7"]["id"])]))[str(made["7"]["id"])].remains == 100


def test_other_types_need_their_own_parameters(sandbox: SandboxHandle) -> None:
    sandbox.put_service("20", name="Poll votes", type="Poll", rate="5", min=10, max=1000)
    base = {"action": "add", "service": "20", "link": LINK, "quantity": "50"}

    assert raw(sandbox, **base) == {"error": "Incorrect request"}
    assert raw(sandbox, **base, answer_number="2") == {"order": 1001}
    sandbox.put_service("21", name="Mentions", type="Mentions Custom List", rate="8")
    users = "\n".join(f"user{n}" for n in range(12))
    assert raw(sandbox, action="add", service="21", link=LINK, usernames=users) == {"order": 1002}
    assert [row["quantity"] for row in sandbox.orders()] == [50, 12]


# --- the exact standard shapes over plain HTTP -------------------------------------------------


def test_standard_shapes(sandbox: SandboxHandle) -> None:
    assert raw(sandbox, action="services")[0] == {
        "service": 1,
        "name": "Instagram Followers",
        "type": "Default",
        "category": "Instagram",
        "rate": "0.90",
        "min": "10",
        "max": "100000",
        "refill": True,
        "cancel": True,
        "dripfeed": False,
    }
    assert raw(sandbox, action="add", service="1", link=LINK, quantity="1000") == {"order": 1001}
    assert raw(sandbox, action="status", order="1001") == {
        "charge": "0.9",
        "start_count": "0",
        "status": "Pending",
        "remains": "1000",
        "currency": "USD",
    }
    sandbox.advance(60)
    many = raw(sandbox, action="status", orders=f"1001,{UNKNOWN}")
    start_count = many["1001"]["start_count"]
    assert isinstance(start_count, str)
    assert int(start_count) > 0
    assert many == {
        "1001": {
            "charge": "0.9",
            "start_count": start_count,
            "status": "In progress",
            "remains": "500",
            "currency": "USD",
        },
        UNKNOWN: {"error": "Incorrect order ID"},
    }
    assert raw(sandbox, action="cancel", orders=f"{UNKNOWN},1001") == [
        {"order": int(UNKNOWN), "cancel": {"error": "Incorrect order ID"}},
        {"order": 1001, "cancel": 1},
    ]
    assert raw(sandbox, action="refill", order="1001") == {"refill": "1"}
    assert raw(sandbox, action="refill_status", refill="1") == {"status": "Pending"}
    assert raw(sandbox, action="refill_status", refill="5") == {"error": "Refill not found"}
    assert raw(sandbox, action="balance") == {"balance": "999.55", "currency": "USD"}
    assert raw(sandbox, action="status", order=UNKNOWN) == {"error": "Incorrect order ID"}
    assert raw(sandbox, action="frobnicate") == {"error": "Incorrect request"}
    assert raw(sandbox) == {"error": "Incorrect request"}


def test_every_transport_is_understood(sandbox: SandboxHandle) -> None:
    http, url = sandbox.http, sandbox.url
    query = {"key": KEY, "action": "balance"}
    answers = [
        http.get(url, params=query),
        http.post(url, data=query),
        http.post(url, json=query),
        http.post(url, data=query, files={"upload": ("a.txt", b"x")}),  # multipart
        http.post(url, data={"action": "balance"}, headers={"X-Api-Key": KEY}),
        http.post(url, content="key=k&action=balance", headers={"Content-Type": ""}),
        http.post(url, params=query),  # a POST with its form in the query string
    ]
    for answer in answers:
        assert (answer.status_code, answer.json()) == (200, {"balance": "1000", "currency": "USD"})
    # JSON clients send numbers as numbers and comments as a list.
    body = {"key": KEY, "action": "add", "service": 5, "link": LINK, "comments": ["a"] * 5}
    assert sandbox.http.post(sandbox.url, json=body).json() == {"order": 1001}
    assert sandbox.orders()[0]["quantity"] == 5

    for missing in ({"action": "balance"}, {"key": "", "action": "balance"}):
        response = sandbox.http.post(sandbox.url, data=missing)
        assert (response.status_code, response.json()) == (200, {"error": "Invalid API key"})


async def test_a_sandbox_built_with_a_key_accepts_only_that_key(
    upstream_client: httpx.AsyncClient,
) -> None:
    client = upstream_client
    server = AppServer(create_app(api_key="the-right-key"), lifespan="off").start()
    try:
        url = f"{server.base_url}/api/v2"
        assert (await SmmV2Adapter(client, url, "the-right-key").balance()).balance == 1000
        with pytest.raises(UpstreamRefused, match="Invalid API key"):
            await SmmV2Adapter(client, url, "a-wrong-key").balance()
        wrong = await SmmV2Adapter(client, url, "a-wrong-key").add(
            {"service": "1", "link": LINK, "quantity": 100}
        )
        assert (wrong.outcome, wrong.reason) == (Outcome.rejected, RejectReason.other)
    finally:
        await asyncio.to_thread(server.stop)


# --- control API -------------------------------------------------------------------------------


def test_randomness_is_reproducible_from_the_seed(sandbox: SandboxHandle) -> None:
    def tour() -> list[tuple[str, int]]:
        sandbox.set_behaviour("1", partial_rate=0.5)
        for n in range(8):
            raw(sandbox, action="add", service="1", link=f"{LINK}/{n}", quantity="1000")
        sandbox.advance(3600)
        return [(row["status"], row["remains"]) for row in sandbox.orders()]

    first = tour()
    sandbox.reset(seed=1)
    assert tour() == first
    assert {status for status, _ in first} == {"Completed", "Partial"}
    sandbox.reset(seed=2)
    assert tour() != first


def test_behaviour_changes_only_what_it_is_told(sandbox: SandboxHandle) -> None:
    changed = sandbox.set_behaviour("2", speed=1.5, fault="empty")
    assert (changed["speed"], changed["fault"], changed["start_delay_s"]) == (1.5, "empty", 10.0)
    assert sandbox.set_behaviour("2", partial_rate=0.25)["fault"] == "empty"

    control = f"{sandbox.base_url}/sandbox/services"
    for body in ({"warp": 9}, {"partial_rate": 2}, {"fault": "meltdown"}, {"speed": -1}):
        assert sandbox.http.post(f"{control}/2/behaviour", json=body).status_code == 422, body
    assert sandbox.http.post(f"{control}/99/behaviour", json={"speed": 1}).status_code == 404

    sandbox.reset()
    assert sandbox.http.get(f"{control}/2/behaviour").json()["fault"] is None


def test_clock_can_run_or_freeze(sandbox: SandboxHandle) -> None:
    clock = f"{sandbox.base_url}/sandbox/clock"
    frozen = sandbox.http.get(clock).json()
    assert frozen == {"now_s": 0.0, "frozen": True}
    assert sandbox.advance(90) == 90.0
    running = sandbox.http.post(clock, json={"frozen": False}).json()
    time.sleep(0.05)
    assert sandbox.http.get(clock).json()["now_s"] > running["now_s"] >= 90
    assert sandbox.http.post(clock, json={"advance_s": -5}).status_code == 422


# --- the command -------------------------------------------------------------------------------


def test_pasok_sandbox_serves(sandbox_http: httpx.Client) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "panel.cli", "sandbox", "--port", str(port)]
    process = subprocess.Popen(
        [*command, "--dialect", "numbers", "--key", "k"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            assert process.poll() is None, "pasok sandbox exited"
            try:
                answer = sandbox_http.post(
                    f"http://127.0.0.1:{port}/api/v2", data={"key": "k", "action": "balance"}
                )
                break
            except httpx.ConnectError:
                assert time.monotonic() < deadline, "pasok sandbox did not start"
                time.sleep(0.05)
        assert answer.json() == {"balance": 1000.0, "currency": "USD"}
    finally:
        process.terminate()
        process.wait(10)


def test_cli_sandbox_options() -> None:
    parser = cli._parser()
    args = parser.parse_args(["sandbox", "--port", "9101", "--seed", "7", "--dialect", "loose"])
    assert (args.command, args.host, args.port, args.seed, args.dialect, args.key) == (
        cli.sandbox_command,
        "127.0.0.1",
        9101,
        7,
        "loose",
        None,
    )
    assert parser.parse_args(["sandbox"]).port == 8001
    with pytest.raises(SystemExit):
        parser.parse_args(["sandbox", "--dialect", "klingon"])
