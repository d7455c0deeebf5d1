from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, ForeignKey, Index, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from panel.models.base import Base, CreatedAt


class OperatorAction(CreatedAt, Base):
    """One write an operator made, from the console or `/admin/v1`: who, what, on which
    object, and the object before and after. Append-only, like the ledger."""

    __tablename__ = "operator_action"
    __table_args__ = (
        Index("operator_action_subject_idx", "subject_type", "subject_id", "id"),
        Index("operator_action_actor_id_id_idx", "actor_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    actor_id: Mapped[int] = mapped_column(ForeignKey("account.id"))
    action: Mapped[str] = mapped_column(String(64))  # e.g. "service.create", "account.suspend"
    subject_type: Mapped[str] = mapped_column(String(32))  # e.g. "service", "account", "order"
    subject_id: Mapped[int | None] = mapped_column(BigInteger)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    note: Mapped[str] = mapped_column(Text, default="")


class UpstreamCall(Base):
    """A call Pasok made upstream about one order (add, cancel, refill) and how its answer
    was classified: the order's page shows them, the answer as text, never as markup."""

    __tablename__ = "upstream_call"
    __table_args__ = (Index("upstream_call_called_at_idx", "called_at"),)  # the purge

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("order.id"), index=True)
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("provider.id"))
    action: Mapped[str] = mapped_column(String(16))
    outcome: Mapped[str] = mapped_column(String(32))  # as the adapter classified it
    answer: Mapped[str] = mapped_column(Text, default="")  # the start of the answer, as text
    called_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
