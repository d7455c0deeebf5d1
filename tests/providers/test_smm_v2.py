"""The smm_v2 adapter against every upstream dialect in upstream_dialects.json (a copy of the
shared test vectors), and its rate limit, batching, secrecy and money types.

respx fakes the HTTP boundary with one exact response (or network failure) per vector.
"""

import dataclasses
import json
import logging
import re
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
import respx

from panel.config import HttpSettings
from panel.plumbing.upstream_http import build_client
from panel.providers import (
    AddResult,
    Balance,
    OrderState,
    Outcome,
    RateLimiter,
    RefillState,
    RejectReason,
    SmmV2Adapter,
    UpstreamRefused,
    UpstreamService,
    UpstreamStatus,
    UpstreamUnavailable,
)

VECTORS: dict[str, Any] = json.loads(
    (Path(__file__).parent / "upstream_dialects.json").read_text(encoding="utf-8")
)
API_URL = "https://upstream.example/api/v2"
API_KEY = "k3y-7f3a9c2e1b5d4a60"
NETWORK = {
    "connect_refused": httpx.ConnectError("[Errno 111] Connection refused"),
    "read_timeout_after_send": httpx.ReadTimeout("The read operation timed out"),
}
TESTED_SECTIONS = {"add", "status_one", "status_many", "services", "refill", "balance"}


def _label(section: str, index: int, vector: dict[str, Any]) -> str:
    if "network" in vector:
        shown = vector["network"]
    elif "raw" in vector:
        shown = f"http{vector['http_status']}-{vector['raw'][:24]}"
    else:
        shown = json.dumps(vector["body"])[:60]
    return f"{section}-{index:02d}-" + re.sub(r"[^A-Za-z0-9.]+", "_", shown).strip("_")


def vectors(section: str) -> list[Any]:
    return [
        pytest.param(vector, id=_label(section, index, vector))
        for index, vector in enumerate(VECTORS[section])
    ]


def answer(vector: dict[str, Any]) -> httpx.Response | Exception:
    """The one exact thing the fake upstream does for a vector."""
    if "network" in vector:
        return NETWORK[vector["network"]]
    headers = vector.get("headers", {})
    if "raw" in vector:
        return httpx.Response(vector["http_status"], headers=headers, text=vector["raw"])
    content = json.dumps(vector["body"]).encode()
    headers = {"Content-Type": "application/json", **headers}
    return httpx.Response(vector.get("http_status", 200), headers=headers, content=content)


def sent(route: respx.Route, call: int = -1) -> dict[str, str]:
    form = parse_qs(route.calls[call].request.content.decode(), keep_blank_values=True)
    return {name: values[0] for name, values in form.items()}


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with build_client(HttpSettings()) as client:
        yield client


@pytest.fixture
def adapter(client: httpx.AsyncClient) -> SmmV2Adapter:
    return SmmV2Adapter(client, API_URL, API_KEY)


@pytest.fixture
def upstream() -> Iterator[respx.Route]:
    with respx.mock(assert_all_mocked=True, assert_all_called=False) as router:
        yield router.post(API_URL)


def reply(upstream: respx.Route, vector: dict[str, Any]) -> None:
    response = answer(vector)
    if isinstance(response, Exception):
        upstream.mock(side_effect=response)
    else:
        upstream.mock(return_value=response)


def test_every_section_of_the_vectors_is_tested() -> None:
    assert set(VECTORS) - {"_about"} == TESTED_SECTIONS


# --- every vector -----------------------------------------------------------------------------


@pytest.mark.parametrize("vector", vectors("add"))
async def test_add(adapter: SmmV2Adapter, upstream: respx.Route, vector: dict[str, Any]) -> None:
    reply(upstream, vector)
    result = await adapter.add({"service": "7", "link": "https://example.com/p/1", "quantity": 100})
    expect = vector["expect"]
    assert isinstance(result, AddResult)
    assert (result.outcome, result.upstream_id, result.reason, result.retry_after_s) == (
        expect["outcome"],
        expect.get("upstream_id"),
        expect.get("reason"),
        expect.get("retry_after_s"),
    )
    assert sent(upstream) == {
        "key": API_KEY,
        "action": "add",
        "service": "7",
        "link": "https://example.com/p/1",
        "quantity": "100",
    }


@pytest.mark.parametrize("vector", vectors("status_one"))
async def test_status_of_one_order(
    adapter: SmmV2Adapter, upstream: respx.Route, vector: dict[str, Any]
) -> None:
    reply(upstream, vector)
    statuses = await adapter.status(["23501"])
    assert list(statuses) == ["23501"]
    status = statuses["23501"]
    for name, wanted in vector["expect"].items():
        assert getattr(status, name) == wanted, name
    if "charge" in vector["body"]:
        assert type(status.charge) is Decimal
        assert status.charge == Decimal(str(vector["body"]["charge"]))
    assert sent(upstream) == {"key": API_KEY, "action": "status", "order": "23501"}


@pytest.mark.parametrize("vector", vectors("status_many"))
async def test_status_of_many_orders(
    adapter: SmmV2Adapter, upstream: respx.Route, vector: dict[str, Any]
) -> None:
    reply(upstream, vector)
    statuses = await adapter.status(["1", "10"])
    assert {upstream_id: status.state for upstream_id, status in statuses.items()} == vector[
        "expect"
    ]
    assert sent(upstream) == {"key": API_KEY, "action": "status", "orders": "1,10"}


@pytest.mark.parametrize("vector", vectors("services"))
async def test_services(
    adapter: SmmV2Adapter, upstream: respx.Route, vector: dict[str, Any]
) -> None:
    reply(upstream, vector)
    services = await adapter.services()
    expect = dict(vector["expect"])
    assert len(services) == expect.pop("count")
    service = services[0]
    assert type(service.rate) is Decimal
    if "rate" in expect:
        assert str(service.rate) == expect.pop("rate")
    for name, wanted in expect.items():
        assert getattr(service, name) == wanted, name
    assert service.type == vector["body"][0]["type"].title()  # "default" reads as "Default"
    assert sent(upstream) == {"key": API_KEY, "action": "services"}


@pytest.mark.parametrize("vector", vectors("refill"))
async def test_refill(adapter: SmmV2Adapter, upstream: respx.Route, vector: dict[str, Any]) -> None:
    reply(upstream, vector)
    result = await adapter.refill("23501")
    expect = vector["expect"]
    assert result.outcome == expect["outcome"]
    assert result.upstream_id == expect.get("upstream_id")
    assert sent(upstream) == {"key": API_KEY, "action": "refill", "order": "23501"}


@pytest.mark.parametrize("vector", vectors("balance"))
async def test_balance(
    adapter: SmmV2Adapter, upstream: respx.Route, vector: dict[str, Any]
) -> None:
    reply(upstream, vector)
    balance = await adapter.balance()
    assert type(balance.balance) is Decimal
    assert (str(balance.balance), balance.currency) == (
        vector["expect"]["balance"],
        vector["expect"]["currency"],
    )
    assert sent(upstream) == {"key": API_KEY, "action": "balance"}


# --- add: answers beyond the vectors -----------------------------------------------------------

JSON = {"Content-Type": "application/json"}
MORE_ADD_ANSWERS = [
    pytest.param(httpx.ConnectTimeout("timed out"), Outcome.transient, None, id="connect-timeout"),
    pytest.param(httpx.PoolTimeout("pool full"), Outcome.transient, None, id="pool-timeout"),
    pytest.param(
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
        Outcome.ambiguous,
        None,
        id="remote-protocol-error",
    ),
    pytest.param(httpx.WriteTimeout("timed out"), Outcome.ambiguous, None, id="write-timeout"),
    pytest.param(httpx.ReadError("reset by peer"), Outcome.ambiguous, None, id="read-error"),
    pytest.param(
        httpx.UnsupportedProtocol("Request URL has an unsupported protocol"),
        Outcome.rejected,
        RejectReason.other,
        id="unsupported-protocol",
    ),
    pytest.param(
        httpx.Response(200, headers={"Content-Type": "text/html"}, text='{"order": "9"}'),
        Outcome.accepted,
        None,
        id="json-sent-as-html",
    ),
    pytest.param(
        httpx.Response(200, text='\ufeff {"order": 9}\n'), Outcome.accepted, None, id="bom"
    ),
    pytest.param(
        httpx.Response(200, json={"order": 9, "error": "ignored"}),
        Outcome.accepted,
        None,
        id="id-beats-error",
    ),
    pytest.param(httpx.Response(200, json={"order": 0}), Outcome.ambiguous, None, id="order-0"),
    pytest.param(
        httpx.Response(200, json={"order": "false"}), Outcome.ambiguous, None, id="order-word"
    ),
    pytest.param(
        httpx.Response(200, json={"order": "ab12-x"}), Outcome.accepted, None, id="order-alnum"
    ),
    pytest.param(httpx.Response(200, json={"ok": True}), Outcome.ambiguous, None, id="no-id"),
    pytest.param(httpx.Response(200, text="NaN"), Outcome.ambiguous, None, id="nan"),
    pytest.param(
        httpx.Response(200, json={"error": "neworder.error.max_quantity"}),
        Outcome.rejected,
        RejectReason.quantity,
        id="max-quantity-key",
    ),
    pytest.param(
        httpx.Response(200, json={"status": "error", "message": "Incorrect link"}),
        Outcome.rejected,
        RejectReason.link,
        id="status-error-message",
    ),
    pytest.param(
        httpx.Response(200, json={"error": "Invalid API key"}),
        Outcome.rejected,
        RejectReason.other,
        id="invalid-key",
    ),
    pytest.param(
        httpx.Response(400, json={"error": "Incorrect service ID"}),
        Outcome.rejected,
        RejectReason.service,
        id="http400-json-error",
    ),
    pytest.param(
        httpx.Response(404, text="<h1>Not Found</h1>"),
        Outcome.rejected,
        RejectReason.other,
        id="http404-html",
    ),
    pytest.param(
        httpx.Response(500, json={"error": "Not enough funds on balance"}),
        Outcome.ambiguous,
        None,
        id="http500-json-error",
    ),
    pytest.param(
        httpx.Response(301, headers={"Location": "https://elsewhere.example/api/v2"}),
        Outcome.ambiguous,
        None,
        id="http301",
    ),
    pytest.param(
        httpx.Response(200, json={"error": "Too many requests"}),
        Outcome.transient,
        None,
        id="throttled-in-body",
    ),
    pytest.param(httpx.Response(408), Outcome.transient, None, id="http408"),
    pytest.param(
        httpx.Response(429, headers={"Retry-After": "soon"}), Outcome.transient, None, id="http429"
    ),
]


@pytest.mark.parametrize(("response", "outcome", "reason"), MORE_ADD_ANSWERS)
async def test_add_classifies_more_answers(
    adapter: SmmV2Adapter,
    upstream: respx.Route,
    response: httpx.Response | Exception,
    outcome: Outcome,
    reason: RejectReason | None,
) -> None:
    if isinstance(response, Exception):
        upstream.mock(side_effect=response)
    else:
        upstream.mock(return_value=response)
    result = await adapter.add({"service": "7", "link": "https://example.com/p/1"})
    assert (result.outcome, result.reason) == (outcome, reason)
    assert (result.upstream_id is not None) == (outcome is Outcome.accepted)
    assert result.detail or outcome is Outcome.accepted


async def test_add_never_lets_params_replace_the_key_or_action(
    adapter: SmmV2Adapter, upstream: respx.Route
) -> None:
    upstream.mock(return_value=httpx.Response(200, json={"order": 1}))
    await adapter.add({"service": "7", "key": "other", "action": "balance", "runs": None})
    assert sent(upstream) == {"key": API_KEY, "action": "add", "service": "7"}


# --- safe-to-repeat calls: failures raise one error type ---------------------------------------


@pytest.mark.parametrize(
    "response",
    [
        httpx.ConnectError("refused"),
        httpx.ReadTimeout("timed out"),
        httpx.Response(502, text="<html>Bad Gateway</html>"),
        httpx.Response(200, text=""),
        httpx.Response(429, headers={"Retry-After": "0"}),
        httpx.Response(200, json={"remains": "5"}),
    ],
    ids=["connect", "read-timeout", "http502", "empty", "http429", "no-status"],
)
async def test_status_failures_raise_upstream_unavailable(
    adapter: SmmV2Adapter, upstream: respx.Route, response: httpx.Response | Exception
) -> None:
    if isinstance(response, Exception):
        upstream.mock(side_effect=response)
    else:
        upstream.mock(return_value=response)
    with pytest.raises(UpstreamUnavailable):
        await adapter.status(["1"])


async def test_explicit_errors_on_safe_calls_raise_upstream_refused(
    adapter: SmmV2Adapter, upstream: respx.Route
) -> None:
    upstream.mock(return_value=httpx.Response(200, json={"error": "Invalid API key"}))
    with pytest.raises(UpstreamRefused, match="Invalid API key"):
        await adapter.balance()
    with pytest.raises(UpstreamRefused):
        await adapter.services()
    with pytest.raises(UpstreamRefused):
        await adapter.status(["1"])
    # A top-level error on a batch is about the call, never read as "every id is unknown".
    with pytest.raises(UpstreamRefused):
        await adapter.status(["1", "2"])


async def test_a_nan_amount_is_refused_not_read_as_float(
    adapter: SmmV2Adapter, upstream: respx.Route
) -> None:
    upstream.mock(return_value=httpx.Response(200, text='{"balance": NaN, "currency": "USD"}'))
    with pytest.raises(UpstreamUnavailable):
        await adapter.balance()


async def test_services_skip_rows_without_id_or_rate(
    adapter: SmmV2Adapter, upstream: respx.Route
) -> None:
    rows = [
        {"service": 1, "name": "Followers", "type": "custom_comments", "rate": "0.5"},
        {"service": 2, "name": "No rate"},
        {"name": "No id", "rate": "1"},
    ]
    upstream.mock(return_value=httpx.Response(200, json=rows))
    services = await adapter.services()
    assert [service.external_id for service in services] == ["1"]
    assert services[0].type == "Custom Comments"
    assert (services[0].min_quantity, services[0].max_quantity) == (1, 1)


async def test_cancel_reads_each_order(adapter: SmmV2Adapter, upstream: respx.Route) -> None:
    body = [{"order": 9, "cancel": {"error": "Incorrect order ID"}}, {"order": 2, "cancel": 1}]
    upstream.mock(return_value=httpx.Response(200, json=body))
    results = await adapter.cancel(["9", "2"])
    assert results["2"].outcome is Outcome.accepted
    assert results["9"].outcome is Outcome.rejected
    assert results["9"].detail == "Incorrect order ID"
    assert sent(upstream) == {"key": API_KEY, "action": "cancel", "orders": "9,2"}


async def test_refill_status_of_one_and_many(adapter: SmmV2Adapter, upstream: respx.Route) -> None:
    upstream.mock(
        side_effect=[
            httpx.Response(200, json={"status": "Completed"}),
            httpx.Response(
                200,
                json=[
                    {"refill": 1, "status": "In progress"},
                    {"refill": 3, "status": {"error": "Refill not found"}},
                ],
            ),
        ]
    )
    assert await adapter.refill_status(["7"]) == {"7": RefillState.completed}
    assert sent(upstream) == {"key": API_KEY, "action": "refill_status", "refill": "7"}
    assert await adapter.refill_status(["1", "3"]) == {
        "1": RefillState.in_progress,
        "3": RefillState.unknown_upstream_id,
    }
    assert sent(upstream) == {"key": API_KEY, "action": "refill_status", "refills": "1,3"}


# --- batching ----------------------------------------------------------------------------------


def _status_answer(request: httpx.Request) -> httpx.Response:
    form = parse_qs(request.content.decode())
    if "order" in form:
        return httpx.Response(200, json={"status": "Completed", "remains": "0"})
    ids = form["orders"][0].split(",")
    return httpx.Response(200, json={i: {"status": "In progress", "remains": "1"} for i in ids})


@pytest.mark.parametrize(
    ("count", "calls"),
    [
        (250, [("orders", 100), ("orders", 100), ("orders", 50)]),
        (201, [*[("orders", 100)] * 2, ("order", 1)]),
    ],
    ids=["250", "201"],
)
async def test_status_is_asked_for_at_most_100_orders_per_call(
    adapter: SmmV2Adapter, upstream: respx.Route, count: int, calls: list[tuple[str, int]]
) -> None:
    upstream.mock(side_effect=_status_answer)
    ids = [str(1000 + n) for n in range(count)]
    statuses = await adapter.status(ids + ids[:5])  # repeats are asked once
    assert list(statuses) == ids
    shapes = []
    for index in range(upstream.call_count):
        form = sent(upstream, index)
        name = "order" if "order" in form else "orders"
        shapes.append((name, len(form[name].split(","))))
    assert shapes == calls


async def test_status_of_no_orders_asks_nothing(
    adapter: SmmV2Adapter, upstream: respx.Route
) -> None:
    assert await adapter.status([]) == {}
    assert upstream.call_count == 0


# --- rate limit --------------------------------------------------------------------------------


async def test_after_a_429_the_next_call_waits_for_retry_after(
    adapter: SmmV2Adapter, upstream: respx.Route
) -> None:
    upstream.mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": "1"}, json={"error": "Too many requests"}),
            httpx.Response(200, json={"balance": "1.5", "currency": "USD"}),
        ]
    )
    throttled = await adapter.add({"service": "7"})
    assert (throttled.outcome, throttled.retry_after_s) == (Outcome.transient, 1.0)
    started = time.monotonic()
    assert (await adapter.balance()).balance == Decimal("1.5")
    assert time.monotonic() - started >= 0.95


async def test_a_long_retry_after_is_reported_not_slept_through(
    adapter: SmmV2Adapter, upstream: respx.Route
) -> None:
    upstream.mock(return_value=httpx.Response(429, headers={"Retry-After": "120"}))
    await adapter.add({"service": "7"})
    started = time.monotonic()
    held = await adapter.add({"service": "7"})
    assert time.monotonic() - started < 0.5
    assert held.outcome is Outcome.transient
    assert held.retry_after_s is not None
    assert 100 < held.retry_after_s <= 120
    with pytest.raises(UpstreamUnavailable) as raised:
        await adapter.balance()
    assert raised.value.retry_after_s is not None
    assert upstream.call_count == 1  # nothing more was sent


async def test_retry_after_as_an_http_date(adapter: SmmV2Adapter, upstream: respx.Route) -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=60), usegmt=True)
    upstream.mock(return_value=httpx.Response(429, headers={"Retry-After": when}))
    result = await adapter.add({"service": "7"})
    assert result.outcome is Outcome.transient
    assert result.retry_after_s is not None
    assert 55 < result.retry_after_s <= 60


async def test_calls_are_spaced_to_the_limit(
    client: httpx.AsyncClient, upstream: respx.Route
) -> None:
    upstream.mock(return_value=httpx.Response(200, json={"balance": "1", "currency": "USD"}))
    adapter = SmmV2Adapter(client, API_URL, API_KEY, RateLimiter(per_second=20))
    started = time.monotonic()
    for _ in range(5):
        await adapter.balance()
    assert time.monotonic() - started >= 4 / 20 - 0.01


# --- secrecy -----------------------------------------------------------------------------------


async def test_the_api_key_is_never_shown(
    adapter: SmmV2Adapter, upstream: respx.Route, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    echo = f"<html>bad request: key={API_KEY}&action=add</html>"
    upstream.mock(
        side_effect=[
            httpx.Response(502, text=echo),
            # The key straddles the point where long bodies are cut for the detail.
            httpx.Response(400, text="x" * 190 + API_KEY),
            httpx.Response(200, json={"error": f"Invalid API key {API_KEY}"}),
            httpx.Response(503, text=echo),
            httpx.ConnectError(f"refused for {API_KEY}"),
        ]
    )
    shown: list[str] = [repr(adapter), str(adapter), repr(vars(adapter))]
    for _ in range(2):
        result = await adapter.add({"service": "7"})
        shown += [repr(result), result.detail]
    for call in (adapter.balance, adapter.services, adapter.balance):
        with pytest.raises((UpstreamRefused, UpstreamUnavailable)) as raised:
            await call()
        shown += [str(raised.value), repr(raised.value), raised.value.detail]
    shown += [caplog.text, *(repr(record.__dict__) for record in caplog.records)]
    assert sent(upstream, 0)["key"] == API_KEY  # it is sent, and only sent
    for text in shown:
        assert API_KEY[:8] not in text
    assert "[redacted]" in caplog.text


# --- money is Decimal --------------------------------------------------------------------------


def _floats(value: object) -> list[str]:
    """Names of float fields (retry_after_s is seconds, not money)."""
    return [
        field.name
        for field in dataclasses.fields(value)  # type: ignore[arg-type]
        if isinstance(getattr(value, field.name), float) and field.name != "retry_after_s"
    ]


async def test_money_is_decimal_even_when_sent_as_json_floats(
    adapter: SmmV2Adapter, upstream: respx.Route
) -> None:
    upstream.mock(
        side_effect=[
            httpx.Response(200, text='{"charge": 0.1, "status": "Completed", "remains": 0}'),
            httpx.Response(200, text='[{"service": 1, "name": "X", "rate": 0.3, "min": 1}]'),
            httpx.Response(200, text='{"balance": 100.84292, "currency": "USD"}'),
        ]
    )
    status = (await adapter.status(["1"]))["1"]
    (service,) = await adapter.services()
    balance = await adapter.balance()
    assert isinstance(status, UpstreamStatus)
    assert isinstance(service, UpstreamService)
    assert isinstance(balance, Balance)
    assert (status.charge, service.rate, balance.balance) == (
        Decimal("0.1"),
        Decimal("0.3"),
        Decimal("100.84292"),
    )
    for value in (status, service, balance):
        assert _floats(value) == []
    for money in (status.charge, service.rate, balance.balance):
        assert type(money) is Decimal


async def test_over_delivery_and_unknown_spellings(
    adapter: SmmV2Adapter, upstream: respx.Route
) -> None:
    upstream.mock(
        return_value=httpx.Response(
            200,
            json={
                "1": {"status": "Completed", "remains": -25, "start_count": None},
                "2": {"status": "Awaiting moderation", "remains": "3"},
                "3": {"status": "PARTIAL", "remains": "7.0"},
            },
        )
    )
    statuses = await adapter.status(["1", "2", "3", "4"])
    assert statuses["1"] == UpstreamStatus(OrderState.completed, remains=0, over_delivered=25)
    # An unknown spelling is not terminal: no money moves on a guess.
    assert statuses["2"].state is OrderState.in_progress
    assert (statuses["3"].state, statuses["3"].remains) == (OrderState.partial, 7)
    assert "4" not in statuses  # not in the answer: no news, asked again next time
