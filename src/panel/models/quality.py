from datetime import datetime
from decimal import Decimal

from sqlalchemy import DateTime, Integer, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from panel.models.base import Base

Rate = Numeric(7, 4)  # a share between 0 and 1


class QualityFigures(Base):
    """How a service or a provider did over the last 30 days, from Pasok's own orders;
    refreshed by a cron, read by every surface."""

    __tablename__ = "quality_figures"

    subject: Mapped[str] = mapped_column(String(16), primary_key=True)  # service | provider
    subject_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    computed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    orders: Mapped[int] = mapped_column(Integer)  # finished in the window
    completion_rate: Mapped[Decimal | None] = mapped_column(Rate)
    partial_rate: Mapped[Decimal | None] = mapped_column(Rate)
    cancel_rate: Mapped[Decimal | None] = mapped_column(Rate)
    median_start_s: Mapped[int | None] = mapped_column(Integer)
    median_complete_s: Mapped[int | None] = mapped_column(Integer)
    refills: Mapped[int] = mapped_column(Integer)
    refill_success_rate: Mapped[Decimal | None] = mapped_column(Rate)
