"""The sandbox prepaid provider's memory: the account, its deposit, purchases by ref_id, the
behaviour a test chose per product or customer, and the callbacks sent. One process, no
database; a lock guards it because uvicorn serves requests concurrently, and nothing here
awaits, so the lock is never held while a callback is on its way.
"""

import copy
import hashlib
import hmac
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from sandbox.prepaid.catalogue import BY_SKU, Product

Kind = Literal[
    "success",  # Sukses at once
    "pending_success",  # Pending until settled, then Sukses
    "pending_failure",  # Pending until settled, then Gagal (the deposit given back)
    "failure",  # Gagal at once, nothing charged
    "http_500",  # a 5xx; with `created` the purchase is made (and charged) first
    "lost",  # the purchase is made, the answer is cut off mid-body
]
Status = Literal["Sukses", "Pending", "Gagal"]
DEFAULT_DEPOSIT = 5_000_000
MESSAGES = {
    "00": "Transaksi Sukses",
    "03": "Transaksi Pending",
    "40": "Payload Error",
    "41": "Signature Anda salah",
    "42": "Username Anda salah",
    "43": "SKU tidak di temukan atau Non-Aktif",
    "44": "Saldo tidak cukup",
    "49": "Ref ID tidak unik",
    "54": "Nomor Tujuan Salah",
    "55": "Produk Sedang Gangguan",
}


def rc_message(rc: str) -> str:
    return MESSAGES.get(rc, "Transaksi Gagal")


@dataclass(frozen=True)
class Account:
    username: str
    api_key: str
    webhook_secret: str = ""
    callback_url: str | None = None

    def shown(self) -> dict[str, Any]:
        return {"username": self.username, "callback_url": self.callback_url}

    def sign(self, word: str) -> str:
        """What the API expects in `sign`: md5(username + key + word)."""
        return hashlib.md5(f"{self.username}{self.api_key}{word}".encode()).hexdigest()


@dataclass(frozen=True)
class Behaviour:
    kind: Kind = "success"
    rc: str = "54"  # the failure code, for `failure` and `pending_failure`
    created: bool = True  # for `http_500`: was the purchase made before the error
    then: Literal["success", "pending"] = "success"  # where a `lost` purchase stands


class Refused(Exception):
    """A request that made nothing: the rc and HTTP status to answer with."""

    def __init__(self, rc: str, status: int = 400, message: str | None = None) -> None:
        super().__init__(message or rc_message(rc))
        self.rc = rc
        self.status = status
        self.message = message or rc_message(rc)


@dataclass
class Purchase:
    trx_id: str
    ref_id: str
    product: Product
    customer_no: str
    status: Status
    rc: str
    settles_to: Status | None = None  # where a Pending purchase goes when settled
    fail_rc: str = "54"
    sn: str = ""
    balance_after: int = 0
    created_at: float = 0.0

    def shown(self) -> dict[str, Any]:
        """The `data` of a transaction answer and of a webhook."""
        return {
            "trx_id": self.trx_id,
            "ref_id": self.ref_id,
            "customer_no": self.customer_no,
            "buyer_sku_code": self.product.sku,
            "message": rc_message(self.rc),
            "status": self.status,
            "rc": self.rc,
            "sn": self.sn,
            "buyer_last_saldo": self.balance_after,
            "price": self.product.price,
            "tele": "sandbox_cs",
            "wa": "080000000000",
        }


def _serial(purchase: Purchase) -> str:
    digest = hashlib.sha256(purchase.ref_id.encode()).hexdigest()
    digits = "".join(str(int(char, 16) % 10) for char in digest)
    if purchase.product.token:
        token = "-".join(digits[start : start + 4] for start in range(0, 20, 4))
        return f"{token}/SANDBOX PELANGGAN/R1/900VA/{purchase.product.price // 1500}.5"
    return digits[:20]


@dataclass
class Store:
    """Everything the sandbox holds."""

    initial: Account
    deposit: int = DEFAULT_DEPOSIT
    account: Account = field(init=False)
    initial_deposit: int = field(init=False)
    purchases: dict[str, Purchase] = field(default_factory=dict)
    by_sku: dict[str, Behaviour] = field(default_factory=dict)
    by_customer: dict[str, Behaviour] = field(default_factory=dict)
    callbacks: list[dict[str, Any]] = field(default_factory=list)
    requests: dict[str, int] = field(default_factory=dict)
    # Never goes back on reset: a trx_id stays unique across tests in one server.
    counter: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.account = self.initial
        self.initial_deposit = self.deposit

    def reset(self) -> None:
        with self.lock:
            self.account = self.initial
            self.deposit = self.initial_deposit
            self.purchases.clear()
            self.by_sku.clear()
            self.by_customer.clear()
            self.callbacks.clear()
            self.requests.clear()

    def set_account(self, account: Account) -> None:
        with self.lock:
            self.account = account

    def set_deposit(self, deposit: int) -> None:
        with self.lock:
            self.deposit = deposit

    def set_behaviour(self, behaviour: Behaviour, sku: str | None, customer_no: str | None) -> None:
        with self.lock:
            if sku is not None:
                self.by_sku[sku] = behaviour
            if customer_no is not None:
                self.by_customer[customer_no] = behaviour

    def count(self, path: str) -> None:
        with self.lock:
            self.requests[path] = self.requests.get(path, 0) + 1

    def request_counts(self) -> dict[str, int]:
        with self.lock:
            return dict(self.requests)

    def check_sign(self, body: Mapping[str, object], word: str) -> Account:
        """The account a request body signs for, or Refused as the real API refuses."""
        account, username, sign = self.account, body.get("username"), body.get("sign")
        if not isinstance(username, str) or username != account.username:
            raise Refused("42")
        if not isinstance(sign, str) or not hmac.compare_digest(sign, account.sign(word)):
            raise Refused("41")
        return account

    def behaviour(self, sku: str, customer_no: str) -> Behaviour:
        with self.lock:
            return self.by_customer.get(customer_no) or self.by_sku.get(sku) or Behaviour()

    def buy(
        self, sku: str, customer_no: str, ref_id: str, behaviour: Behaviour
    ) -> tuple[Purchase, bool]:
        """The purchase under `ref_id` and whether it is new: the one made before (never a
        second charge), or one made as `behaviour` says. Raises Refused when nothing is made."""
        with self.lock:
            found = self.purchases.get(ref_id)
            if found is not None:
                if found.product.sku != sku or found.customer_no != customer_no:
                    raise Refused("49")
                return replace(found), False
            product = BY_SKU.get(sku)
            if product is None or not product.seller_active:
                raise Refused("43")
            if behaviour.kind == "failure":
                status: Status = "Gagal"
            elif behaviour.kind in ("pending_success", "pending_failure"):
                status = "Pending"
            elif behaviour.kind == "lost" and behaviour.then == "pending":
                status = "Pending"
            else:
                status = "Sukses"
            if status != "Gagal" and self.deposit < product.price:
                raise Refused("44")
            self.counter += 1
            purchase = Purchase(
                trx_id=f"SBX{self.counter:010d}",
                ref_id=ref_id,
                product=product,
                customer_no=customer_no,
                status=status,
                rc={"Sukses": "00", "Pending": "03", "Gagal": behaviour.rc}[status],
                settles_to="Gagal" if behaviour.kind == "pending_failure" else "Sukses",
                fail_rc=behaviour.rc,
                created_at=time.time(),
            )
            if status != "Gagal":
                self.deposit -= product.price
            if status == "Sukses":
                purchase.sn = _serial(purchase)
            purchase.balance_after = self.deposit
            self.purchases[ref_id] = purchase
            return replace(purchase), True

    def settle(self, ref_id: str, to: Status | None = None) -> Purchase:
        """End a Pending purchase as its behaviour (or `to`) says; a failure gives the
        deposit back. Raises KeyError, or ValueError when it is not Pending."""
        with self.lock:
            purchase = self.purchases[ref_id]
            if purchase.status != "Pending":
                raise ValueError(f"the purchase is {purchase.status}, not Pending")
            purchase.status = to or purchase.settles_to or "Sukses"
            if purchase.status == "Sukses":
                purchase.rc, purchase.sn = "00", _serial(purchase)
            else:
                purchase.rc = purchase.fail_rc
                self.deposit += purchase.product.price
            purchase.balance_after = self.deposit
            return replace(purchase)

    def find(self, ref_id: str) -> Purchase:
        with self.lock:
            return replace(self.purchases[ref_id])

    def all_purchases(self) -> list[Purchase]:
        with self.lock:
            return [replace(purchase) for purchase in self.purchases.values()]

    def record(self, sent: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Number the webhooks just sent (one batch, one purchase) and keep them."""
        with self.lock:
            first = len(self.callbacks) + 1
            numbered = [{"id": first + n} | row for n, row in enumerate(sent)]
            self.callbacks.extend(numbered)
        return copy.deepcopy(numbered)

    def callback_log(self) -> list[dict[str, Any]]:
        with self.lock:
            return copy.deepcopy(self.callbacks)
