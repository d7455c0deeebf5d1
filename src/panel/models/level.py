from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    Integer,
    Numeric,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from panel.models.base import Base, CreatedAt, Percent


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


class AgencyStanding(Base):
    """Where an agency stands: the level it holds for its current period, and when that period
    began. Rolled forward from the settled orders whenever it is read."""

    __tablename__ = "agency_standing"

    agency_id: Mapped[int] = mapped_column(ForeignKey("account.id"), primary_key=True)
    level_id: Mapped[int | None] = mapped_column(
        ForeignKey("agency_level.id", ondelete="SET NULL"), index=True
    )
    period_started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
