"""Vouchers over the APIs: `/v1/vouchers`, a reseller's for its agencies; `/admin/v1/vouchers`,
the operator's for resellers. Both issue, list and change the caller's own vouchers; the
rules are `growth.voucher_book`, and an order names a voucher with its `voucher` field."""

from datetime import UTC, datetime
from decimal import Decimal
from typing import Self

from fastapi import APIRouter, status
from pydantic import AwareDatetime, Field
from sqlalchemy.ext.asyncio import AsyncSession

from panel.errors import NotFound
from panel.growth import voucher_book
from panel.growth.voucher_book import Issued, Terms
from panel.keys.callers import BuyerDep, OperatorDep
from panel.models import Account, AccountKind, ApiKey, VoucherKind
from panel.plumbing.deps import SessionDep
from panel.plumbing.schemas import Amount, MoneyText, NonNegativeAmount, Out, PathId, RefId, Schema

router = APIRouter(tags=["vouchers"])
admin_router = APIRouter(tags=["admin: vouchers"])


class VoucherCreate(Schema):
    code: str = Field(
        min_length=3,
        max_length=32,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]+$",
        description="what buyers type; kept in upper case",
    )
    kind: VoucherKind = Field(description="`percent` of the price, or a `fixed` amount off")
    value: Amount = Field(description="the percentage (at most 100) or the amount")
    account_id: RefId | None = Field(
        default=None, description="only this account may use it; none: every buyer of yours"
    )
    service_id: RefId | None = Field(default=None, description="only for this service")
    category: str | None = Field(
        default=None, min_length=1, max_length=200, description="only for this category"
    )
    min_charge: NonNegativeAmount | None = Field(
        default=None, description="the smallest order it applies to, at its price before it"
    )
    max_uses: int | None = Field(default=None, ge=1, le=10_000_000, description="in total")
    uses_per_account: int | None = Field(default=None, ge=1, le=10_000_000)
    expires_at: AwareDatetime | None = None

    def terms(self) -> Terms:
        return Terms(**self.model_dump())


class VoucherChange(Schema):
    active: bool | None = None
    expires_at: AwareDatetime | None = None
    max_uses: int | None = Field(default=None, ge=1, le=10_000_000)


class VoucherOut(Out):
    id: int
    code: str
    kind: VoucherKind
    value: MoneyText
    account_id: int | None
    service_id: int | None
    category: str | None
    min_charge: MoneyText | None
    max_uses: int | None
    uses_per_account: int | None
    expires_at: datetime | None
    active: bool
    created_at: datetime
    uses: int = Field(description="orders that used it and did not fail or get canceled")
    discounted: MoneyText = Field(description="what those orders were given off")

    @classmethod
    def of(cls, issued: Issued) -> Self:
        voucher = issued.voucher
        fields = {name: getattr(voucher, name) for name in cls.model_fields if name in _KEPT}
        return cls.model_validate({**fields, "uses": issued.uses, "discounted": issued.discounted})


_KEPT = set(voucher_book.FIELDS) | {"id", "created_at"}


def _reseller(buyer: Account) -> Account:
    # As /v1/levels answers an agency: what only resellers have does not exist for it.
    if buyer.kind is not AccountKind.reseller:
        raise NotFound("vouchers are issued by resellers; an agency names one in its order")
    return buyer


async def _one(session: AsyncSession, issuer: Account, voucher_id: int) -> VoucherOut:
    [issued] = await voucher_book.issued(session, issuer, [voucher_id])
    return VoucherOut.of(issued)


async def _issue(session: AsyncSession, issuer: Account, body: VoucherCreate) -> VoucherOut:
    made = await voucher_book.issue(session, issuer, body.terms(), datetime.now(UTC))
    return VoucherOut.of(Issued(made, 0, Decimal(0)))


async def _change(
    session: AsyncSession, issuer: Account, voucher_id: int, body: VoucherChange
) -> VoucherOut:
    changed = await voucher_book.change(session, issuer, voucher_id, **body.model_dump())
    return await _one(session, issuer, changed.id)


# --- /v1: a reseller's, for its agencies -------------------------------------------------------


@router.get("/vouchers")
async def list_vouchers(session: SessionDep, buyer: BuyerDep) -> list[VoucherOut]:
    """Your vouchers for your agencies, newest first, with their uses."""
    return [VoucherOut.of(i) for i in await voucher_book.issued(session, _reseller(buyer))]


@router.post("/vouchers", status_code=status.HTTP_201_CREATED)
async def issue_voucher(body: VoucherCreate, session: SessionDep, buyer: BuyerDep) -> VoucherOut:
    """Issue a voucher your agencies name in their orders. You pay its discount: it leaves
    your wallet with each order that uses it (an order is refused the voucher when your
    balance cannot cover it), and what the order does not deliver comes back at settlement."""
    return await _issue(session, _reseller(buyer), body)


@router.patch("/vouchers/{voucher_id}")
async def change_voucher(
    voucher_id: PathId, body: VoucherChange, session: SessionDep, buyer: BuyerDep
) -> VoucherOut:
    """Switch it off or on, or give it a new expiry or total limit."""
    return await _change(session, _reseller(buyer), voucher_id, body)


# --- /admin/v1: the operator's, for resellers --------------------------------------------------


async def _actor(session: AsyncSession, operator: ApiKey) -> Account:
    return await session.get_one(Account, operator.account_id)


@admin_router.get("/vouchers")
async def list_operator_vouchers(session: SessionDep, operator: OperatorDep) -> list[VoucherOut]:
    """The panel's vouchers for resellers, newest first, with their uses."""
    issuer = await _actor(session, operator)
    return [VoucherOut.of(i) for i in await voucher_book.issued(session, issuer)]


@admin_router.post("/vouchers", status_code=status.HTTP_201_CREATED)
async def issue_operator_voucher(
    body: VoucherCreate, session: SessionDep, operator: OperatorDep
) -> VoucherOut:
    """Issue a voucher resellers name in their own orders; the panel's revenue bears it."""
    return await _issue(session, await _actor(session, operator), body)


@admin_router.patch("/vouchers/{voucher_id}")
async def change_operator_voucher(
    voucher_id: PathId, body: VoucherChange, session: SessionDep, operator: OperatorDep
) -> VoucherOut:
    """Switch it off or on, or give it a new expiry or total limit."""
    return await _change(session, await _actor(session, operator), voucher_id, body)
