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

from panel.models.base import Base, CreatedAt, Money, Percent


def _enum(kind: type[StrEnum]) -> Enum:
    return Enum(kind, native_enum=False, length=24, validate_strings=True)


class GatewayKind(StrEnum):
    tripay = "tripay"  # QRIS, bank virtual accounts, retail outlets
    manual = "manual"  # a transfer to a bank or e-wallet account, told apart by a unique code


class PaymentGateway(CreatedAt, Base):
    """Where money is paid to. The operator's (no owner) takes resellers' deposits into the
    panel; a reseller's takes its agencies' deposits, which the panel then credits from the
    reseller's own wallet. Keys are secrets: never logged, never returned by an API."""

    __tablename__ = "payment_gateway"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"), index=True)
    kind: Mapped[GatewayKind] = mapped_column(_enum(GatewayKind))
    name: Mapped[str] = mapped_column(String(100))
    currency: Mapped[str] = mapped_column(String(3))
    merchant_code: Mapped[str] = mapped_column(String(100), default="")
    api_key: Mapped[str] = mapped_column(String(500), default="")
    # Tripay: signs what Pasok sends and every callback. Manual: signs statement webhooks.
    private_key: Mapped[str] = mapped_column(String(500), default="")
    production: Mapped[bool] = mapped_column(Boolean, default=False)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)


class MethodKind(StrEnum):
    qris = "qris"
    virtual_account = "virtual_account"
    retail = "retail"
    transfer = "transfer"  # to a bank account, by hand
    ewallet = "ewallet"  # to an e-wallet account, by hand


class FeePayer(StrEnum):
    buyer = "buyer"  # added to what the buyer pays
    receiver = "receiver"  # absorbed: the buyer pays the amount, the receiver gets less


class PaymentMethod(CreatedAt, Base):
    """One way to pay through a gateway (Tripay's QRIS or BRIVA, or "BCA 123 a.n. Toko"),
    with its fee and limits as the gateway sets them."""

    __tablename__ = "payment_method"
    __table_args__ = (UniqueConstraint("gateway_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    gateway_id: Mapped[int] = mapped_column(ForeignKey("payment_gateway.id"), index=True)
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[MethodKind] = mapped_column(_enum(MethodKind))
    fee_flat: Mapped[Money] = mapped_column(default=Decimal(0))
    fee_percent: Mapped[Percent] = mapped_column(default=Decimal(0))
    fee_paid_by: Mapped[FeePayer] = mapped_column(_enum(FeePayer), default=FeePayer.buyer)
    min_amount: Mapped[Money]
    max_amount: Mapped[Money]
    # For a transfer by hand: the account to pay into, shown to the buyer.
    instructions: Mapped[str] = mapped_column(Text, default="")
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)


class DepositStatus(StrEnum):
    pending = "pending"  # waiting for the buyer's payment
    paid = "paid"  # credited
    held = "held"  # paid to a reseller whose wallet cannot fund it yet: credited when it can
    review = "review"  # the money came oddly: a person decides
    expired = "expired"
    failed = "failed"
    rejected = "rejected"  # a transfer by hand its receiver says never came


OPEN_DEPOSITS = (DepositStatus.pending, DepositStatus.held)


class Deposit(CreatedAt, Base):
    """Money a reseller or agency pays in, to be credited to its wallet exactly once."""

    __tablename__ = "deposit"
    __table_args__ = (
        UniqueConstraint("gateway_id", "gateway_reference"),
        # One statement line names one deposit: no two open deposits of a gateway ask for the
        # same total.
        Index(
            "deposit_open_total_idx",
            "gateway_id",
            "total",
            unique=True,
            postgresql_where=text("status = 'pending' AND unique_code IS NOT NULL"),
        ),
        Index(
            "deposit_due_check_idx", "next_check_at", postgresql_where=text("status = 'pending'")
        ),
        Index("deposit_account_id_id_idx", "account_id", "id"),
        Index("deposit_receiver_id_id_idx", "receiver_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"))
    # Whose money it becomes: no one (the panel's) or the agency's reseller.
    receiver_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    gateway_id: Mapped[int] = mapped_column(ForeignKey("payment_gateway.id"))
    method_id: Mapped[int] = mapped_column(ForeignKey("payment_method.id"))
    merchant_ref: Mapped[str] = mapped_column(String(64), unique=True)
    gateway_reference: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[DepositStatus] = mapped_column(_enum(DepositStatus))
    currency: Mapped[str] = mapped_column(String(3))
    amount: Mapped[Money]  # credited to the wallet
    fee: Mapped[Money]  # the gateway's fee, as the method sets it
    fee_paid_by: Mapped[FeePayer] = mapped_column(_enum(FeePayer))
    unique_code: Mapped[int | None] = mapped_column(Integer)
    total: Mapped[Money]  # what the buyer pays
    pay_code: Mapped[str | None] = mapped_column(String(100))
    qr_string: Mapped[str | None] = mapped_column(Text)
    checkout_url: Mapped[str | None] = mapped_column(String(1000))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    paid_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # What the gateway said arrived, and what it kept.
    paid_total: Mapped[Decimal | None] = mapped_column(Numeric(20, 6))
    fee_taken: Mapped[Decimal | None] = mapped_column(Numeric(20, 6))
    journal_id: Mapped[int | None] = mapped_column(ForeignKey("journal.id"))
    next_check_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    checks: Mapped[int] = mapped_column(Integer, default=0)
    note: Mapped[str] = mapped_column(Text, default="")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=text("now()")
    )


class ReviewReason(StrEnum):
    bad_signature = "bad_signature"
    malformed = "malformed"
    unknown_reference = "unknown_reference"
    amount_mismatch = "amount_mismatch"
    currency_mismatch = "currency_mismatch"
    merchant_mismatch = "merchant_mismatch"
    after_expiry = "after_expiry"
    after_failure = "after_failure"
    refund_after_credit = "refund_after_credit"
    unmatched_transfer = "unmatched_transfer"


class ReviewOutcome(StrEnum):
    credited = "credited"
    dismissed = "dismissed"


class PaymentReview(CreatedAt, Base):
    """Something a gateway told Pasok that was not credited: a person looks at it."""

    __tablename__ = "payment_review"
    __table_args__ = (
        Index("payment_review_open_idx", "id", postgresql_where=text("resolved_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    gateway_id: Mapped[int] = mapped_column(ForeignKey("payment_gateway.id"), index=True)
    deposit_id: Mapped[int | None] = mapped_column(ForeignKey("deposit.id"), index=True)
    reason: Mapped[ReviewReason] = mapped_column(_enum(ReviewReason))
    detail: Mapped[str] = mapped_column(Text)
    amount: Mapped[Decimal | None] = mapped_column(Numeric(20, 6))
    body: Mapped[str] = mapped_column(Text, default="")  # the start of what was received
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    outcome: Mapped[ReviewOutcome | None] = mapped_column(_enum(ReviewOutcome))
    resolution: Mapped[str] = mapped_column(Text, default="")


class StatementLine(CreatedAt, Base):
    """A bank statement line a statement webhook reported, kept so that a line sent twice
    is matched once."""

    __tablename__ = "payment_statement_line"
    __table_args__ = (UniqueConstraint("gateway_id", "line_id"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    gateway_id: Mapped[int] = mapped_column(ForeignKey("payment_gateway.id"))
    line_id: Mapped[str] = mapped_column(String(100))
    amount: Mapped[Money]
    description: Mapped[str] = mapped_column(Text, default="")
    deposit_id: Mapped[int | None] = mapped_column(ForeignKey("deposit.id"))
