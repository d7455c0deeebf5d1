from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from panel.models.base import Base, CreatedAt


class IdempotencyKey(CreatedAt, Base):
    """A client's `Idempotency-Key` and the answer its first request got, so a retry of the
    same request gets that answer again instead of a second order. Kept a day (a setting)."""

    __tablename__ = "idempotency_key"
    __table_args__ = (Index("idempotency_key_created_at_idx", "created_at"),)  # the purge

    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    # SHA-256 of the method, path and body: the same key with another request is refused.
    fingerprint: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int | None] = mapped_column(Integer)
    # The answer's body as sent, byte for byte.
    response: Mapped[str | None] = mapped_column(Text)
