from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from panel.models.base import Base, CreatedAt


class OrderEvent(CreatedAt, Base):
    """An order's status change, written by a database trigger in the transaction that made
    it, so no change is missed whichever code made it. Webhooks are sent from these."""

    __tablename__ = "order_event"
    __table_args__ = (
        # Events not yet turned into deliveries, oldest first.
        Index("order_event_pending_idx", "id", postgresql_where=text("fanned_out_at IS NULL")),
        Index("order_event_fanned_out_at_idx", "fanned_out_at"),  # the purge
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("order.id"), index=True)
    old_status: Mapped[str | None] = mapped_column(String(16))
    new_status: Mapped[str] = mapped_column(String(16))
    fanned_out_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class WebhookEndpoint(CreatedAt, Base):
    """Where a reseller or agency wants its order events POSTed, signed with its secret."""

    __tablename__ = "webhook_endpoint"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    url: Mapped[str] = mapped_column(String(2048))
    # Kept as given: signing needs it. Shown once, when the endpoint is made.
    secret: Mapped[str] = mapped_column(String(200))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)


class DeliveryStatus(StrEnum):
    pending = "pending"  # not yet accepted by the receiver; retried with backoff
    delivered = "delivered"
    failed = "failed"  # given up on after the retry window


class WebhookDelivery(CreatedAt, Base):
    """One event for one endpoint: its body is fixed when made, its signature per attempt."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        Index(
            "webhook_delivery_due_idx",
            "next_attempt_at",
            postgresql_where=text("status = 'pending'"),
        ),
        Index("webhook_delivery_created_at_idx", "created_at"),  # the purge
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoint.id"), index=True)
    event_type: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[DeliveryStatus] = mapped_column(
        Enum(DeliveryStatus, native_enum=False, length=16, validate_strings=True)
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class WebhookAttempt(Base):
    """One try at a delivery, kept so a reseller can see what its receiver answered."""

    __tablename__ = "webhook_attempt"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("webhook_delivery.id"), index=True)
    attempted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[int] = mapped_column(Integer)
