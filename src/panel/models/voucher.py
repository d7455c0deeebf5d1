from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from panel.models.base import Base, CreatedAt, Money


class VoucherKind(StrEnum):
    percent = "percent"  # `value` percent of the order's price
    fixed = "fixed"  # `value` off the order's price, never more than the price


class Voucher(CreatedAt, Base):
    """A discount code: issued by the operator for resellers (`issuer_id` NULL, paid by the
    panel out of its revenue) or by a reseller for its own agencies (paid from the reseller's
    wallet when an order uses it). Optional limits: one account, one service or category, a
    minimum order, uses in total and per account, an expiry."""

    __tablename__ = "voucher"
    __table_args__ = (
        # One code per issuer, the operator's included: the buyer types the code, and the
        # buyer's place in the chain says whose vouchers it can use.
        UniqueConstraint("code", "issuer_id", postgresql_nulls_not_distinct=True),
        CheckConstraint("value > 0", name="value_positive"),
        CheckConstraint("kind <> 'percent' OR value <= 100", name="percent_at_most_100"),
        CheckConstraint("max_uses IS NULL OR max_uses > 0", name="max_uses_positive"),
        CheckConstraint(
            "uses_per_account IS NULL OR uses_per_account > 0", name="uses_per_account_positive"
        ),
        CheckConstraint("min_charge IS NULL OR min_charge >= 0", name="min_charge_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    issuer_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    code: Mapped[str] = mapped_column(String(32))
    kind: Mapped[VoucherKind] = mapped_column(
        Enum(VoucherKind, native_enum=False, length=16, validate_strings=True)
    )
    value: Mapped[Money]
    # Only this account may use it (a reward given to one agency); else every account the
    # issuer sells to.
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    service_id: Mapped[int | None] = mapped_column(ForeignKey("service.id"))
    category: Mapped[str | None] = mapped_column(String(200))
    # The smallest order, at its price before the discount, the voucher applies to.
    min_charge: Mapped[Decimal | None] = mapped_column(Numeric(20, 6))
    max_uses: Mapped[int | None] = mapped_column(Integer)
    uses_per_account: Mapped[int | None] = mapped_column(Integer)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class VoucherUse(CreatedAt, Base):
    """One order that used a voucher: the discount taken off its buyer's charge, and the part
    of it the issuer paid into `clearing` beside the buyer (the whole discount for a
    reseller's voucher; nothing for the operator's, which the panel's revenue bears at
    settlement). A use counts against the voucher's limits unless its order failed or was
    canceled."""

    __tablename__ = "voucher_use"
    __table_args__ = (
        CheckConstraint("discount > 0", name="discount_positive"),
        CheckConstraint("funded >= 0 AND funded <= discount", name="funded_within_discount"),
        # The limits: a voucher's uses, and one account's uses of it.
        Index("voucher_use_voucher_id_account_id_idx", "voucher_id", "account_id"),
    )

    order_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("order.id"), primary_key=True, autoincrement=False
    )
    voucher_id: Mapped[int] = mapped_column(ForeignKey("voucher.id"))
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"))
    discount: Mapped[Money]
    funded: Mapped[Money]
