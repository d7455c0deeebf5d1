"""Deposits in `/admin/v1`: the panel's gateways and methods, every deposit, transfers by
hand confirmed or rejected, and the review list. Bad input, or a caller who is not the
operator, is answered 4xx in problem JSON and writes nothing."""

from decimal import Decimal
from typing import Any

from httpx import Response

from tests.payments.test_deposit_api import (
    API_KEY,
    MERCHANT,
    PRIVATE_KEY,
    Payments,
    payments,
    problem,
)

__all__ = ["payments"]  # the fixture, shared with the /v1 tests

D = Decimal


def _ok(response: Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


async def _transfer(p: Payments, who: Any = None, amount: int = 50_000) -> dict[str, Any]:
    body = {"method_id": p.transfer if who is None else p.own_transfer, "amount": amount}
    made: dict[str, Any] = _ok(await p.v1(who or p.reseller, "POST", "/deposits", json=body), 201)
    return made


async def test_the_operator_sets_up_tripay_imports_its_channels_and_disables_it(
    payments: Payments,
) -> None:
    p = payments
    made = _ok(
        await p.admin(
            "POST",
            "/payment-gateways",
            json={
                "kind": "tripay",
                "name": "Tripay kedua",
                "merchant_code": MERCHANT,
                "api_key": API_KEY,
                "private_key": PRIVATE_KEY,
            },
        ),
        201,
    )
    assert made["api_key_hint"] == API_KEY[-4:]
    assert made["report_url"] == f"http://pasok.test/payments/tripay/{made['id']}/callback"
    imported = _ok(
        await p.admin(
            "POST", f"/payment-gateways/{made['id']}/import", json={"fee_paid_by": "receiver"}
        )
    )
    assert [m["code"] for m in imported] == ["QRIS", "BRIVA", "BCAVA", "MANDIRIVA", "ALFAMART"]
    assert {m["fee_paid_by"] for m in imported} == {"receiver"}
    listed = _ok(await p.admin("GET", f"/payment-gateways/{made['id']}/methods"))
    assert listed == imported
    everything = await p.admin("GET", "/payment-gateways")
    assert [g["id"] for g in _ok(everything)] == [p.panel_tripay, p.panel_transfer, made["id"]]
    assert API_KEY not in everything.text
    assert PRIVATE_KEY not in everything.text
    offered = [m["id"] for m in _ok(await p.v1(p.reseller, "GET", "/payment-methods"))]
    assert set(offered) >= {m["id"] for m in imported}

    changed = _ok(
        await p.admin(
            "PATCH",
            f"/payment-gateways/{made['id']}",
            json={"enabled": False, "name": "Tripay lama", "api_key": "another-key-9911"},
        )
    )
    assert (changed["enabled"], changed["name"], changed["api_key_hint"]) == (
        False,
        "Tripay lama",
        "9911",
    )
    assert changed["private_key_set"]  # a key not sent is kept
    offered = [m["id"] for m in _ok(await p.v1(p.reseller, "GET", "/payment-methods"))]
    assert offered == [p.qris, p.transfer]


async def test_the_operator_puts_a_method_on_the_panels_transfer_gateway(
    payments: Payments,
) -> None:
    p = payments
    method = {
        "code": "DANA",
        "name": "DANA 0812",
        "kind": "ewallet",
        "min_amount": "10000",
        "max_amount": "2000000",
        "fee_flat": "0",
        "instructions": "DANA 081234567890 a.n. Pasok",
    }
    put = _ok(await p.admin("POST", f"/payment-gateways/{p.panel_transfer}/methods", json=method))
    assert (put["kind"], put["gateway_id"], put["enabled"]) == ("ewallet", p.panel_transfer, True)
    listed = _ok(await p.admin("GET", f"/payment-gateways/{p.panel_transfer}/methods"))
    assert [m["id"] for m in listed] == [p.transfer, put["id"]]
    # A reseller's gateway is not the panel's.
    before = await p.counts()
    problem(await p.admin("GET", f"/payment-gateways/{p.own_transfer_gateway}/methods"), 404)
    own = f"/payment-gateways/{p.own_transfer_gateway}"
    problem(await p.admin("POST", f"{own}/methods", json=method), 404)
    problem(await p.admin("PATCH", own, json={"enabled": False}), 404)
    assert await p.counts() == before


async def test_the_operator_searches_every_deposit(payments: Payments) -> None:
    p = payments
    mine = await _transfer(p)
    agencys = await _transfer(p, p.agency, 20_000)
    qris = _ok(
        await p.v1(p.reseller, "POST", "/deposits", json={"method_id": p.qris, "amount": 30_000}),
        201,
    )
    page = _ok(await p.admin("GET", "/deposits"))
    assert [d["id"] for d in page["items"]] == [qris["id"], agencys["id"], mine["id"]]
    row = page["items"][1]
    assert (row["account_name"], row["account_kind"], row["receiver_id"]) == (
        "Agency A1",
        "agency",
        p.reseller.id,
    )
    assert page["items"][2]["receiver_id"] is None
    found = _ok(await p.admin("GET", "/deposits", params={"reference": qris["reference"]}))
    assert [d["id"] for d in found["items"]] == [qris["id"]]
    found = _ok(await p.admin("GET", "/deposits", params={"account_id": p.agency.id}))
    assert [d["id"] for d in found["items"]] == [agencys["id"]]
    found = _ok(await p.admin("GET", "/deposits", params={"status": "paid"}))
    assert found["items"] == []
    first = _ok(await p.admin("GET", "/deposits", params={"limit": 2}))
    assert len(first["items"]) == 2
    rest = _ok(await p.admin("GET", "/deposits", params={"before": first["next_before"]}))
    assert [d["id"] for d in rest["items"]] == [mine["id"]]
    one = _ok(await p.admin("GET", f"/deposits/{qris['id']}"))
    assert (one["id"], one["method_name"], one["qr_string"]) == (
        qris["id"],
        "QRIS",
        qris["qr_string"],
    )
    problem(await p.admin("GET", "/deposits/999999"), 404)
    for params in ({"status": "lost"}, {"account_id": 0}, {"limit": 0}, {"reference": ""}):
        problem(await p.admin("GET", "/deposits", params=params), 422)


async def test_the_operator_confirms_a_transfer_once_and_never_a_gateways_deposit(
    payments: Payments,
) -> None:
    p = payments
    deposit = await _transfer(p)
    qris = _ok(
        await p.v1(p.reseller, "POST", "/deposits", json={"method_id": p.qris, "amount": 30_000}),
        201,
    )
    before = await p.counts()
    for path in (f"/deposits/{qris['id']}/confirm", "/deposits/999999/confirm"):
        problem(await p.admin("POST", path), 409 if "999999" not in path else 404)
    problem(await p.admin("POST", f"/deposits/{qris['id']}/reject", json={"reason": "no"}), 409)
    assert await p.counts() == before

    confirmed = _ok(await p.admin("POST", f"/deposits/{deposit['id']}/confirm"))
    assert (confirmed["status"], confirmed["decided_by_id"]) == ("paid", p.operator.account.id)
    assert (await p.counts())["journal"] == before["journal"] + 1
    assert await p.balance(p.reseller) == D(100_000) + D(deposit["amount"])
    after = await p.counts()
    problem(await p.admin("POST", f"/deposits/{deposit['id']}/confirm"), 409)
    assert await p.counts() == after
    assert await p.balance(p.reseller) == D(100_000) + D(deposit["amount"])


async def test_the_operator_rejects_a_transfer_only_with_a_reason(payments: Payments) -> None:
    p = payments
    deposit = await _transfer(p)
    path = f"/deposits/{deposit['id']}/reject"
    before = await p.counts()
    for body in (None, {}, {"reason": ""}, {"reason": " \t"}, {"reason": "x" * 1001}):
        problem(await p.admin("POST", path, json=body), 422)
    assert (await p.deposit(deposit["id"])).status.value == "pending"
    rejected = _ok(await p.admin("POST", path, json={"reason": "tidak masuk"}))
    assert (rejected["status"], rejected["note"]) == ("rejected", "tidak masuk")
    assert (await p.counts())["journal"] == before["journal"]
    problem(await p.admin("POST", path, json={"reason": "again"}), 409)


async def test_the_operator_resolves_reviews_once(payments: Payments) -> None:
    p = payments
    late = await _transfer(p)
    odd = await _transfer(p, p.agency, 20_000)
    late_review = await p.review(late["id"])
    odd_review = await p.review(odd["id"], "paid twice")
    listed = _ok(await p.admin("GET", "/payment-reviews"))
    assert [r["id"] for r in listed] == [odd_review, late_review]  # every gateway's
    assert listed[1]["deposit_reference"] == late["reference"]

    path = f"/payment-reviews/{late_review}/resolve"
    before = await p.counts()
    for body in (
        {"outcome": "credited"},
        {"outcome": "credited", "note": " "},
        {"outcome": "kept", "note": "x"},
        {"outcome": "credited", "note": "x", "amount": "0"},
        {"outcome": "credited", "note": "x", "amount": "1.1234567"},
        {"outcome": "credited", "note": "x", "amount": "-5"},
        {"outcome": "credited", "note": "x", "by": "me"},
    ):
        problem(await p.admin("POST", path, json=body), 422)
    problem(
        await p.admin(
            "POST", "/payment-reviews/999999/resolve", json={"outcome": "dismissed", "note": "x"}
        ),
        404,
    )
    assert await p.counts() == before

    credited = _ok(
        await p.admin(
            "POST", path, json={"outcome": "credited", "note": "masuk", "amount": "45000"}
        )
    )
    assert (credited["outcome"], credited["resolved_by_id"]) == ("credited", p.operator.account.id)
    assert await p.balance(p.reseller) == D(100_000) + D(45_000)
    assert (await p.deposit(late["id"])).status.value == "paid"
    dismissed = _ok(
        await p.admin(
            "POST",
            f"/payment-reviews/{odd_review}/resolve",
            json={"outcome": "dismissed", "note": "dikembalikan"},
        )
    )
    assert dismissed["outcome"] == "dismissed"
    after = await p.counts()
    problem(await p.admin("POST", path, json={"outcome": "credited", "note": "again"}), 409)
    problem(
        await p.admin(
            "POST",
            f"/payment-reviews/{odd_review}/resolve",
            json={"outcome": "credited", "note": "changed my mind"},
        ),
        409,
    )
    assert await p.counts() == after
    assert await p.balance(p.reseller) == D(145_000)
    assert _ok(await p.admin("GET", "/payment-reviews")) == []
    every = _ok(await p.admin("GET", "/payment-reviews", params={"all": "true"}))
    assert [r["id"] for r in every] == [odd_review, late_review]


BAD_GATEWAY_CHANGES: list[Any] = [
    {"enabled": None},  # null is not a value
    {"name": ""},
    {"name": "   "},
    {"api_key": ""},
    {"production": "sometimes"},
    {"owner_id": 1},
    [],
]


async def test_bad_gateway_input_writes_nothing(payments: Payments) -> None:
    p = payments
    before = await p.counts()
    gateway = f"/payment-gateways/{p.panel_tripay}"
    for body in BAD_GATEWAY_CHANGES:
        problem(await p.admin("PATCH", gateway, json=body), 422)
    for body in (
        {"kind": "tripay", "name": "No keys"},
        {"kind": "manual", "name": "M", "owner_id": p.reseller.id},
        {"kind": "bitcoin", "name": "B"},
    ):
        problem(await p.admin("POST", "/payment-gateways", json=body), 422)
    for body in (
        {"code": "QRIS", "name": "QRIS", "kind": "transfer", "min_amount": 1, "max_amount": 2},
        {"code": "QRIS", "name": "QRIS", "kind": "qris", "min_amount": 0, "max_amount": 2},
    ):
        problem(await p.admin("POST", f"{gateway}/methods", json=body), 422)
    problem(await p.admin("POST", f"/payment-gateways/{p.panel_transfer}/import", json={}), 422)
    problem(await p.admin("PATCH", "/payment-gateways/999999", json={"enabled": False}), 404)
    assert await p.counts() == before
    unchanged = _ok(await p.admin("GET", "/payment-gateways"))[0]
    assert (unchanged["name"], unchanged["enabled"]) == ("Tripay", True)


async def test_a_gateway_down_is_503_and_writes_nothing(payments: Payments) -> None:
    p = payments
    runtime: Any = p.client._transport.app.state.runtime  # type: ignore[attr-defined]
    down = runtime.settings.payments.model_copy(update={"tripay_sandbox_url": "http://127.0.0.1:9"})
    runtime.settings = runtime.settings.model_copy(update={"payments": down})
    before = await p.counts()
    problem(await p.admin("POST", f"/payment-gateways/{p.panel_tripay}/import", json={}), 503)
    made = await p.v1(p.reseller, "POST", "/deposits", json={"method_id": p.qris, "amount": 5000})
    problem(made, 503)
    assert await p.counts() == before


async def test_only_the_operator_reaches_the_admin_payments_api(payments: Payments) -> None:
    p = payments
    deposit = await _transfer(p)
    review = await p.review(deposit["id"])
    gateway = f"/payment-gateways/{p.panel_transfer}"
    calls: list[tuple[str, str, Any]] = [
        ("GET", "/payment-gateways", None),
        ("POST", "/payment-gateways", {"kind": "manual", "name": "M"}),
        ("PATCH", gateway, {"enabled": False}),
        ("GET", f"{gateway}/methods", None),
        ("POST", f"{gateway}/methods", {"code": "X"}),
        ("POST", f"{gateway}/import", {}),
        ("GET", "/deposits", None),
        ("GET", f"/deposits/{deposit['id']}", None),
        ("POST", f"/deposits/{deposit['id']}/confirm", None),
        ("POST", f"/deposits/{deposit['id']}/reject", {"reason": "no"}),
        ("GET", "/payment-reviews", None),
        ("POST", f"/payment-reviews/{review}/resolve", {"outcome": "credited", "note": "x"}),
    ]
    before = await p.counts()
    for token in (p.reseller.key, p.agency.key, "not-a-token", None):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        for method, path, body in calls:
            answer = await p.client.request(method, f"/admin/v1{path}", json=body, headers=headers)
            problem(answer, 401)
    assert await p.counts() == before
    assert (await p.deposit(deposit["id"])).status.value == "expired"
    assert await p.balance(p.reseller) == D(100_000)
