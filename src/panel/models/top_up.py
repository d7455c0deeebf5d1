from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, DateTime, Enum, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from panel.models.base import Base, CreatedAt, Money


class TopUpStatus(StrEnum):
    pending = "pending"
    approved = "approved"
    rejected = "rejected"


class TopUpRequest(CreatedAt, Base):
    """An agency says it has paid its reseller (by the brand's payment instructions) and asks
    for the money in its wallet. The reseller approves it, which funds the agency from the
    reseller's wallet in the same transaction, or rejects it."""

    __tablename__ = "top_up_request"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    reseller_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    amount: Mapped[Money]
    reference: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[TopUpStatus] = mapped_column(
        Enum(TopUpStatus, native_enum=False, length=16, validate_strings=True),
        default=TopUpStatus.pending,
    )
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    journal_id: Mapped[int | None] = mapped_column(ForeignKey("journal.id"))
