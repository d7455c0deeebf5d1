from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Numeric,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from panel.models.base import Base, CreatedAt, Money


class LedgerAccountKind(StrEnum):
    wallet = "wallet"  # one per reseller and agency
    clearing = "clearing"  # money of orders in flight
    revenue = "revenue"
    provider = "provider"  # what one upstream charged
    external = "external"  # money entering or leaving the panel
    fx = "fx"  # exchange gains (positive) and losses on what providers charged
    payment_fees = "payment_fees"  # what payment gateways kept of deposits


class LedgerAccount(CreatedAt, Base):
    """A place money sits. Balance = sum of its entries (signed: credit positive).

    Only wallets keep a cached `balance`, checked never negative by the database itself; the
    system accounts are touched by every order, so caching theirs would make one hot row that
    serialises all orders. Their balance is summed when asked.
    """

    __tablename__ = "ledger_account"
    __table_args__ = (
        CheckConstraint("(kind = 'wallet') = (balance IS NOT NULL)", name="wallet_cached"),
        CheckConstraint("balance >= 0", name="balance_not_negative"),
        CheckConstraint("(kind = 'wallet') = (owner_id IS NOT NULL)", name="wallet_owner"),
        CheckConstraint("(kind = 'provider') = (provider_id IS NOT NULL)", name="provider_ref"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[LedgerAccountKind] = mapped_column(
        Enum(LedgerAccountKind, native_enum=False, length=16, validate_strings=True)
    )
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"), unique=True)
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("provider.id"), unique=True)
    balance: Mapped[Decimal | None] = mapped_column(Numeric(20, 6))


class JournalKind(StrEnum):
    topup = "topup"
    withdrawal = "withdrawal"
    adjustment = "adjustment"
    agency_funding = "agency_funding"
    order = "order"
    refund = "refund"
    settlement = "settlement"
    deposit = "deposit"  # a payment through a gateway, credited
    reward = "reward"  # an agency's points redeemed for balance, paid by its reseller


class Journal(CreatedAt, Base):
    """One movement of money: entries that sum to zero, with why, who, and which order."""

    __tablename__ = "journal"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    kind: Mapped[JournalKind] = mapped_column(
        Enum(JournalKind, native_enum=False, length=16, validate_strings=True)
    )
    reason: Mapped[str] = mapped_column(Text)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("order.id"), index=True)


class Entry(CreatedAt, Base):
    """One leg of a journal. Append-only: a trigger refuses UPDATE and DELETE."""

    __tablename__ = "entry"
    __table_args__ = (
        CheckConstraint("amount <> 0", name="amount_not_zero"),
        # A wallet's statement reads its entries newest first.
        Index("entry_ledger_account_id_id_idx", "ledger_account_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    journal_id: Mapped[int] = mapped_column(ForeignKey("journal.id"), index=True)
    ledger_account_id: Mapped[int] = mapped_column(ForeignKey("ledger_account.id"))
    amount: Mapped[Money]


class AuditCheckpoint(Base):
    """How far the incremental ledger audit has checked: entries up to `entry_id` and journals
    up to `journal_id`. One row; locked by the audit that moves it, so two never interleave."""

    __tablename__ = "audit_checkpoint"
    __table_args__ = (CheckConstraint("id = 1", name="one_checkpoint"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(BigInteger)
    journal_id: Mapped[int] = mapped_column(BigInteger)
    checked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AuditMark(Base):
    """A ledger account's entries in the journals up to the checkpoint, summed once: the audit
    adds what came after, so it never sums a busy account's history again."""

    __tablename__ = "audit_mark"

    ledger_account_id: Mapped[int] = mapped_column(
        ForeignKey("ledger_account.id"), primary_key=True
    )
    total: Mapped[Decimal] = mapped_column(Numeric(20, 6))
