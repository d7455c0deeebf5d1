from datetime import datetime
from decimal import Decimal

from sqlalchemy import BigInteger, CheckConstraint, DateTime, ForeignKey, Index, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from panel.models.base import Base, CreatedAt, Money


class ReferralTerms(Base):
    """What a reseller gives its agencies for bringing in new ones: `share_percent` of the
    reseller's margin on each referred agency's settled orders, for `days` after the referred
    agency signed up. No row: the reseller pays no commission (a share of zero)."""

    __tablename__ = "referral_terms"
    __table_args__ = (
        # A share above 100% would pay out more than the margin the reseller earned.
        CheckConstraint("share_percent >= 0 AND share_percent <= 100", name="share_percent"),
        CheckConstraint("days > 0 AND days <= 3650", name="days"),
    )

    reseller_id: Mapped[int] = mapped_column(ForeignKey("account.id"), primary_key=True)
    share_percent: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    days: Mapped[int]
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ReferralLink(CreatedAt, Base):
    """An agency's own sign-up link under its reseller's brand. Unlike an invitation it is
    used by many and never expires: it only records who brought a new agency in."""

    __tablename__ = "referral_link"

    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)


class Referral(CreatedAt, Base):
    """That `referrer_id` brought `referred_id` in, earning commission on its orders settled
    from orders accepted before `until`. An account is referred once, at sign-up."""

    __tablename__ = "referral"
    __table_args__ = (CheckConstraint("referrer_id <> referred_id", name="not_self"),)

    referred_id: Mapped[int] = mapped_column(ForeignKey("account.id"), primary_key=True)
    referrer_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    until: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ReferralCommission(CreatedAt, Base):
    """The commission one settled order earned its buyer's referrer: a leg of that order's
    settlement journal, recorded here too so the referrer's page lists it with its order.
    One per order at most (the key), as settlement happens once."""

    __tablename__ = "referral_commission"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        # The referrer's page: its commissions, newest first.
        Index("referral_commission_referrer_id_order_id_idx", "referrer_id", "order_id"),
    )

    order_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("order.id"), primary_key=True, autoincrement=False
    )
    referrer_id: Mapped[int] = mapped_column(ForeignKey("account.id"))
    referred_id: Mapped[int] = mapped_column(ForeignKey("account.id"))
    amount: Mapped[Money]
