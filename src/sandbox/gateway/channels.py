"""The payment channels the sandbox gateway offers, with Tripay's fees and limits.

Every fee is charged to the merchant: the buyer pays exactly the amount asked for, and the
merchant receives the amount less the fee. Fees are whole rupiah, the percent part rounded up.
"""

from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal
from typing import Any, Literal

Group = Literal["Virtual Account", "Convenience Store", "E-Wallet"]


@dataclass(frozen=True)
class Channel:
    group: Group
    code: str
    name: str
    flat: int
    percent: Decimal
    minimum_amount: int
    maximum_amount: int
    pay_code_prefix: str | None  # None: paid by scanning a QR code, no code to type
    active: bool = True

    def fee(self, amount: int) -> int:
        part = (Decimal(amount) * self.percent / 100).to_integral_value(ROUND_CEILING)
        return self.flat + int(part)

    def shown(self) -> dict[str, Any]:
        """As `GET /merchant/payment-channel` lists it."""
        fee = {"flat": self.flat, "percent": self.percent}
        return {
            "group": self.group,
            "code": self.code,
            "name": self.name,
            "type": "DIRECT",
            "fee_merchant": fee,
            "fee_customer": {"flat": 0, "percent": 0},
            "total_fee": dict(fee),
            "minimum_fee": None,
            "maximum_fee": None,
            "minimum_amount": self.minimum_amount,
            "maximum_amount": self.maximum_amount,
            "icon_url": "",
            "active": self.active,
        }


CHANNELS: tuple[Channel, ...] = (
    Channel("E-Wallet", "QRIS", "QRIS", 750, Decimal("0.7"), 1_000, 5_000_000, None),
    Channel(
        "Virtual Account",
        "BRIVA",
        "BRI Virtual Account",
        4250,
        Decimal(0),
        10_000,
        50_000_000,
        "88908",
    ),
    Channel(
        "Virtual Account",
        "BCAVA",
        "BCA Virtual Account",
        5500,
        Decimal(0),
        10_000,
        50_000_000,
        "11386",
    ),
    Channel(
        "Virtual Account",
        "MANDIRIVA",
        "Mandiri Virtual Account",
        4250,
        Decimal(0),
        10_000,
        50_000_000,
        "89022",
    ),
    Channel(
        "Convenience Store",
        "ALFAMART",
        "Alfamart",
        3500,
        Decimal(0),
        10_000,
        2_500_000,
        "TRPY",
    ),
)
BY_CODE = {channel.code: channel for channel in CHANNELS}
