from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from panel.models.base import Base, CreatedAt

MAX_TITLE = 120
MAX_BODY = 4000


class Announcement(CreatedAt, Base):
    """A title and a text from the operator to every reseller (`reseller_id` empty), or from a
    reseller to its own agencies. Shown to each reader until it marks it read, it expires or
    its author withdraws it; never edited, so what a reader was sent is what it is shown."""

    __tablename__ = "announcement"
    __table_args__ = (
        # A reader's unread ones: those of its audience, newest first.
        Index("announcement_reseller_id_id_idx", "reseller_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reseller_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("account.id"))
    title: Mapped[str] = mapped_column(String(MAX_TITLE))
    body: Mapped[str] = mapped_column(String(MAX_BODY))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class AnnouncementRead(Base):
    """That one reader has read one announcement: each reader's own, so one reseller's click
    hides it from nobody else."""

    __tablename__ = "announcement_read"

    announcement_id: Mapped[int] = mapped_column(ForeignKey("announcement.id"), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), primary_key=True)
    read_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
