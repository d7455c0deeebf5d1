from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from panel.models.base import Base, CreatedAt, Money, Percent


class Tier(CreatedAt, Base):
    """A reseller price level, earned by rolling 90-day spend."""

    __tablename__ = "tier"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    min_spend_90d: Mapped[Money] = mapped_column(default=Decimal(0))


class TierChange(CreatedAt, Base):
    """A reseller moved between tiers by its spend (or by an operator): the history."""

    __tablename__ = "tier_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    from_tier_id: Mapped[int | None] = mapped_column(ForeignKey("tier.id"))
    to_tier_id: Mapped[int | None] = mapped_column(ForeignKey("tier.id"))
    # The spend that moved it; none when an operator did.
    spend_90d: Mapped[Decimal | None] = mapped_column(Numeric(20, 6))
    reason: Mapped[str] = mapped_column(String(200))


class PriceRule(CreatedAt, Base):
    """A markup over the route cost (operator rules) or over the reseller's rate (a reseller's
    rules for its agencies, `owner_id` = the reseller). Scope: at most one of account and tier,
    at most one of service and category; the most specific matching rule wins."""

    __tablename__ = "price_rule"
    __table_args__ = (
        CheckConstraint("account_id IS NULL OR tier_id IS NULL", name="one_subject"),
        CheckConstraint("service_id IS NULL OR category IS NULL", name="one_target"),
        # A reseller prices only its own agencies, never by tier.
        CheckConstraint("owner_id IS NULL OR tier_id IS NULL", name="owner_no_tier"),
        CheckConstraint("markup_percent >= -100", name="markup_percent_range"),
        CheckConstraint("floor_margin >= 0", name="floor_not_negative"),
        # One rule per scope, so "the most specific rule" is always a single rule.
        UniqueConstraint(
            "owner_id",
            "account_id",
            "tier_id",
            "service_id",
            "category",
            name="price_rule_scope_key",
            postgresql_nulls_not_distinct=True,
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"), index=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"), index=True)
    tier_id: Mapped[int | None] = mapped_column(ForeignKey("tier.id"), index=True)
    service_id: Mapped[int | None] = mapped_column(ForeignKey("service.id"), index=True)
    category: Mapped[str | None] = mapped_column(String(200))
    markup_percent: Mapped[Percent] = mapped_column(default=Decimal(0))
    markup_fixed: Mapped[Money] = mapped_column(default=Decimal(0))
    floor_margin: Mapped[Money] = mapped_column(default=Decimal(0))
