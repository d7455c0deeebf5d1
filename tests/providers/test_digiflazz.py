"""The Digiflazz adapter against the sandbox prepaid provider over real HTTP: every answer a
purchase can get (and what a check with the same ref_id then says), the price list and the
deposit as Decimal, and webhooks verified on their raw bytes before anything is read."""

import socket
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
import respx

from panel.config import HttpSettings
from panel.plumbing.upstream_http import build_client
from panel.providers import RateLimiter, UpstreamRefused, UpstreamUnavailable
from panel.providers.adapter import Outcome
from panel.providers.digiflazz import DigiflazzAdapter
from panel.providers.prepaid import (
    CallbackRefused,
    PrepaidReason,
    PrepaidResult,
    PrepaidState,
)
from tests.sandbox.prepaid.servers import (  # noqa: F401
    API_KEY,
    USERNAME,
    WEBHOOK_SECRET,
    PrepaidHandle,
    prepaid_fixture,
    prepaid_servers_fixture,
)

CUSTOMER = "081234567890"
accepted, rejected, ambiguous = Outcome.accepted, Outcome.rejected, Outcome.ambiguous
success, pending, failed = PrepaidState.success, PrepaidState.pending, PrepaidState.failed


@pytest.fixture(scope="module")
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with build_client(HttpSettings(connect_timeout_s=1.0, read_timeout_s=5.0)) as built:
        yield built


def _adapter(client: httpx.AsyncClient, prepaid: PrepaidHandle, **changes: Any) -> DigiflazzAdapter:
    given: dict[str, Any] = {"webhook_secret": WEBHOOK_SECRET, "base_url": prepaid.base_url}
    return DigiflazzAdapter(
        client, changes.pop("username", USERNAME), changes.pop("key", API_KEY), **given | changes
    )


def _seen(result: PrepaidResult) -> tuple[Outcome, PrepaidState | None, PrepaidReason | None]:
    return result.outcome, result.state, result.reason


# (name, what the sandbox is told, sku, the topup's answer, the check's answer after a settle)
VARIANTS = [
    ("success", {}, "tsel10", (accepted, success, None), (accepted, success, None)),
    (
        "pending_then_success",
        {"kind": "pending_success"},
        "tsel10",
        (accepted, pending, None),
        (accepted, success, None),
    ),
    (
        "pending_then_failure",
        {"kind": "pending_failure", "rc": "55"},
        "tsel10",
        (accepted, pending, None),
        (rejected, failed, PrepaidReason.product),
    ),
    (
        "failure_wrong_number",
        {"kind": "failure", "rc": "54"},
        "tsel10",
        (rejected, failed, PrepaidReason.customer),
        (rejected, failed, PrepaidReason.customer),
    ),
    ("unknown_sku", {}, "nope1", (rejected, failed, PrepaidReason.product), None),
    ("inactive_sku", {}, "smart10", (rejected, failed, PrepaidReason.product), None),
    (
        "http_500_after_the_purchase",
        {"kind": "http_500"},
        "tsel10",
        (ambiguous, None, None),
        (accepted, success, None),
    ),
    (
        "http_500_before_the_purchase",
        {"kind": "http_500", "created": False},
        "tsel10",
        (ambiguous, None, None),
        (ambiguous, None, None),
    ),
    ("lost_answer", {"kind": "lost"}, "tsel10", (ambiguous, None, None), (accepted, success, None)),
    (
        "lost_answer_while_pending",
        {"kind": "lost", "then": "pending"},
        "tsel10",
        (ambiguous, None, None),
        (accepted, success, None),
    ),
]


@pytest.mark.parametrize(
    ("behaviour", "sku", "first", "after"),
    [pytest.param(*row[1:], id=row[0]) for row in VARIANTS],
)
async def test_purchase_answers(
    client: httpx.AsyncClient,
    prepaid: PrepaidHandle,
    behaviour: dict[str, Any],
    sku: str,
    first: tuple[Any, ...],
    after: tuple[Any, ...] | None,
) -> None:
    adapter = _adapter(client, prepaid)
    start = await adapter.balance()
    if behaviour:
        prepaid.behave(customer_no=CUSTOMER, **behaviour)
    result = await adapter.topup(sku, CUSTOMER, "REF-1")
    assert _seen(result) == first, result
    assert API_KEY not in result.detail
    if result.outcome is accepted:
        assert result.price == Decimal("10350")
        assert isinstance(result.price, Decimal)
    if result.state is success:
        assert result.serial
    if after is None:
        assert prepaid.purchases() == []
        return
    if any(row["status"] == "Pending" for row in prepaid.purchases()):
        prepaid.settle("REF-1", send=False)
    checked = await adapter.check(sku, CUSTOMER, "REF-1")
    assert _seen(checked) == after, checked
    # However many times it was asked, a ref_id is at most one purchase, charged once.
    made = prepaid.purchases()
    assert len(made) <= 1
    charged = Decimal("10350") if after[1] is success else Decimal(0)
    assert await adapter.balance() == start - charged


async def test_refusals_name_their_reason_and_keep_secrets(
    client: httpx.AsyncClient, prepaid: PrepaidHandle
) -> None:
    wrong_key = _adapter(client, prepaid, key="dev-not-the-key")
    refused = await wrong_key.topup("tsel10", CUSTOMER, "R-1")
    assert _seen(refused) == (rejected, failed, PrepaidReason.credentials)
    assert refused.code == "41"
    with pytest.raises(UpstreamRefused, match="rc 41"):
        await wrong_key.balance()
    with pytest.raises(UpstreamRefused):
        await _adapter(client, prepaid, username="someone").products()

    adapter = _adapter(client, prepaid)
    prepaid.set_deposit(5_000)
    poor = await adapter.topup("tsel10", CUSTOMER, "R-2")
    assert _seen(poor) == (rejected, failed, PrepaidReason.provider_funds)
    prepaid.set_deposit(100_000)
    assert _seen(await adapter.topup("tsel10", CUSTOMER, "R-3"))[0] is accepted
    # The same ref_id for another number: it names a purchase, so it is never a refusal.
    clash = await adapter.topup("tsel10", "089900000000", "R-3")
    assert (clash.outcome, clash.code) == (ambiguous, "49")
    assert "dev-sandbox-key" not in repr(adapter)
    assert prepaid.requests()["transaction"] == 4


async def test_products_and_balance_are_decimal(
    client: httpx.AsyncClient, prepaid: PrepaidHandle
) -> None:
    adapter = _adapter(client, prepaid)
    products = await adapter.products()
    by_sku = {product.sku: product for product in products}
    assert len(products) >= 30
    assert {product.category for product in products} == {
        "Pulsa",
        "Data",
        "Games",
        "E-Money",
        "PLN",
    }
    assert all(isinstance(product.price, Decimal) for product in products)
    ml = by_sku["ml86"]
    assert (ml.name, ml.brand, ml.price, ml.active) == (
        "Mobile Legends 86 Diamond",
        "MOBILE LEGENDS",
        Decimal("19850"),
        True,
    )
    assert by_sku["smart10"].active is False
    balance = await adapter.balance()
    assert balance == Decimal("5000000")
    assert isinstance(balance, Decimal)
    token = await adapter.topup("pln20", "532100000001", "PLN-1")
    assert token.state is success
    assert token.serial is not None
    assert token.serial.count("-") == 4
    assert await adapter.balance() == Decimal("5000000") - Decimal("20300")


async def test_nothing_sent_is_transient(client: httpx.AsyncClient) -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    adapter = DigiflazzAdapter(client, USERNAME, API_KEY, base_url=f"http://127.0.0.1:{port}/v1")
    result = await adapter.topup("tsel10", CUSTOMER, "T-1")
    assert (result.outcome, result.state) == (Outcome.transient, None)
    with pytest.raises(UpstreamUnavailable):
        await adapter.products()


async def test_callbacks_are_verified_before_they_are_read(
    client: httpx.AsyncClient, prepaid: PrepaidHandle
) -> None:
    adapter = _adapter(client, prepaid)
    prepaid.behave(customer_no=CUSTOMER, kind="pending_success")
    assert (await adapter.topup("xl10", CUSTOMER, "CB-1")).state is pending
    prepaid.settle("CB-1", duplicates=2)
    prepaid.send_callback("CB-1", signature="wrong")
    prepaid.send_callback("CB-1", tamper=True)
    good, twice, wrong, tampered = prepaid.receiver.got()

    read = adapter.read_callback(good.headers, good.raw)
    assert (read.ref_id, read.event) == ("CB-1", "update")
    assert _seen(read.result) == (accepted, success, None)
    assert read.result.serial
    assert read.result.price == Decimal("10800")
    # The same callback twice reads the same: the pipeline's ref_id makes it count once.
    assert adapter.read_callback(twice.headers, twice.raw) == read
    for forged in (wrong, tampered):
        with pytest.raises(CallbackRefused, match="X-Hub-Signature"):
            adapter.read_callback(forged.headers, forged.raw)
    unsigned = {name: value for name, value in good.headers.items() if name != "x-hub-signature"}
    with pytest.raises(CallbackRefused):
        adapter.read_callback(unsigned, good.raw)
    with pytest.raises(CallbackRefused, match="no webhook secret"):
        _adapter(client, prepaid, webhook_secret=None).read_callback(good.headers, good.raw)


async def test_odd_answers_at_the_http_boundary(client: httpx.AsyncClient) -> None:
    """What the sandbox does not say: fractional prices, echoed keys, 429s, limit codes."""
    base = "https://prepaid.example/v1"
    limiter = RateLimiter(max_wait_s=0.5)
    adapter = DigiflazzAdapter(client, USERNAME, API_KEY, base_url=base, limiter=limiter)
    rows = [
        {"buyer_sku_code": "maxis5", "product_name": "Maxis 5", "price": 5.12},
        {"product_name": "no sku", "price": 1},
    ]
    with respx.mock(assert_all_called=True) as upstream:
        upstream.post(f"{base}/price-list").mock(
            side_effect=[
                httpx.Response(200, json={"data": rows}),
                httpx.Response(400, json={"data": {"rc": "83", "message": "Limitasi pricelist"}}),
            ]
        )
        upstream.post(f"{base}/transaction").mock(
            side_effect=[
                httpx.Response(500, text=f"<pre>sign failed for key {API_KEY}</pre>"),
                httpx.Response(429, headers={"Retry-After": "7"}, text="slow down"),
            ]
        )
        catalogue = DigiflazzAdapter(client, USERNAME, API_KEY, base_url=base)
        (product,) = await catalogue.products()
        assert product.price == Decimal("5.12")
        assert product.active is True
        with pytest.raises(UpstreamUnavailable, match="rc 83") as limited:
            await catalogue.products()
        assert limited.value.retry_after_s == 1.0

        lost = await adapter.topup("maxis5", "0117", "X-1")
        assert lost.outcome is ambiguous
        assert "[redacted]" in lost.detail
        assert API_KEY not in lost.detail
        throttled = await adapter.topup("maxis5", "0117", "X-2")
        assert (throttled.outcome, throttled.retry_after_s) == (Outcome.transient, 7.0)
        # The limiter now holds calls back longer than a job should wait: not sent at all.
        held = await adapter.topup("maxis5", "0117", "X-3")
        assert held.outcome is Outcome.transient
        assert "rate limit" in held.detail
        assert upstream.calls.call_count == 4
