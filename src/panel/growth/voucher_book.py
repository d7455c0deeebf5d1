"""Issuing vouchers: the operator's for resellers, a reseller's for its own agencies.

A voucher is issued once and then only switched off or on, given a new expiry or a new total
limit: its discount and scope stay what its buyers were told. The operator's writes are
operator actions, in the action log. Whether an order may use a voucher is `growth.vouchers`.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from panel import action_log
from panel.errors import Conflict, Forbidden, Invalid, NotFound
from panel.growth.vouchers import CODE
from panel.models import (
    Account,
    AccountKind,
    Order,
    OrderStatus,
    Service,
    Voucher,
    VoucherKind,
    VoucherUse,
)
from panel.money import PLACES

FIELDS = (
    "code",
    "kind",
    "value",
    "account_id",
    "service_id",
    "category",
    "min_charge",
    "max_uses",
    "uses_per_account",
    "expires_at",
    "active",
)
MAX_FIXED = Decimal("99999999999999")


@dataclass(frozen=True)
class Terms:
    """What an issuer sets when it issues a voucher."""

    code: str
    kind: VoucherKind
    value: Decimal
    account_id: int | None = None
    service_id: int | None = None
    category: str | None = None
    min_charge: Decimal | None = None
    max_uses: int | None = None
    uses_per_account: int | None = None
    expires_at: datetime | None = None


@dataclass(frozen=True)
class Issued:
    voucher: Voucher
    uses: int  # uses that count against its limit: orders not failed or canceled
    discounted: Decimal  # what those orders were given off


def issuer_of(account: Account) -> int | None:
    """Whose vouchers an account issues: None for the operator's, else the reseller's own id.
    An agency issues none."""
    if account.kind is AccountKind.operator:
        return None
    if account.kind is AccountKind.reseller:
        return account.id
    raise Forbidden("agencies use vouchers; their reseller issues them")


async def issue(session: AsyncSession, issuer: Account, terms: Terms, now: datetime) -> Voucher:
    """Issue a voucher; `Invalid` (with a `code`) for terms that cannot be, `Conflict` for a
    code the issuer already has."""
    issuer_id = issuer_of(issuer)
    code = terms.code.strip().upper()
    if not CODE.fullmatch(code):
        raise Invalid(
            "a code is 3 to 32 letters, digits, '-' or '_', starting with a letter or digit",
            code="voucher_code",
        )
    _check_value(terms.kind, terms.value)
    if terms.service_id is not None and terms.category is not None:
        raise Invalid("a voucher is for one service or one category, not both", code="scope")
    if terms.service_id is not None and await session.get(Service, terms.service_id) is None:
        raise Invalid(f"service {terms.service_id} does not exist", code="service")
    if terms.account_id is not None:
        await _check_holder(session, issuer_id, terms.account_id)
    if terms.min_charge is not None and terms.min_charge < 0:
        raise Invalid("a minimum order cannot be negative", code="min_charge")
    for name, limit in (("max_uses", terms.max_uses), ("uses_per_account", terms.uses_per_account)):
        if limit is not None and limit < 1:
            raise Invalid(f"{name} is at least 1", code=name)
    if terms.expires_at is not None and terms.expires_at <= now:
        raise Invalid("an expiry must be in the future", code="expiry_past")
    voucher = Voucher(
        issuer_id=issuer_id,
        code=code,
        kind=terms.kind,
        value=terms.value,
        account_id=terms.account_id,
        service_id=terms.service_id,
        category=(terms.category or "").strip() or None,
        min_charge=terms.min_charge,
        max_uses=terms.max_uses,
        uses_per_account=terms.uses_per_account,
        expires_at=terms.expires_at,
        active=True,
    )
    try:
        async with session.begin_nested():
            session.add(voucher)
            await session.flush()
    except IntegrityError as error:
        raise Conflict(f"a voucher with code {code} exists") from error
    if issuer_id is None:
        await action_log.record(
            session,
            issuer.id,
            "voucher.issue",
            "voucher",
            voucher.id,
            after=action_log.snapshot(voucher, FIELDS),
        )
    return voucher


async def change(
    session: AsyncSession,
    issuer: Account,
    voucher_id: int,
    *,
    active: bool | None = None,
    expires_at: datetime | None = None,
    max_uses: int | None = None,
) -> Voucher:
    """Switch a voucher off or on, or give it a new expiry or total limit. Locked as orders
    lock it, so a change and an order using the voucher happen one after the other."""
    voucher = await session.scalar(
        select(Voucher)
        .where(Voucher.id == voucher_id, Voucher.issuer_id.is_not_distinct_from(issuer_of(issuer)))
        .with_for_update()
    )
    if voucher is None:
        raise NotFound(f"voucher {voucher_id} not found")
    if max_uses is not None and max_uses < 1:
        raise Invalid("max_uses is at least 1", code="max_uses")
    before = action_log.snapshot(voucher, FIELDS)
    if active is not None:
        voucher.active = active
    if expires_at is not None:
        voucher.expires_at = expires_at
    if max_uses is not None:
        voucher.max_uses = max_uses
    await session.flush()
    if voucher.issuer_id is None:
        await action_log.record(
            session,
            issuer.id,
            "voucher.change",
            "voucher",
            voucher.id,
            before=before,
            after=action_log.snapshot(voucher, FIELDS),
        )
    return voucher


async def issued(
    session: AsyncSession, issuer: Account, voucher_ids: Sequence[int] | None = None
) -> list[Issued]:
    """The issuer's vouchers, newest first, each with its uses so far."""
    counted = (
        select(
            VoucherUse.voucher_id,
            func.count().label("uses"),
            func.sum(VoucherUse.discount).label("discounted"),
        )
        .join(Order, Order.id == VoucherUse.order_id)
        .where(Order.status.not_in([OrderStatus.failed, OrderStatus.canceled]))
        .group_by(VoucherUse.voucher_id)
        .subquery()
    )
    query = (
        select(Voucher, counted.c.uses, counted.c.discounted)
        .outerjoin(counted, counted.c.voucher_id == Voucher.id)
        .where(Voucher.issuer_id.is_not_distinct_from(issuer_of(issuer)))
        .order_by(Voucher.id.desc())
    )
    if voucher_ids is not None:
        query = query.where(Voucher.id.in_(voucher_ids))
    return [
        Issued(voucher, uses or 0, discounted or Decimal(0))
        for voucher, uses, discounted in await session.execute(query)
    ]


def _check_value(kind: VoucherKind, value: Decimal) -> None:
    if value <= 0 or value != value.quantize(PLACES):
        raise Invalid("a voucher's value is positive, with at most 6 decimals", code="value")
    if kind is VoucherKind.percent and value > 100:
        raise Invalid("a percentage is at most 100", code="value")
    if kind is VoucherKind.fixed and value > MAX_FIXED:
        raise Invalid("a fixed discount is too large", code="value")


async def _check_holder(session: AsyncSession, issuer_id: int | None, account_id: int) -> None:
    """A voucher for one account is for one the issuer sells to: the operator's for a
    reseller, a reseller's for one of its agencies."""
    holder = await session.get(Account, account_id)
    if issuer_id is None:
        fits = holder is not None and holder.kind is AccountKind.reseller
    else:
        fits = holder is not None and holder.parent_id == issuer_id
    if not fits:
        raise Invalid(f"account {account_id} cannot use this issuer's vouchers", code="account")
