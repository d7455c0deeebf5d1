from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from panel.models.base import Base, CreatedAt


class ServiceChange(StrEnum):
    added = "added"  # orderable for the first time
    price = "price"  # the primary route's cost moved
    limits = "limits"  # min or max quantity
    disabled = "disabled"  # no longer orderable
    enabled = "enabled"  # orderable again
    refill = "refill"
    cancel = "cancel"


class ServiceUpdate(CreatedAt, Base):
    """One change to a service that its buyers would care about, recorded in the transaction
    that made it. Prices are kept as the base cost (the primary route's, in the panel's
    currency) before and after: each buyer's own rates are derived from it by the price rules
    when the update is read, so one row serves every buyer."""

    __tablename__ = "service_update"
    __table_args__ = (
        # Updates not yet turned into webhook deliveries, oldest first.
        Index("service_update_pending_idx", "id", postgresql_where=text("fanned_out_at IS NULL")),
        Index("service_update_created_at_idx", "created_at"),  # the purge
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("service.id"), index=True)
    change: Mapped[ServiceChange] = mapped_column(
        Enum(ServiceChange, native_enum=False, length=16, validate_strings=True)
    )
    # None where the service had no price (not orderable) on that side.
    cost_before: Mapped[Decimal | None] = mapped_column(Numeric(20, 6))
    cost_after: Mapped[Decimal | None] = mapped_column(Numeric(20, 6))
    min_before: Mapped[int | None] = mapped_column(Integer)
    min_after: Mapped[int | None] = mapped_column(Integer)
    max_before: Mapped[int | None] = mapped_column(Integer)
    max_after: Mapped[int | None] = mapped_column(Integer)
    # Refill or cancel allowed, for those changes.
    allowed_before: Mapped[bool | None] = mapped_column(Boolean)
    allowed_after: Mapped[bool | None] = mapped_column(Boolean)
    fanned_out_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
