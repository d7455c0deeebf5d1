"""Announcements: the operator's to every reseller, and a reseller's to its own agencies. An
agency never hears from the operator (it knows only its reseller's brand), and never from
another reseller.

An announcement is published in one transaction with everything that tells of it: for each
reader, an `announcement.published` webhook delivery per enabled endpoint, and an email and a
Telegram message where the reader has them (the outbox's unique key on account, channel and
event makes those once per reader). Readers are those of its audience when it is published;
an account that joins later still sees it on its dashboard, but is sent nothing.

It is shown on a reader's dashboard until that reader marks it read (each reader its own), it
expires, or its author withdraws it. It is never edited: what a reader was sent is what the
panel shows. The operator's writes are operator actions, in the action log."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, exists, func, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from panel import action_log
from panel.config import get_settings
from panel.errors import Forbidden, Invalid, NotFound
from panel.models import (
    Account,
    AccountKind,
    AccountStatus,
    Announcement,
    AnnouncementRead,
    Brand,
    Channel,
    Notification,
    NotificationStatus,
    NotificationTarget,
)
from panel.models.announcement import MAX_BODY as MAX_BODY
from panel.models.announcement import MAX_TITLE as MAX_TITLE
from panel.webhooks import service as webhooks

ANNOUNCEMENT_PUBLISHED = "announcement.published"
LONGEST = timedelta(days=365)  # an expiry further off is a typo, not a plan
SHOWN = 5  # on a dashboard, newest first: the rest come as these are read
BATCH = 1000  # readers told per statement: two rows each at most, ten columns a row
FIELDS = ("title", "body", "expires_at", "withdrawn_at")
# Tab and newline are text; any other control character is something pasted by mistake (and
# NUL cannot be stored at all).
_CONTROL = {chr(code) for code in range(32)} - {"\t", "\n"} | {"\x7f"}


# --- writing ------------------------------------------------------------------------------------


def audience_of(author: Account) -> int | None:
    """Whose readers an author writes to: None for the operator's (every reseller), else the
    reseller's own id (its agencies). An agency writes none."""
    if author.kind is AccountKind.operator:
        return None
    if author.kind is AccountKind.reseller:
        return author.id
    raise Forbidden("agencies read announcements; their reseller writes them")


@dataclass(frozen=True)
class Draft:
    title: str
    body: str
    expires_at: datetime | None


def checked(title: str, body: str, expires_at: datetime | None, now: datetime) -> Draft:
    """The announcement as it will be kept: a title on one line, the text with its line
    breaks, both trimmed; `Invalid` (with a `code` a page can word) for anything else."""
    title = " ".join(title.split())
    body = body.replace("\r\n", "\n").replace("\r", "\n").strip()
    if not title:
        raise Invalid("an announcement needs a title", code="title_missing")
    if len(title) > MAX_TITLE:
        raise Invalid(f"a title is at most {MAX_TITLE} characters", code="title_long")
    if not body:
        raise Invalid("an announcement needs a text", code="body_missing")
    if len(body) > MAX_BODY:
        raise Invalid(f"a text is at most {MAX_BODY} characters", code="body_long")
    if _CONTROL & set(title + body):
        raise Invalid("the title or text holds a control character", code="control")
    if expires_at is not None:
        if expires_at.tzinfo is None:
            raise Invalid("an expiry needs its time zone", code="expiry_zone")
        if expires_at <= now:
            raise Invalid("an expiry must be in the future", code="expiry_past")
        if expires_at > now + LONGEST:
            raise Invalid("an expiry is at most 365 days ahead", code="expiry_far")
    return Draft(title, body, expires_at)


async def publish(
    session: AsyncSession,
    author: Account,
    title: str,
    body: str,
    expires_at: datetime | None,
    now: datetime,
) -> Announcement:
    """Publish an announcement to the author's readers and queue its news for each of them."""
    reseller_id = audience_of(author)
    draft = checked(title, body, expires_at, now)
    announcement = Announcement(
        reseller_id=reseller_id,
        author_id=author.id,
        title=draft.title,
        body=draft.body,
        expires_at=draft.expires_at,
        created_at=now,
    )
    session.add(announcement)
    await session.flush()
    if author.kind is AccountKind.operator:
        after = action_log.snapshot(announcement, FIELDS)
        await action_log.record(
            session, author.id, "announcement.publish", "announcement", announcement.id, after=after
        )
    readers = await readers_of(session, reseller_id)
    await _tell(session, announcement, readers, now)
    return announcement


async def withdraw(
    session: AsyncSession, author: Account, announcement_id: int, now: datetime
) -> Announcement:
    """Take an announcement off every dashboard from now on; news already queued still goes
    out. Withdrawing it again changes nothing."""
    announcement = await _written_by(session, author, announcement_id)
    if announcement.withdrawn_at is not None:
        return announcement
    before = action_log.snapshot(announcement, FIELDS)
    announcement.withdrawn_at = now
    await session.flush()
    if author.kind is AccountKind.operator:
        await action_log.record(
            session,
            author.id,
            "announcement.withdraw",
            "announcement",
            announcement.id,
            before=before,
            after=action_log.snapshot(announcement, FIELDS),
        )
    return announcement


async def _written_by(session: AsyncSession, author: Account, announcement_id: int) -> Announcement:
    # Any operator's announcement is every operator's to withdraw; a reseller's, its own only.
    reseller_id = audience_of(author)
    announcement = await session.get(Announcement, announcement_id)
    if announcement is None or announcement.reseller_id != reseller_id:
        raise NotFound(f"announcement {announcement_id} does not exist")
    return announcement


@dataclass(frozen=True)
class Written:
    announcement: Announcement
    read_by: int  # readers who marked it read


async def written(
    session: AsyncSession, author: Account, *, before: int | None = None, limit: int = 50
) -> list[Written]:
    """The announcements of the author's side, newest first, with how many have read each."""
    reads = (
        select(func.count())
        .where(AnnouncementRead.announcement_id == Announcement.id)
        .scalar_subquery()
    )
    query = select(Announcement, reads).where(_audience_is(audience_of(author)))
    if before is not None:
        query = query.where(Announcement.id < before)
    rows = await session.execute(query.order_by(Announcement.id.desc()).limit(limit))
    return [Written(announcement, read_by) for announcement, read_by in rows]


def _readers(reseller_id: int | None) -> ColumnElement[bool]:
    """Who an announcement of this audience is for now: every active reseller, or the
    reseller's active agencies."""
    if reseller_id is None:
        kind = Account.kind == AccountKind.reseller
    else:
        kind = and_(Account.kind == AccountKind.agency, Account.parent_id == reseller_id)
    return and_(Account.status == AccountStatus.active, kind)


async def read_count(session: AsyncSession, announcement_id: int) -> int:
    query = select(func.count()).where(AnnouncementRead.announcement_id == announcement_id)
    return await session.scalar(query) or 0


async def readers_of(session: AsyncSession, reseller_id: int | None) -> list[Account]:
    found = await session.scalars(select(Account).where(_readers(reseller_id)).order_by(Account.id))
    return list(found)


async def audience_size(session: AsyncSession, author: Account) -> int:
    """How many read what the author publishes, now."""
    query = select(func.count()).select_from(Account).where(_readers(audience_of(author)))
    return await session.scalar(query) or 0


# --- telling the readers ------------------------------------------------------------------------


async def _tell(
    session: AsyncSession, announcement: Announcement, readers: list[Account], now: datetime
) -> None:
    if not readers:
        return
    data = {
        "announcement": {
            "id": announcement.id,
            "title": announcement.title,
            "body": announcement.body,
            "created_at": now.isoformat(),
            "expires_at": announcement.expires_at.isoformat() if announcement.expires_at else None,
        }
    }
    event_id = f"ann_{announcement.id}"
    brand = await _brand_of(session, announcement.reseller_id)
    subject = f"[{brand}] {announcement.title}"[:200]
    text = f"{announcement.title}\n\n{announcement.body}\n\n— {brand}"
    # In batches: a statement carries at most 32767 parameters, and a panel may have more
    # readers than one could name.
    for start in range(0, len(readers), BATCH):
        some = readers[start : start + BATCH]
        ids = [reader.id for reader in some]
        await webhooks.announce(session, ids, ANNOUNCEMENT_PUBLISHED, event_id, data, now)
        targets = {
            row.account_id: row
            for row in await session.scalars(
                select(NotificationTarget).where(NotificationTarget.account_id.in_(ids))
            )
        }
        rows = []
        for reader in some:
            target = targets.get(reader.id)
            # No target row: the account's own email, as for ticket news.
            wants_email = target.email if target else True
            addresses = []
            if wants_email and reader.email:
                addresses.append((Channel.email, reader.email))
            if target and target.telegram_chat_id:
                addresses.append((Channel.telegram, target.telegram_chat_id))
            rows += [
                {
                    "account_id": reader.id,
                    "channel": channel,
                    "event_key": f"announcement:{announcement.id}",
                    "address": address,
                    "subject": subject,
                    "body": text,
                    "status": NotificationStatus.pending,
                    "attempts": 0,
                    "next_attempt_at": now,
                    "created_at": now,
                }
                for channel, address in addresses
            ]
        if rows:
            await session.execute(
                insert(Notification)
                .values(rows)
                .on_conflict_do_nothing(index_elements=["account_id", "channel", "event_key"])
            )


async def _brand_of(session: AsyncSession, reseller_id: int | None) -> str:
    """The name the readers know the panel by: the operator's brand for resellers, the
    reseller's own (or its name, without a brand) for its agencies."""
    if reseller_id is None:
        return get_settings().web.brand_name
    name = await session.scalar(select(Brand.name).where(Brand.reseller_id == reseller_id))
    return name or (await session.get_one(Account, reseller_id)).name


# --- reading ------------------------------------------------------------------------------------


def _audience_is(reseller_id: int | None) -> ColumnElement[bool]:
    if reseller_id is None:
        return Announcement.reseller_id.is_(None)
    return Announcement.reseller_id == reseller_id


def _audience_for(reader: Account) -> ColumnElement[bool] | None:
    """Which announcements a reader is one of the readers of; None for nobody's (operators
    write them)."""
    if reader.kind is AccountKind.reseller:
        return _audience_is(None)
    if reader.kind is AccountKind.agency and reader.parent_id is not None:
        return _audience_is(reader.parent_id)
    return None


def _live(now: datetime) -> ColumnElement[bool]:
    return and_(
        Announcement.withdrawn_at.is_(None),
        or_(Announcement.expires_at.is_(None), Announcement.expires_at > now),
    )


def _read_by(reader: Account) -> ColumnElement[bool]:
    return exists().where(
        AnnouncementRead.announcement_id == Announcement.id,
        AnnouncementRead.account_id == reader.id,
    )


async def unread(
    session: AsyncSession, reader: Account, now: datetime, limit: int = SHOWN
) -> list[Announcement]:
    """What a reader's dashboard shows: its live announcements it has not read, newest first."""
    audience = _audience_for(reader)
    if audience is None:
        return []
    found = await session.scalars(
        select(Announcement)
        .where(audience, _live(now), ~_read_by(reader))
        .order_by(Announcement.id.desc())
        .limit(limit)
    )
    return list(found)


async def listing(
    session: AsyncSession,
    reader: Account,
    now: datetime,
    *,
    before: int | None = None,
    limit: int = 50,
) -> list[tuple[Announcement, bool]]:
    """A reader's live announcements, newest first, each with whether it has read it."""
    audience = _audience_for(reader)
    if audience is None:
        return []
    query = select(Announcement, _read_by(reader)).where(audience, _live(now))
    if before is not None:
        query = query.where(Announcement.id < before)
    rows = await session.execute(query.order_by(Announcement.id.desc()).limit(limit))
    return [(announcement, bool(read)) for announcement, read in rows]


async def mark_read(
    session: AsyncSession, reader: Account, announcement_id: int, now: datetime
) -> Announcement:
    """The reader has read it: off its dashboard, and nobody else's. Marking it twice keeps
    the first time."""
    audience = _audience_for(reader)
    announcement = None
    if audience is not None:
        announcement = await session.scalar(
            select(Announcement).where(
                Announcement.id == announcement_id, audience, Announcement.withdrawn_at.is_(None)
            )
        )
    if announcement is None:
        raise NotFound(f"announcement {announcement_id} does not exist")
    await session.execute(
        insert(AnnouncementRead)
        .values(announcement_id=announcement.id, account_id=reader.id, read_at=now)
        .on_conflict_do_nothing(index_elements=["announcement_id", "account_id"])
    )
    return announcement
