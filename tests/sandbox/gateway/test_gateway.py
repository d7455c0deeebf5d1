"""The sandbox gateway over real HTTP, as Pasok's Tripay adapter and a buyer's browser see it:
the Tripay API, signed callbacks to a real receiver with every fault, and the pay page."""

import hashlib
import hmac
import json
import re
import socket
from typing import Any

import httpx
import pytest

from sandbox.gateway import Merchant, create_signature
from sandbox.gateway.qris import crc16
from sandbox.gateway.state import Gateway
from tests.fixtures.gateway import GatewayHandle
from tests.sandbox.gateway.conftest import Received, Receiver

CODE = "T0001"
API_KEY = "DEV-api-key-one"
PRIVATE_KEY = "private-key-one"


@pytest.fixture
def merchant(gateway: GatewayHandle, receiver: Receiver) -> GatewayHandle:
    gateway.register_merchant(CODE, API_KEY, PRIVATE_KEY, callback_url=receiver.url)
    return gateway


def _auth(api_key: str = API_KEY) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_key}"}


def _body(merchant_ref: str = "INV-1", amount: int = 50_000, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "method": "BRIVA",
        "merchant_ref": merchant_ref,
        "amount": amount,
        "customer_name": "Budi Santoso",
        "customer_email": "budi@example.com",
        "customer_phone": "081234567890",
        "order_items": [{"sku": "DEP", "name": "Deposit saldo", "price": amount, "quantity": 1}],
        "return_url": "https://panel.example/deposits",
        "signature": create_signature(PRIVATE_KEY, CODE, merchant_ref, amount),
    }
    return body | changes


def _create(gateway: GatewayHandle, body: dict[str, Any], api_key: str = API_KEY) -> httpx.Response:
    return gateway.http.post(
        f"{gateway.base_url}/transaction/create", json=body, headers=_auth(api_key)
    )


def _created(gateway: GatewayHandle, **changes: Any) -> dict[str, Any]:
    response = _create(gateway, _body(**changes))
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def _detail(gateway: GatewayHandle, reference: str, api_key: str = API_KEY) -> httpx.Response:
    return gateway.http.get(
        f"{gateway.base_url}/transaction/detail",
        params={"reference": reference},
        headers=_auth(api_key),
    )


def _signed(received: Received, key: str = PRIVATE_KEY) -> bool:
    expected = hmac.new(key.encode(), received.raw, hashlib.sha256).hexdigest()
    return hmac.compare_digest(received.headers["x-callback-signature"], expected)


def test_payment_channels_list_tripay_fees_and_want_a_known_key(merchant: GatewayHandle) -> None:
    url = f"{merchant.base_url}/merchant/payment-channel"
    refused = merchant.http.get(url, headers=_auth("not-a-key"))
    assert refused.status_code == 401
    assert refused.json() == {"success": False, "message": "Invalid API Key"}
    assert merchant.http.get(url).status_code == 401

    answer = merchant.http.get(url, headers=_auth()).json()
    assert answer["success"] is True
    channels = {channel["code"]: channel for channel in answer["data"]}
    assert set(channels) == {"QRIS", "BRIVA", "BCAVA", "MANDIRIVA", "ALFAMART"}
    qris = channels["QRIS"]
    assert qris["group"] == "E-Wallet"
    assert qris["fee_merchant"] == {"flat": 750, "percent": 0.7} == qris["total_fee"]
    assert qris["fee_customer"] == {"flat": 0, "percent": 0}
    assert (qris["minimum_amount"], qris["maximum_amount"]) == (1000, 5_000_000)
    assert channels["ALFAMART"]["group"] == "Convenience Store"
    assert channels["ALFAMART"]["maximum_amount"] == 2_500_000
    assert channels["BCAVA"]["fee_merchant"] == {"flat": 5500, "percent": 0}
    assert all(c["active"] and c["type"] == "DIRECT" for c in channels.values())


def test_a_signed_create_makes_an_unpaid_transaction_with_the_fee_on_the_merchant(
    merchant: GatewayHandle, receiver: Receiver
) -> None:
    data = _created(merchant)
    assert re.fullmatch(r"DEV-T0001\d{12}", data["reference"])
    assert data["merchant_ref"] == "INV-1"
    assert data["status"] == "UNPAID"
    assert data["payment_method"] == "BRIVA"
    assert data["payment_name"] == "BRI Virtual Account"
    assert data["amount"] == 50_000
    assert (data["fee_merchant"], data["fee_customer"], data["total_fee"]) == (4250, 0, 4250)
    assert data["amount_received"] == 45_750
    assert data["pay_code"].isdigit()
    assert data["qr_string"] is None
    assert data["callback_url"] == receiver.url  # none given: the merchant's registered one
    assert data["checkout_url"] == f"{merchant.base_url}/pay/{data['reference']}"
    assert data["instructions"][0]["steps"]
    assert data["expired_time"] > 0
    assert [t["reference"] for t in merchant.transactions()] == [data["reference"]]


def test_a_qris_transaction_rounds_the_percent_up_and_carries_a_qr_string(
    merchant: GatewayHandle,
) -> None:
    data = _created(merchant, method="QRIS", amount=10_001, merchant_ref="INV-Q")
    assert data["fee_merchant"] == 750 + 71  # 0.7 % of 10.001 is 70,007
    assert data["amount_received"] == 10_001 - 821
    assert data["pay_code"] is None
    qr = data["qr_string"]
    assert qr.startswith("000201010212")
    assert data["reference"] in qr
    assert "540510001" in qr
    assert qr[-8:-4] == "6304"
    assert qr[-4:] == crc16(qr[:-4])


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"signature": "0" * 64}, "Invalid signature"),
        ({"method": "GOPAY"}, "Payment channel GOPAY does not exist"),
        (
            {
                "method": "BRIVA",
                "amount": 9000,
                "order_items": [{"name": "x", "price": 9000, "quantity": 1}],
                "signature": create_signature(PRIVATE_KEY, CODE, "INV-1", 9000),
            },
            "Minimum amount for BRIVA is 10000",
        ),
        (
            {"order_items": [{"name": "x", "price": 20_000, "quantity": 2}]},
            "The total price of order_items (40000) does not match the amount (50000)",
        ),
        ({"customer_email": None}, "The customer_email field is required"),
        ({"expired_time": 1_000_000}, "The expired_time must be in the future"),
    ],
)
def test_a_refused_create_says_why_and_makes_nothing(
    merchant: GatewayHandle, changes: dict[str, Any], message: str
) -> None:
    response = _create(merchant, _body() | changes)
    assert response.status_code == 400
    assert response.json() == {"success": False, "message": message}
    assert merchant.transactions() == []


def test_a_create_with_a_bad_key_is_401_and_makes_nothing(merchant: GatewayHandle) -> None:
    response = _create(merchant, _body(), api_key="wrong")
    assert response.status_code == 401
    assert response.json()["message"] == "Invalid API Key"
    assert merchant.transactions() == []


def test_a_retried_create_never_makes_a_second_payment(merchant: GatewayHandle) -> None:
    first = _created(merchant)
    again = _create(merchant, _body())
    assert again.status_code == 400
    assert "INV-1" in again.json()["message"]
    assert [t["reference"] for t in merchant.transactions()] == [first["reference"]]


def test_detail_shows_only_the_merchants_own_transactions(merchant: GatewayHandle) -> None:
    data = _created(merchant)
    answer = _detail(merchant, data["reference"]).json()
    assert answer["success"] is True
    assert answer["data"]["status"] == "UNPAID"
    assert answer["data"]["paid_at"] is None
    assert answer["data"]["amount_received"] == data["amount_received"]

    merchant.register_merchant("T0002", "other-key", "other-private")
    other = _detail(merchant, data["reference"], api_key="other-key")
    assert other.status_code == 400
    assert other.json() == {"success": False, "message": "Transaction not found"}
    assert _detail(merchant, "DEV-NOPE").status_code == 400


def test_pay_sends_one_callback_signed_over_the_raw_body(
    merchant: GatewayHandle, receiver: Receiver
) -> None:
    data = _created(merchant)
    answer = merchant.pay(data["reference"])
    assert answer["transaction"]["status"] == "PAID"

    [got] = receiver.got()
    assert _signed(got)
    assert got.headers["x-callback-event"] == "payment_status"
    assert got.headers["content-type"] == "application/json"
    body = json.loads(got.raw)
    assert body == {
        "reference": data["reference"],
        "merchant_ref": "INV-1",
        "payment_method": "BRI Virtual Account",
        "payment_method_code": "BRIVA",
        "total_amount": 50_000,
        "fee_merchant": 4250,
        "fee_customer": 0,
        "total_fee": 4250,
        "amount_received": 45_750,
        "is_closed_payment": 1,
        "status": "PAID",
        "paid_at": body["paid_at"],
        "note": None,
    }
    detail = _detail(merchant, data["reference"]).json()["data"]
    assert detail["status"] == "PAID"
    assert detail["paid_at"] == body["paid_at"] > 0

    [logged] = merchant.callbacks()
    assert logged["body"].encode() == got.raw
    assert logged["response_status"] == 200
    assert json.loads(logged["response_text"]) == {"success": True}
    assert answer["callbacks"] == [logged]


def test_twenty_duplicates_all_arrive(merchant: GatewayHandle, receiver: Receiver) -> None:
    data = _created(merchant)
    merchant.pay(data["reference"], duplicates=20)
    got = receiver.got()
    assert len(got) == 20
    assert {g.raw for g in got} == {got[0].raw}
    assert all(_signed(g) for g in got)
    assert len(merchant.callbacks()) == 20


def test_a_wrong_signature(merchant: GatewayHandle, receiver: Receiver) -> None:
    merchant.pay(_created(merchant)["reference"], signature="wrong")
    [got] = receiver.got()
    assert json.loads(got.raw)["status"] == "PAID"
    assert not _signed(got)
    assert merchant.callbacks()[0]["signed_correctly"] is False


def test_a_tampered_body_keeps_the_signature_of_the_original(
    merchant: GatewayHandle, receiver: Receiver
) -> None:
    merchant.pay(_created(merchant)["reference"], tamper=True)
    [got] = receiver.got()
    assert not _signed(got)
    body = json.loads(got.raw)
    assert body["total_amount"] != 50_000
    original = json.dumps(body | {"total_amount": 50_000}, separators=(",", ":")).encode()
    assert _signed(Received(original, got.headers))


def test_a_shifted_amount_is_signed_correctly(merchant: GatewayHandle, receiver: Receiver) -> None:
    merchant.pay(_created(merchant)["reference"], amount_delta=-1000)
    [got] = receiver.got()
    assert _signed(got)
    body = json.loads(got.raw)
    assert (body["total_amount"], body["amount_received"]) == (49_000, 44_750)


def test_a_lost_callback_still_pays(merchant: GatewayHandle, receiver: Receiver) -> None:
    data = _created(merchant)
    assert merchant.pay(data["reference"], send=False)["callbacks"] == []
    assert receiver.got() == []
    assert merchant.callbacks() == []
    assert _detail(merchant, data["reference"]).json()["data"]["status"] == "PAID"


def test_an_expired_transaction_is_paid_only_late_and_on_purpose(
    merchant: GatewayHandle, receiver: Receiver
) -> None:
    reference = _created(merchant)["reference"]
    merchant.expire(reference)
    with pytest.raises(httpx.HTTPStatusError) as refused:
        merchant.pay(reference)
    assert refused.value.response.status_code == 409
    assert _detail(merchant, reference).json()["data"]["status"] == "EXPIRED"

    merchant.pay(reference, after_expiry=True)
    assert [json.loads(g.raw)["status"] for g in receiver.got()] == ["EXPIRED", "PAID"]
    assert _detail(merchant, reference).json()["data"]["status"] == "PAID"


def test_time_past_the_expiry_reads_as_expired_with_one_callback(
    merchant: GatewayHandle, receiver: Receiver
) -> None:
    reference = _created(merchant)["reference"]
    merchant.advance(24 * 3600 + 1)
    assert _detail(merchant, reference).json()["data"]["status"] == "EXPIRED"
    assert _detail(merchant, reference).json()["data"]["status"] == "EXPIRED"
    assert [json.loads(g.raw)["status"] for g in receiver.got()] == ["EXPIRED"]


def test_refund_only_after_paid(merchant: GatewayHandle, receiver: Receiver) -> None:
    reference = _created(merchant)["reference"]
    with pytest.raises(httpx.HTTPStatusError) as refused:
        merchant.refund(reference)
    assert refused.value.response.status_code == 409
    merchant.pay(reference)
    merchant.refund(reference)
    assert [json.loads(g.raw)["status"] for g in receiver.got()] == ["PAID", "REFUND"]
    assert _detail(merchant, reference).json()["data"]["status"] == "REFUND"


def test_a_stale_callback_leaves_the_transaction_alone(
    merchant: GatewayHandle, receiver: Receiver
) -> None:
    reference = _created(merchant)["reference"]
    merchant.pay(reference)
    merchant.send_callback(reference, "UNPAID")
    assert [json.loads(g.raw)["status"] for g in receiver.got()] == ["PAID", "UNPAID"]
    assert all(_signed(g) for g in receiver.got())
    assert _detail(merchant, reference).json()["data"]["status"] == "PAID"


def test_a_receiver_that_is_down_is_recorded_not_an_error(merchant: GatewayHandle) -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    data = _created(merchant, callback_url=f"http://127.0.0.1:{port}/callback")
    [logged] = merchant.pay(data["reference"])["callbacks"]
    assert logged["response_status"] is None
    assert logged["error"].startswith("ConnectError")


def test_the_pay_page_shows_the_bill_and_its_pay_button_pays(
    merchant: GatewayHandle, receiver: Receiver
) -> None:
    data = _created(merchant)
    page = merchant.http.get(data["checkout_url"])
    assert page.status_code == 200
    html = page.text
    for shown in ("Rp 50.000", "BRI Virtual Account", data["pay_code"], "Menunggu pembayaran"):
        assert shown in html
    assert 'id="pay"' in html
    assert 'id="expire"' in html
    assert "<script" not in html
    assert "onclick" not in html
    assert "unsafe-inline" not in page.headers["content-security-policy"]
    assert "Kembali ke toko" not in html

    action = re.search(r'<form method="post" action="([^"]+/pay)">', html)
    assert action is not None
    paid = merchant.http.post(
        httpx.URL(data["checkout_url"]).join(action[1]), follow_redirects=True
    )
    assert paid.history[0].status_code == 303
    assert paid.url == data["checkout_url"]
    assert "Lunas" in paid.text
    assert 'id="pay"' not in paid.text
    assert 'href="https://panel.example/deposits"' in paid.text
    assert "Kembali ke toko" in paid.text
    assert [json.loads(g.raw)["status"] for g in receiver.got()] == ["PAID"]


def test_the_pay_page_expire_button(merchant: GatewayHandle, receiver: Receiver) -> None:
    data = _created(merchant, method="QRIS", merchant_ref="INV-Q")
    page = merchant.http.get(data["checkout_url"])
    assert data["qr_string"] in page.text
    expired = merchant.http.post(f"{data['checkout_url']}/expire", follow_redirects=True)
    assert "Kedaluwarsa" in expired.text
    assert [json.loads(g.raw)["status"] for g in receiver.got()] == ["EXPIRED"]


def test_reset_keeps_the_merchants_given_at_start() -> None:
    start = Merchant("DEMO", "demo-key", "demo-private")
    gateway = Gateway(initial_merchants=(start,))
    gateway.put_merchant(Merchant("T9", "k", "p"))
    gateway.reset()
    assert gateway.by_api_key("demo-key") == start
    assert gateway.by_api_key("k") is None
