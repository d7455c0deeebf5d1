"""The sandbox prepaid provider over real HTTP, as a buyer's own client sees it: signatures,
the price list, purchases keyed by ref_id against its deposit, and signed webhooks with every
fault, checked on the raw bytes the receiver got."""

import hashlib
import hmac
import json
from typing import Any

import httpx
import pytest

from tests.sandbox.prepaid.servers import API_KEY, USERNAME, WEBHOOK_SECRET, PrepaidHandle

START = 5_000_000  # the sandbox's deposit after a reset


def _sign(word: str, key: str = API_KEY) -> str:
    return hashlib.md5(f"{USERNAME}{key}{word}".encode()).hexdigest()


def _buy(
    prepaid: PrepaidHandle, ref_id: str, sku: str = "tsel10", customer_no: str = "081234567890"
) -> httpx.Response:
    body = {
        "username": USERNAME,
        "buyer_sku_code": sku,
        "customer_no": customer_no,
        "ref_id": ref_id,
        "sign": _sign(ref_id),
    }
    return prepaid.http.post(f"{prepaid.base_url}/transaction", json=body)


def _data(response: httpx.Response) -> dict[str, Any]:
    data: dict[str, Any] = response.json()["data"]
    return data


def _deposit(prepaid: PrepaidHandle) -> int:
    body = {"cmd": "deposit", "username": USERNAME, "sign": _sign("depo")}
    response = prepaid.http.post(f"{prepaid.base_url}/cek-saldo", json=body)
    assert response.status_code == 200, response.text
    deposit: int = _data(response)["deposit"]
    return deposit


def test_signatures_are_checked_on_every_call(prepaid: PrepaidHandle) -> None:
    wrong = {"cmd": "prepaid", "username": USERNAME, "sign": _sign("pricelist", "other-key")}
    refused = prepaid.http.post(f"{prepaid.base_url}/price-list", json=wrong)
    assert (refused.status_code, _data(refused)["rc"]) == (400, "41")
    # A transaction signed over another ref_id is refused and makes nothing.
    body = {"username": USERNAME, "buyer_sku_code": "tsel10", "customer_no": "0812", "ref_id": "A"}
    refused = prepaid.http.post(f"{prepaid.base_url}/transaction", json=body | {"sign": _sign("B")})
    assert (refused.status_code, _data(refused)["rc"], _data(refused)["status"]) == (
        400,
        "41",
        "Gagal",
    )
    unknown = prepaid.http.post(
        f"{prepaid.base_url}/cek-saldo",
        json={"cmd": "deposit", "username": "someone", "sign": _sign("depo")},
    )
    assert _data(unknown)["rc"] == "42"
    assert prepaid.purchases() == []
    assert _deposit(prepaid) == START


def test_price_list_covers_the_five_categories(prepaid: PrepaidHandle) -> None:
    body = {"cmd": "prepaid", "username": USERNAME, "sign": _sign("pricelist")}
    rows: list[dict[str, Any]] = prepaid.http.post(
        f"{prepaid.base_url}/price-list", json=body
    ).json()["data"]
    assert len(rows) >= 30
    assert {row["category"] for row in rows} == {"Pulsa", "Data", "Games", "E-Money", "PLN"}
    assert all(isinstance(row["price"], int) and row["price"] > 0 for row in rows)
    assert [row["buyer_sku_code"] for row in rows if not row["seller_product_status"]] == [
        "smart10"
    ]
    one = prepaid.http.post(f"{prepaid.base_url}/price-list", json=body | {"code": "ml86"})
    assert [row["product_name"] for row in one.json()["data"]] == ["Mobile Legends 86 Diamond"]


def test_a_ref_id_buys_once_and_repeats_report_it(prepaid: PrepaidHandle) -> None:
    first = _data(_buy(prepaid, "R-1"))
    assert (first["status"], first["rc"], first["price"]) == ("Sukses", "00", 10_350)
    assert first["sn"]
    assert first["buyer_last_saldo"] == START - 10_350
    again = _data(_buy(prepaid, "R-1"))
    assert again == first
    assert _deposit(prepaid) == START - 10_350
    # The same ref_id for another number is refused, not a second purchase.
    clash = _buy(prepaid, "R-1", customer_no="089999999999")
    assert (clash.status_code, _data(clash)["rc"]) == (400, "49")
    token = _data(_buy(prepaid, "R-2", sku="pln50", customer_no="532100000001"))
    assert token["sn"].count("-") == 4
    assert "/R1/" in token["sn"]
    assert len(prepaid.purchases()) == 2


def test_failures_give_the_deposit_back_and_faults_still_buy(prepaid: PrepaidHandle) -> None:
    prepaid.behave(customer_no="0811", kind="failure", rc="54")
    failed = _data(_buy(prepaid, "F-1", customer_no="0811"))
    assert (failed["status"], failed["rc"], failed["message"]) == (
        "Gagal",
        "54",
        "Nomor Tujuan Salah",
    )
    assert _deposit(prepaid) == START
    prepaid.behave(sku="xl10", kind="pending_failure", rc="55")
    pending = _data(_buy(prepaid, "F-2", sku="xl10"))
    assert (pending["status"], pending["rc"], pending["sn"]) == ("Pending", "03", "")
    assert _deposit(prepaid) == START - 10_800
    settled = prepaid.settle("F-2", send=False)["purchase"]
    assert (settled["status"], settled["rc"]) == ("Gagal", "55")
    assert _deposit(prepaid) == START
    # A 5xx and a cut-off answer both after the purchase was made: a repeat reports it.
    prepaid.behave(sku="ovo20", kind="http_500")
    assert _buy(prepaid, "F-3", sku="ovo20").status_code == 500
    assert _data(_buy(prepaid, "F-3", sku="ovo20"))["status"] == "Sukses"
    prepaid.behave(sku="ff70", kind="lost")
    with pytest.raises(httpx.RemoteProtocolError):
        _buy(prepaid, "F-4", sku="ff70")
    assert _data(_buy(prepaid, "F-4", sku="ff70"))["status"] == "Sukses"
    prepaid.behave(sku="ml86", kind="http_500", created=False)
    assert _buy(prepaid, "F-5", sku="ml86").status_code == 500
    assert _deposit(prepaid) == START - 21_150 - 9_350
    assert {row["ref_id"] for row in prepaid.purchases()} == {"F-1", "F-2", "F-3", "F-4"}
    prepaid.set_deposit(1_000)
    poor = _buy(prepaid, "F-6")
    assert (poor.status_code, _data(poor)["rc"]) == (400, "44")


def test_webhooks_are_signed_over_the_raw_body_with_faults(prepaid: PrepaidHandle) -> None:
    prepaid.behave(sku="tsel25", kind="pending_success")
    assert _data(_buy(prepaid, "W-1", sku="tsel25"))["status"] == "Pending"

    def expected(raw: bytes, secret: str = WEBHOOK_SECRET) -> str:
        return "sha1=" + hmac.new(secret.encode(), raw, hashlib.sha1).hexdigest()

    prepaid.settle("W-1", duplicates=2)
    got = prepaid.receiver.got()
    assert len(got) == 2
    assert got[0].raw == got[1].raw
    assert got[0].headers["x-hub-signature"] == expected(got[0].raw)
    assert got[0].headers["x-digiflazz-event"] == "update"
    data = json.loads(got[0].raw)["data"]
    assert (data["ref_id"], data["status"], data["rc"]) == ("W-1", "Sukses", "00")
    assert data["sn"]

    prepaid.receiver.clear()
    prepaid.send_callback("W-1", signature="wrong")
    prepaid.send_callback("W-1", tamper=True, event="create")
    wrong, tampered = prepaid.receiver.got()
    assert wrong.headers["x-hub-signature"] != expected(wrong.raw)
    assert tampered.headers["x-hub-signature"] != expected(tampered.raw)
    assert tampered.headers["x-digiflazz-event"] == "create"
    assert json.loads(tampered.raw)["data"]["sn"] == "TAMPERED"
    log = prepaid.callbacks()
    assert [row["signed_correctly"] for row in log] == [True, True, False, False]
    assert all(row["response_status"] == 200 for row in log)
    # A purchase that has ended cannot be settled again.
    again = prepaid.http.post(f"{prepaid.control_url}/purchases/W-1/settle", json={})
    assert again.status_code == 409
