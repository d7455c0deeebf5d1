"""Tripay's closed payments (QRIS, bank virtual accounts, retail outlets), from its published
API: requests carry `Authorization: Bearer <api key>`; a new payment is signed with
HMAC-SHA256 of `merchant_code + merchant_ref + amount` under the private key; each callback
is signed the same way over its raw body, in `X-Callback-Signature`. Amounts are whole
rupiah."""

import hashlib
import hmac
import json
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import httpx

from panel.models import MethodKind, ReviewReason
from panel.payments.gateways import (
    Channel,
    Created,
    GatewayError,
    NewPayment,
    PaymentState,
    Rejected,
    Report,
)

CURRENCY = "IDR"  # Tripay collects rupiah only
CALLBACK_EVENT = "payment_status"
STATES = {
    "UNPAID": PaymentState.unpaid,
    "PAID": PaymentState.paid,
    "EXPIRED": PaymentState.expired,
    "FAILED": PaymentState.failed,
    "REFUND": PaymentState.refunded,
}
_KINDS = {
    "Virtual Account": MethodKind.virtual_account,
    "Convenience Store": MethodKind.retail,
    "E-Wallet": MethodKind.ewallet,
}


def sign(private_key: str, message: bytes) -> str:
    return hmac.new(private_key.encode(), message, hashlib.sha256).hexdigest()


class TripayAdapter:
    def __init__(
        self,
        http: httpx.AsyncClient,
        base_url: str,
        merchant_code: str,
        api_key: str,
        private_key: str,
    ) -> None:
        self._http = http
        self._base = base_url.rstrip("/")
        self._merchant = merchant_code
        self._auth = {"Authorization": f"Bearer {api_key}"}
        self._private_key = private_key

    async def create(self, payment: NewPayment) -> Created:
        amount = _whole(payment.total)
        body = {
            "method": payment.method_code,
            "merchant_ref": payment.merchant_ref,
            "amount": amount,
            "customer_name": payment.customer_name,
            "customer_email": payment.customer_email,
            "order_items": [
                {"sku": "DEPOSIT", "name": payment.description, "price": amount, "quantity": 1}
            ],
            "callback_url": payment.callback_url,
            "return_url": payment.return_url,
            "expired_time": int(payment.expires_at.timestamp()),
            "signature": sign(
                self._private_key, f"{self._merchant}{payment.merchant_ref}{amount}".encode()
            ),
        }
        data = await self._call("POST", "/transaction/create", json=body)
        try:
            return Created(
                gateway_reference=str(data["reference"]),
                total=Decimal(str(data["amount"])),
                pay_code=data.get("pay_code") or None,
                qr_string=data.get("qr_string") or None,
                checkout_url=data.get("checkout_url") or None,
                expires_at=datetime.fromtimestamp(int(data["expired_time"]), UTC),
            )
        except (KeyError, TypeError, ValueError, InvalidOperation) as exc:
            raise GatewayError(f"Tripay's answer lacks {exc}") from None

    def verify(self, headers: dict[str, str], body: bytes) -> Report:
        given = headers.get("x-callback-signature", "")
        # Constant-time: how much of a forged signature matches must not show in the timing.
        if not hmac.compare_digest(given.encode(), sign(self._private_key, body).encode()):
            raise Rejected(ReviewReason.bad_signature, "X-Callback-Signature does not match")
        if headers.get("x-callback-event") != CALLBACK_EVENT:
            raise Rejected(ReviewReason.malformed, "X-Callback-Event is not payment_status")
        try:
            data = json.loads(body)
        except ValueError:
            raise Rejected(ReviewReason.malformed, "the body is not JSON") from None
        return _report(data, "callback")

    async def status(self, gateway_reference: str, merchant_ref: str) -> Report | None:
        try:
            data = await self._call(
                "GET", "/transaction/detail", params={"reference": gateway_reference}
            )
            report = _report(data, "detail")
        except (GatewayError, Rejected):
            return None
        if report.merchant_ref != merchant_ref:
            return None  # not the payment asked about: believe nothing of it
        return report

    async def channels(self) -> list[Channel]:
        data = await self._call("GET", "/merchant/payment-channel")
        if not isinstance(data, list):
            raise GatewayError("Tripay's channel list is not a list")
        found = []
        for channel in data:
            try:
                fee = channel.get("total_fee") or channel["fee_merchant"]
                code = str(channel["code"])
                found.append(
                    Channel(
                        code=code,
                        name=str(channel["name"]),
                        kind=MethodKind.qris
                        if code.startswith("QRIS")
                        else _KINDS.get(channel.get("group", ""), MethodKind.virtual_account),
                        fee_flat=Decimal(str(fee.get("flat") or 0)),
                        fee_percent=Decimal(str(fee.get("percent") or 0)),
                        min_amount=Decimal(str(channel.get("minimum_amount") or 0)),
                        max_amount=Decimal(str(channel.get("maximum_amount") or 0)),
                        active=bool(channel.get("active", True)),
                    )
                )
            except (KeyError, TypeError, AttributeError, InvalidOperation):
                continue  # a channel Pasok cannot read is not offered
        return found

    async def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = await self._http.request(
                method, f"{self._base}{path}", headers=self._auth, **kwargs
            )
            answer = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise GatewayError(f"Tripay did not answer: {type(exc).__name__}") from None
        if not isinstance(answer, dict) or answer.get("success") is not True:
            message = answer.get("message") if isinstance(answer, dict) else None
            raise GatewayError(f"Tripay refused: {message or response.status_code}")
        return answer.get("data")


def _report(data: Any, where: str) -> Report:
    try:
        state = STATES[str(data["status"])]
        paid_total = Decimal(str(data.get("total_amount", data.get("amount"))))
        received = Decimal(str(data["amount_received"]))
        paid_at = data.get("paid_at")
        return Report(
            merchant_ref=str(data["merchant_ref"]),
            gateway_reference=str(data["reference"]),
            state=state,
            paid_total=paid_total,
            received=received,
            paid_at=datetime.fromtimestamp(int(paid_at), UTC) if paid_at else None,
        )
    except (KeyError, TypeError, ValueError, InvalidOperation) as exc:
        raise Rejected(ReviewReason.malformed, f"the {where} lacks a readable {exc}") from None


def _whole(amount: Decimal) -> int:
    if amount != amount.to_integral_value():
        raise GatewayError(f"Tripay takes whole rupiah, not {amount}")
    return int(amount)
