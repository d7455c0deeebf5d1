"""Vouchers at acceptance: which voucher an order names, whether the order may use it, and
what it takes off the price.

An order names a voucher by its code (`voucher`, beside the order's fields, on every surface).
The code is looked up among the vouchers of whoever sells to the buyer: a reseller uses the
operator's vouchers, an agency its reseller's. A voucher that cannot be used refuses the order
with the reason: a buyer who asked for a discount is never charged the full price instead.

The discount comes off the buyer's charge, so the buyer's charge row is what it actually paid
and every refund is a share of that. A reseller's voucher is paid by the reseller: the discount
leaves its wallet into `clearing` with the buyer's payment (refused if the wallet cannot cover
it, like any payment), and settlement gives the reseller back what the order did not cost it.
The operator's is paid by the panel: its revenue at settlement is what the buyer paid.

Limits hold under any concurrency: a batch locks the vouchers it names (in id order) before it
counts their uses, so two batches cannot both take the last use, and within a batch each use
is counted as it is given. A use whose order failed or was canceled is given back.
"""

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_DOWN, Decimal
from typing import Any

from sqlalchemy import Row, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from panel.models import VoucherKind, VoucherUse
from panel.money import PLACES
from panel.orders import texts
from panel.orders.texts import Refused
from panel.plumbing.db import one_of

CODE = re.compile(r"[A-Z0-9][A-Z0-9_-]{2,31}")
FIELD = "voucher"


def code_of(fields: Mapping[str, str]) -> str | None:
    """The voucher code an order's fields name, as codes are kept (upper case); None without
    one. A code no voucher could have is refused at once."""
    given = (fields.get(FIELD) or "").strip().upper()
    if not given:
        return None
    if not CODE.fullmatch(given):
        raise Refused(texts.INCORRECT_VOUCHER)
    return given


def discount_of(kind: VoucherKind, value: Decimal, price: Decimal) -> Decimal:
    """What a voucher takes off `price`: a percentage rounded down, or a fixed amount; never
    more than the price."""
    if kind is VoucherKind.percent:
        off = (price * value / 100).quantize(PLACES, rounding=ROUND_DOWN)
    else:
        off = value
    return min(off, price)


@dataclass(frozen=True)
class Asked:
    """What an order asks of a voucher: its code, the buyer, who sells to it (None for a
    reseller: the operator), the service, and the price before any discount."""

    code: str
    buyer_id: int
    issuer_id: int | None
    service_id: int
    category: str
    price: Decimal


@dataclass(frozen=True)
class Discount:
    voucher_id: int
    amount: Decimal
    # The issuer's account when it pays the discount into clearing (a reseller); None when
    # the panel's revenue bears it.
    funded_by: int | None

    @property
    def funded(self) -> Decimal:
        return self.amount if self.funded_by is not None else Decimal(0)


@dataclass(frozen=True)
class _Voucher:
    id: int
    issuer_id: int | None
    kind: VoucherKind
    value: Decimal
    account_id: int | None
    service_id: int | None
    category: str | None
    min_charge: Decimal | None
    max_uses: int | None
    uses_per_account: int | None
    expires_at: datetime | None
    active: bool

    @classmethod
    def of(cls, row: Row[Any]) -> "_Voucher":
        return cls(
            id=row.id,
            issuer_id=row.issuer_id,
            kind=VoucherKind(row.kind),
            value=row.value,
            account_id=row.account_id,
            service_id=row.service_id,
            category=row.category,
            min_charge=row.min_charge,
            max_uses=row.max_uses,
            uses_per_account=row.uses_per_account,
            expires_at=row.expires_at,
            active=row.active,
        )


class Claims:
    """The vouchers a batch names, locked for its transaction, with their uses so far."""

    def __init__(
        self,
        vouchers: dict[tuple[int | None, str], _Voucher],
        used: Counter[int],
        used_by: Counter[tuple[int, int]],
        now: datetime,
    ) -> None:
        self._vouchers = vouchers
        self._used = used
        self._used_by = used_by
        self._now = now

    def offer(self, asked: Asked) -> Discount | Refused:
        """The discount `asked` would get now, or why it gets none."""
        found = self._vouchers.get((asked.issuer_id, asked.code))
        if found is None or not found.active:
            return Refused(texts.INCORRECT_VOUCHER)
        if found.account_id is not None and found.account_id != asked.buyer_id:
            return Refused(texts.INCORRECT_VOUCHER)
        if found.expires_at is not None and found.expires_at <= self._now:
            return Refused(texts.VOUCHER_EXPIRED)
        if (found.service_id is not None and found.service_id != asked.service_id) or (
            found.category is not None and found.category != asked.category
        ):
            return Refused(texts.VOUCHER_NOT_FOR_SERVICE)
        if found.min_charge is not None and asked.price < found.min_charge:
            return Refused(texts.VOUCHER_BELOW_MINIMUM)
        if found.max_uses is not None and self._used[found.id] >= found.max_uses:
            return Refused(texts.VOUCHER_USED_UP)
        if (
            found.uses_per_account is not None
            and self._used_by[(found.id, asked.buyer_id)] >= found.uses_per_account
        ):
            return Refused(texts.VOUCHER_USED_UP)
        amount = discount_of(found.kind, found.value, asked.price)
        if amount <= 0:
            return Refused(texts.VOUCHER_NOT_FOR_SERVICE)
        return Discount(found.id, amount, found.issuer_id)

    def take(self, asked: Asked, discount: Discount) -> None:
        """Count a use given, so the batch's later orders see it."""
        self._used[discount.voucher_id] += 1
        self._used_by[(discount.voucher_id, asked.buyer_id)] += 1


async def claims(session: AsyncSession, asked: Sequence[Asked], now: datetime) -> Claims:
    """Lock the vouchers `asked` names and count their uses; two statements."""
    if not asked:
        return Claims({}, Counter(), Counter(), now)
    wanted = sorted({(a.issuer_id or 0, a.code) for a in asked})
    rows = await session.execute(
        _LOCK,
        {"issuers": [issuer for issuer, _ in wanted], "codes": [code for _, code in wanted]},
    )
    vouchers = {(row.issuer_id, row.code): _Voucher.of(row) for row in rows}
    used: Counter[int] = Counter()
    used_by: Counter[tuple[int, int]] = Counter()
    if vouchers:
        counted = await session.execute(
            _USES,
            {
                "vouchers": [v.id for v in vouchers.values()],
                "buyers": sorted({a.buyer_id for a in asked}),
            },
        )
        for voucher_id, account_id, uses in counted:
            used[voucher_id] += uses
            if account_id is not None:
                used_by[(voucher_id, account_id)] += uses
    return Claims(vouchers, used, used_by, now)


async def funded(session: AsyncSession, order_ids: Sequence[int]) -> dict[int, Decimal]:
    """The discounts resellers paid into clearing for `order_ids`, by order; for settlement."""
    if not order_ids:
        return {}
    rows = await session.execute(
        select(VoucherUse.order_id, VoucherUse.funded).where(
            one_of(VoucherUse.order_id, order_ids), VoucherUse.funded > 0
        )
    )
    return {order_id: amount for order_id, amount in rows}


# Locked in id order, so batches naming the same vouchers queue rather than deadlock.
_LOCK = text("""
SELECT v.id, v.issuer_id, v.code, v.kind, v.value, v.account_id, v.service_id, v.category,
       v.min_charge, v.max_uses, v.uses_per_account, v.expires_at, v.active
FROM voucher v
JOIN unnest(CAST(:issuers AS integer[]), CAST(:codes AS text[])) AS w(issuer, code)
  ON v.code = w.code AND v.issuer_id IS NOT DISTINCT FROM NULLIF(w.issuer, 0)
ORDER BY v.id
FOR UPDATE OF v
""")

# Uses that count: every one whose order did not fail or get canceled. One row per voucher
# with the batch's buyers' own uses apart (account_id), the rest together (account_id NULL).
_USES = text("""
SELECT u.voucher_id,
       CASE WHEN u.account_id = ANY(CAST(:buyers AS integer[])) THEN u.account_id END,
       count(*)
FROM voucher_use u
JOIN "order" o ON o.id = u.order_id
WHERE u.voucher_id = ANY(CAST(:vouchers AS integer[]))
  AND o.status NOT IN ('failed', 'canceled')
GROUP BY 1, 2
""")
