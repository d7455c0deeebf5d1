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
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from panel.models.base import Base, CreatedAt


def _enum(kind: type[StrEnum]) -> Enum:
    return Enum(kind, native_enum=False, length=24, validate_strings=True)


class TicketTopic(StrEnum):
    order = "order"
    payment = "payment"
    account = "account"


class TicketReason(StrEnum):
    """Why a buyer complains about orders (SMM panels' usual list); `other` for the rest and
    for tickets about payments or the account."""

    not_started = "not_started"
    slow = "slow"
    dropped = "dropped"  # dropped, please refill
    cancel = "cancel"
    partial_no_refund = "partial_no_refund"
    wrong_link = "wrong_link"
    other = "other"


class TicketStatus(StrEnum):
    open = "open"  # waiting on the panel's side (`waiting_on` says whom)
    answered = "answered"  # waiting on the buyer
    closed = "closed"


class Party(StrEnum):
    """Who writes in a ticket, and whom a ticket waits on."""

    automation = "automation"
    buyer = "buyer"
    reseller = "reseller"
    operator = "operator"


class Ticket(CreatedAt, Base):
    """A buyer's complaint or question. An agency's goes to its reseller, under the reseller's
    brand; a reseller's goes to the operator; a reseller may escalate an agency's ticket to the
    operator. The times kept are the figures support is judged by."""

    __tablename__ = "ticket"
    __table_args__ = (
        Index("ticket_account_id_id_idx", "account_id", "id"),
        Index("ticket_reseller_id_id_idx", "reseller_id", "id"),
        Index("ticket_waiting_idx", "waiting_on", "id", postgresql_where=text("status = 'open'")),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"))  # who opened it
    # The reseller it belongs to: the agency's reseller, or the reseller itself.
    reseller_id: Mapped[int] = mapped_column(ForeignKey("account.id"))
    topic: Mapped[TicketTopic] = mapped_column(_enum(TicketTopic))
    reason: Mapped[TicketReason] = mapped_column(_enum(TicketReason))
    subject: Mapped[str] = mapped_column(String(200))
    # The buyer's language ("id" or "en"): the automation answers in it.
    lang: Mapped[str] = mapped_column(String(2), default="id")
    status: Mapped[TicketStatus] = mapped_column(_enum(TicketStatus))
    waiting_on: Mapped[Party] = mapped_column(_enum(Party))
    escalated: Mapped[bool] = mapped_column(Boolean, default=False)  # the operator's to answer
    # The upstream provider's own ticket, when the operator opened one there.
    upstream_ticket: Mapped[str | None] = mapped_column(String(100))
    # The automatic answer covered every order: the buyer may close it in one tap.
    auto_answered: Mapped[bool] = mapped_column(Boolean, default=False)
    # The newest message's id, kept with each message: the unread count compares it with what
    # each reader has seen, without reading the messages.
    last_message_id: Mapped[int | None] = mapped_column(BigInteger)
    first_auto_answer_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    first_human_answer_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=text("now()")
    )


class TicketOrder(Base):
    """An order a ticket is about, with what the automation found and did for it. One row per
    order and ticket: a refill or cancel is asked for at most once per ticket."""

    __tablename__ = "ticket_order"
    __table_args__ = (UniqueConstraint("ticket_id", "order_id"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"), index=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("order.id"), index=True)
    # Copied from the order when the ticket is opened, so complaint rates are counted per
    # service and provider without a join through orders.
    service_id: Mapped[int] = mapped_column(ForeignKey("service.id"), index=True)
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("provider.id"), index=True)
    answer: Mapped[str | None] = mapped_column(Text)
    # What the automation did: refill_requested, cancel_requested, or nothing.
    action: Mapped[str | None] = mapped_column(String(32))
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Whether the answer settles the complaint, or a person must look.
    settled: Mapped[bool] = mapped_column(Boolean, default=False)


class TicketMessage(CreatedAt, Base):
    __tablename__ = "ticket_message"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))  # None: automation
    party: Mapped[Party] = mapped_column(_enum(Party))
    body: Mapped[str] = mapped_column(Text)


class TicketRead(Base):
    """The last message an account has seen in a ticket: what makes the unread count."""

    __tablename__ = "ticket_read"

    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), primary_key=True)
    message_id: Mapped[int] = mapped_column(BigInteger)


class CannedReply(CreatedAt, Base):
    """A reply a reseller (or the operator, no owner) keeps ready to send."""

    __tablename__ = "canned_reply"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"), index=True)
    title: Mapped[str] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text)


class Channel(StrEnum):
    email = "email"
    telegram = "telegram"


class NotificationStatus(StrEnum):
    pending = "pending"
    sent = "sent"
    failed = "failed"  # given up on after the retry window


class Notification(CreatedAt, Base):
    """One message to one account on one channel, about one event: written in the transaction
    of the event, sent by a cron until the server takes it. `event_key` makes it once per event."""

    __tablename__ = "notification"
    __table_args__ = (
        UniqueConstraint("account_id", "channel", "event_key"),
        Index(
            "notification_due_idx", "next_attempt_at", postgresql_where=text("status = 'pending'")
        ),
        Index("notification_created_at_idx", "created_at"),  # the purge
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    channel: Mapped[Channel] = mapped_column(_enum(Channel))
    event_key: Mapped[str] = mapped_column(String(100))
    address: Mapped[str] = mapped_column(String(320))  # an email address or a Telegram chat id
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[NotificationStatus] = mapped_column(_enum(NotificationStatus))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)


class NotificationTarget(Base):
    """Where an account wants ticket news: its email (the account's own) and a Telegram chat."""

    __tablename__ = "notification_target"

    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), primary_key=True)
    email: Mapped[bool] = mapped_column(Boolean, default=True)
    telegram_chat_id: Mapped[str | None] = mapped_column(String(64))


class ComplaintFigures(Base):
    """Tickets per 100 orders over 30 days, by reason, for a service or a provider; refreshed
    with the quality figures."""

    __tablename__ = "complaint_figures"

    subject: Mapped[str] = mapped_column(String(16), primary_key=True)  # service | provider
    subject_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reason: Mapped[str] = mapped_column(String(24), primary_key=True)  # a reason, or "all"
    tickets: Mapped[int] = mapped_column(Integer)
    orders: Mapped[int] = mapped_column(Integer)
    per_100: Mapped[Decimal] = mapped_column(Numeric(9, 4))
    computed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
