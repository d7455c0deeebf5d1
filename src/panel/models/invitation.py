from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from panel.models.base import Base, CreatedAt


class Invitation(CreatedAt, Base):
    """A one-time link to the web panel. With `reseller_id`: a reseller invites a new agency,
    which chooses its own email and password. With `account_id`: an existing account sets its
    password (the operator's link for a new reseller, or a reset). Only the token's digest is
    kept; the link is shown once."""

    __tablename__ = "invitation"
    __table_args__ = (
        CheckConstraint("(reseller_id IS NULL) <> (account_id IS NULL)", name="one_purpose"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    reseller_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"), index=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    note: Mapped[str] = mapped_column(String(200), default="")
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    used_by_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
