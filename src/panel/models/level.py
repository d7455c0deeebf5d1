from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import (
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

from panel.models.base import Base, CreatedAt, Money, Percent


class AgencyLevel(CreatedAt, Base):
    """A level a reseller offers its agencies: reached by earning `target` points in a level
    period; it may lower the agency's markup and shows a badge."""

    __tablename__ = "agency_level"
    __table_args__ = (
        # Levels are ranked by target, so two levels of one reseller never share one.
        UniqueConstraint("reseller_id", "target", name="agency_level_target_key"),
        UniqueConstraint("reseller_id", "name", name="agency_level_name_key"),
        CheckConstraint("target >= 0", name="target_not_negative"),
        CheckConstraint("markup_percent >= -100", name="markup_percent_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reseller_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    name: Mapped[str] = mapped_column(String(60))
    target: Mapped[int] = mapped_column(Integer)
    # The reseller's markup over its own rate for agencies holding the level; None: unchanged.
    markup_percent: Mapped[Decimal | None] = mapped_column(Numeric(9, 4))
    badge: Mapped[str] = mapped_column(String(16))


class LevelSettings(Base):
    """A reseller's rules for its agencies' levels; a reseller without a row has the defaults."""

    __tablename__ = "level_settings"
    __table_args__ = (
        CheckConstraint("keep_percent >= 0 AND keep_percent <= 100", name="keep_percent_range"),
        CheckConstraint("reset_days >= 7 AND reset_days <= 365", name="reset_days_range"),
    )

    reseller_id: Mapped[int] = mapped_column(ForeignKey("account.id"), primary_key=True)
    keep_percent: Mapped[Percent] = mapped_column(default=Decimal(30))
    reset_days: Mapped[int] = mapped_column(Integer, default=90)
    # What one point is worth when an agency redeems it, paid by the reseller; None: points
    # are not redeemed.
    point_credit: Mapped[Decimal | None] = mapped_column(Numeric(20, 6))


class RedemptionKind(StrEnum):
    credit = "credit"  # balance, from the reseller's wallet to the agency's
    voucher = "voucher"  # a voucher of the reseller's for that agency alone, used once


class PointRedemption(CreatedAt, Base):
    """Points an agency redeemed in its current level period, and what it got for them: a
    journal of balance credit, or a voucher."""

    __tablename__ = "point_redemption"
    __table_args__ = (
        CheckConstraint("points > 0", name="points_positive"),
        CheckConstraint("amount > 0", name="amount_positive"),
        # What an agency has redeemed since its period began.
        Index("point_redemption_agency_id_created_at_idx", "agency_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("account.id"))
    points: Mapped[int] = mapped_column(Integer)
    amount: Mapped[Money]
    kind: Mapped[RedemptionKind] = mapped_column(
        Enum(RedemptionKind, native_enum=False, length=16, validate_strings=True)
    )
    journal_id: Mapped[int | None] = mapped_column(ForeignKey("journal.id"))
    voucher_id: Mapped[int | None] = mapped_column(ForeignKey("voucher.id"))


class AgencyStanding(Base):
    """Where an agency stands: the level it holds for its current period, and when that period
    began. Rolled forward from the settled orders whenever it is read."""

    __tablename__ = "agency_standing"

    agency_id: Mapped[int] = mapped_column(ForeignKey("account.id"), primary_key=True)
    level_id: Mapped[int | None] = mapped_column(
        ForeignKey("agency_level.id", ondelete="SET NULL"), index=True
    )
    period_started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
