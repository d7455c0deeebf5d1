"""The sandbox gateway's memory: merchants, transactions and the callbacks sent. One process,
no database; a lock guards it because uvicorn serves requests concurrently. Nothing here
awaits, so the lock is never held while a callback is on its way.
"""

import hmac
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from hashlib import sha256
from typing import Any, Literal

from sandbox.gateway.channels import BY_CODE, Channel
from sandbox.gateway.instructions import instructions
from sandbox.gateway.qris import qr_string

Status = Literal["UNPAID", "PAID", "EXPIRED", "FAILED", "REFUND"]
STATUSES: tuple[Status, ...] = ("UNPAID", "PAID", "EXPIRED", "FAILED", "REFUND")
DEFAULT_LIFETIME_S = 24 * 3600
REFERENCE_PREFIX = "DEV-T0001"
MAX_TEXT = 255


@dataclass(frozen=True)
class Merchant:
    code: str
    api_key: str
    private_key: str
    callback_url: str | None = None

    def shown(self) -> dict[str, Any]:
        return {"code": self.code, "api_key": self.api_key, "callback_url": self.callback_url}


class Refused(Exception):
    """A call that changed nothing, with the HTTP status and message to answer with."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def create_signature(private_key: str, merchant_code: str, merchant_ref: str, amount: int) -> str:
    """What `POST /transaction/create` expects in `signature`."""
    text = f"{merchant_code}{merchant_ref}{amount}".encode()
    return hmac.new(private_key.encode(), text, sha256).hexdigest()


@dataclass
class Transaction:
    reference: str
    merchant_code: str
    merchant_ref: str
    channel: Channel
    amount: int
    fee: int
    customer_name: str
    customer_email: str
    customer_phone: str | None
    callback_url: str | None
    return_url: str | None
    checkout_url: str
    expired_time: int
    order_items: list[dict[str, Any]]
    pay_code: str | None
    qr_string: str | None
    created_at: int
    status: Status = "UNPAID"
    paid_at: int | None = None

    @property
    def amount_received(self) -> int:
        return self.amount - self.fee

    def shown(self) -> dict[str, Any]:
        """The `data` of create and detail."""
        return {
            "reference": self.reference,
            "merchant_ref": self.merchant_ref,
            "payment_selection_type": "static",
            "payment_method": self.channel.code,
            "payment_name": self.channel.name,
            "customer_name": self.customer_name,
            "customer_email": self.customer_email,
            "customer_phone": self.customer_phone,
            "callback_url": self.callback_url,
            "return_url": self.return_url,
            "amount": self.amount,
            "fee_merchant": self.fee,
            "fee_customer": 0,
            "total_fee": self.fee,
            "amount_received": self.amount_received,
            "pay_code": self.pay_code,
            "pay_url": None,
            "checkout_url": self.checkout_url,
            "status": self.status,
            "paid_at": self.paid_at,
            "expired_time": self.expired_time,
            "order_items": [dict(item) for item in self.order_items],
            "instructions": instructions(self.channel, self.pay_code),
            "qr_string": self.qr_string,
            "qr_url": None,
        }


def _optional(body: Mapping[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > MAX_TEXT:
        raise Refused(400, f"The {name} field must be a text of at most {MAX_TEXT} characters")
    return value


def _required(body: Mapping[str, Any], name: str) -> str:
    value = _optional(body, name)
    if value is None:
        raise Refused(400, f"The {name} field is required")
    return value


def _whole(value: Any, name: str) -> int:
    # bool is an int to Python, never to a gateway
    if isinstance(value, bool) or not isinstance(value, int):
        raise Refused(400, f"The {name} field must be a whole number")
    return value


def _order_items(body: Mapping[str, Any], amount: int) -> list[dict[str, Any]]:
    items = body.get("order_items")
    if not isinstance(items, list) or not items:
        raise Refused(400, "The order_items field is required and must be a non-empty list")
    kept: list[dict[str, Any]] = []
    for number, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            raise Refused(400, f"order_items item {number} must be an object")
        name = _required(item, "name")
        price = _whole(item.get("price"), f"order_items.{number}.price")
        quantity = _whole(item.get("quantity"), f"order_items.{number}.quantity")
        if price < 0 or quantity < 1:
            raise Refused(400, f"order_items item {number} needs a price >= 0 and quantity >= 1")
        kept.append(
            {"sku": item.get("sku"), "name": name, "price": price, "quantity": quantity}
            | {key: item[key] for key in ("subtotal", "product_url", "image_url") if key in item}
        )
    total = sum(item["price"] * item["quantity"] for item in kept)
    if total != amount:
        raise Refused(
            400, f"The total price of order_items ({total}) does not match the amount ({amount})"
        )
    return kept


@dataclass
class Gateway:
    """Everything the sandbox gateway holds. `clock` is unix seconds; `advance` moves it on."""

    initial_merchants: Sequence[Merchant] = ()
    clock: Callable[[], float] = time.time
    merchants: dict[str, Merchant] = field(default_factory=dict)
    transactions: dict[str, Transaction] = field(default_factory=dict)
    callbacks: list[dict[str, Any]] = field(default_factory=list)
    offset_s: float = 0.0
    # Never goes back on reset, and starts from the time the server started (in tenths of a
    # second): a reference stays unique across resets and restarts, so rows a test or the demo
    # left in a database never meet a new transaction with the same reference.
    counter: int = field(default_factory=lambda: int(time.time() * 10) % 10**9 * 1000)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.merchants = {merchant.code: merchant for merchant in self.initial_merchants}

    def now(self) -> int:
        return int(self.clock() + self.offset_s)

    def advance(self, seconds: float) -> int:
        with self.lock:
            self.offset_s += seconds
        return self.now()

    def reset(self) -> None:
        """Forget transactions, callbacks and time moved on; merchants given at start stay,
        as they were given."""
        with self.lock:
            self.transactions.clear()
            self.callbacks.clear()
            self.offset_s = 0.0
            self.merchants = {merchant.code: merchant for merchant in self.initial_merchants}

    def put_merchant(self, merchant: Merchant) -> None:
        with self.lock:
            self.merchants[merchant.code] = merchant

    def merchant(self, code: str) -> Merchant | None:
        with self.lock:
            return self.merchants.get(code)

    def merchant_list(self) -> list[Merchant]:
        with self.lock:
            return list(self.merchants.values())

    def by_api_key(self, api_key: str) -> Merchant | None:
        with self.lock:
            found = [m for m in self.merchants.values() if hmac.compare_digest(m.api_key, api_key)]
        return found[0] if found else None

    def create(
        self, merchant: Merchant, body: Mapping[str, Any], checkout_url: Callable[[str], str]
    ) -> Transaction:
        """A new UNPAID transaction from a `POST /transaction/create` body, or Refused."""
        method = _required(body, "method")
        merchant_ref = _required(body, "merchant_ref")
        if "amount" not in body:
            raise Refused(400, "The amount field is required")
        amount = _whole(body["amount"], "amount")
        customer_name = _required(body, "customer_name")
        customer_email = _required(body, "customer_email")
        customer_phone = _optional(body, "customer_phone")
        signature = _required(body, "signature")
        expected = create_signature(merchant.private_key, merchant.code, merchant_ref, amount)
        if not hmac.compare_digest(signature.lower(), expected):
            raise Refused(400, "Invalid signature")
        channel = BY_CODE.get(method)
        if channel is None:
            raise Refused(400, f"Payment channel {method} does not exist")
        if not channel.active:
            raise Refused(400, f"Payment channel {method} is not active")
        if amount < channel.minimum_amount:
            raise Refused(400, f"Minimum amount for {method} is {channel.minimum_amount}")
        if amount > channel.maximum_amount:
            raise Refused(400, f"Maximum amount for {method} is {channel.maximum_amount}")
        order_items = _order_items(body, amount)
        callback_url = _optional(body, "callback_url") or merchant.callback_url
        return_url = _optional(body, "return_url")
        now = self.now()
        expired_time = body.get("expired_time")
        if expired_time is None:
            expired_time = now + DEFAULT_LIFETIME_S
        elif _whole(expired_time, "expired_time") <= now:
            raise Refused(400, "The expired_time must be in the future")
        with self.lock:
            if any(
                t.merchant_code == merchant.code and t.merchant_ref == merchant_ref
                for t in self.transactions.values()
            ):
                raise Refused(400, f"The merchant_ref {merchant_ref} has already been used")
            self.counter += 1
            reference = f"{REFERENCE_PREFIX}{self.counter:012d}"
            pay_code = None
            if channel.pay_code_prefix is not None:
                pay_code = f"{channel.pay_code_prefix}{self.counter % 10**10:010d}"
            transaction = Transaction(
                reference=reference,
                merchant_code=merchant.code,
                merchant_ref=merchant_ref,
                channel=channel,
                amount=amount,
                fee=channel.fee(amount),
                customer_name=customer_name,
                customer_email=customer_email,
                customer_phone=customer_phone,
                callback_url=callback_url,
                return_url=return_url,
                checkout_url=checkout_url(reference),
                expired_time=expired_time,
                order_items=order_items,
                pay_code=pay_code,
                qr_string=None if pay_code else qr_string(reference, amount, merchant.code),
                created_at=now,
            )
            self.transactions[reference] = transaction
        return transaction

    def find(self, reference: str, merchant_code: str | None = None) -> Transaction:
        """A copy of the transaction (of that merchant only, when given), or Refused 404."""
        with self.lock:
            found = self.transactions.get(reference)
            if found is None or merchant_code not in (None, found.merchant_code):
                raise Refused(404, "Transaction not found")
            return replace(found)

    def notice_expiry(self, reference: str) -> Transaction | None:
        """An UNPAID transaction past its expired_time becomes EXPIRED: the copy, the one
        time that happens, so that its EXPIRED callback is sent once."""
        now = self.now()
        with self.lock:
            found = self.transactions.get(reference)
            if found is None or found.status != "UNPAID" or found.expired_time > now:
                return None
            found.status = "EXPIRED"
            return replace(found)

    def move(self, reference: str, to: Status, *, after_expiry: bool = False) -> Transaction:
        """pay (PAID), expire (EXPIRED) or refund (REFUND), if the status allows it."""
        allowed: dict[Status, tuple[Status, ...]] = {
            "PAID": ("UNPAID", "EXPIRED") if after_expiry else ("UNPAID",),
            "EXPIRED": ("UNPAID",),
            "REFUND": ("PAID",),
        }
        with self.lock:
            found = self.transactions.get(reference)
            if found is None:
                raise Refused(404, "Transaction not found")
            if found.status not in allowed[to]:
                raise Refused(409, f"A transaction {found.status} cannot become {to}")
            found.status = to
            if to == "PAID":
                found.paid_at = self.now()
            return replace(found)

    def all_transactions(self) -> list[Transaction]:
        with self.lock:
            return [replace(t) for t in self.transactions.values()]

    def record(self, callback: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            callback = {"id": len(self.callbacks) + 1} | callback
            self.callbacks.append(callback)
        return callback

    def callback_log(self) -> list[dict[str, Any]]:
        with self.lock:
            return [dict(callback) for callback in self.callbacks]
