"""Ticket news by email and Telegram: queued in the transaction of the event, one row per
account, channel and event (the unique key makes a second queuing a no-op), and sent by the
`send_notifications` cron.

Who hears of what: a message from the panel's side (a person or the automation) goes to the
buyer; a buyer's message, a ticket that needs a person and an escalation go to the answering
side (the reseller for an agency's ticket, every operator for a reseller's own ticket or an
escalated one). A notification says only the ticket's id, subject, status and the newest
message for its reader, under the brand its reader knows: an agency hears from its reseller's
brand, never from the panel behind it."""

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from panel.config import SupportSettings, get_settings
from panel.errors import Invalid
from panel.models import (
    Account,
    AccountKind,
    AccountStatus,
    Brand,
    Channel,
    Notification,
    NotificationStatus,
    NotificationTarget,
    Party,
    Ticket,
    TicketMessage,
    TicketStatus,
)
from panel.plumbing.retention import BATCH, delete_batch
from panel.support.delivery import Sent

# A numeric chat id (groups are negative) or a public channel's @name.
_CHAT_ID = re.compile(r"^(-?\d{1,20}|@[A-Za-z0-9_]{5,32})$")
NOT_CONFIGURED = "not configured"
STATUS_WORDS = {
    "id": {
        TicketStatus.open: "menunggu jawaban",
        TicketStatus.answered: "sudah dijawab",
        TicketStatus.closed: "ditutup",
    },
    "en": {
        TicketStatus.open: "waiting for an answer",
        TicketStatus.answered: "answered",
        TicketStatus.closed: "closed",
    },
}
WORDS = {
    "id": {"ticket": "Tiket", "status": "Status", "message": "Pesan terbaru"},
    "en": {"ticket": "Ticket", "status": "Status", "message": "Newest message"},
}
PANEL_SIDE = (Party.automation, Party.reseller, Party.operator)


# --- where an account wants its news ------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    email: bool
    telegram_chat_id: str | None


async def target_of(session: AsyncSession, account: Account) -> Target:
    row = await session.get(NotificationTarget, account.id)
    # No row: the account's own email, which every account has unless it signs in otherwise.
    return Target(row.email, row.telegram_chat_id) if row else Target(True, None)


async def set_target(
    session: AsyncSession, account: Account, email: bool, telegram_chat_id: str | None
) -> Target:
    chat = (telegram_chat_id or "").strip() or None
    if chat is not None and not _CHAT_ID.match(chat):
        raise Invalid("a Telegram chat id is a number or an @channel name", code="telegram_chat_id")
    statement = insert(NotificationTarget).values(
        account_id=account.id, email=email, telegram_chat_id=chat
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["account_id"], set_={"email": email, "telegram_chat_id": chat}
        )
    )
    return Target(email, chat)


# --- queuing -------------------------------------------------------------------------------------


async def ticket_changed(session: AsyncSession, ticket: Ticket, what: str, now: datetime) -> int:
    """Queue what `ticket`'s change means to the people it concerns; returns how many rows."""
    if what == "closed":
        return 0
    messages = list(
        await session.scalars(
            select(TicketMessage)
            .where(TicketMessage.ticket_id == ticket.id)
            .order_by(TicketMessage.id.desc())
            .limit(50)
        )
    )
    queued = 0
    newest = messages[0] if messages else None
    # The buyer hears of each message from the panel's side once (keyed by the message, so a
    # later change that adds no message queues nothing). An escalation note is for the operator.
    if newest is not None and newest.party in PANEL_SIDE and what != "escalated":
        buyer = await session.get_one(Account, ticket.account_id)
        queued += await _queue(
            session, [buyer], ticket, newest, f"ticket:{ticket.id}:message:{newest.id}", now
        )
    if ticket.status is TicketStatus.open and ticket.waiting_on in (Party.reseller, Party.operator):
        party = ticket.waiting_on
        shown = next((m for m in messages if m.party not in (party, Party.automation)), None)
        key = f"ticket:{ticket.id}:{party.value}:{newest.id if newest else 0}"
        queued += await _queue(session, await _answerers(session, ticket), ticket, shown, key, now)
    return queued


async def _answerers(session: AsyncSession, ticket: Ticket) -> list[Account]:
    if ticket.escalated or ticket.account_id == ticket.reseller_id:
        return list(
            await session.scalars(
                select(Account)
                .where(Account.kind == AccountKind.operator)
                .where(Account.status == AccountStatus.active)
                .order_by(Account.id)
            )
        )
    return [await session.get_one(Account, ticket.reseller_id)]


async def _queue(
    session: AsyncSession,
    readers: list[Account],
    ticket: Ticket,
    message: TicketMessage | None,
    event_key: str,
    now: datetime,
) -> int:
    queued = 0
    for reader in readers:
        target = await target_of(session, reader)
        brand = await _brand_for(session, reader, ticket)
        subject, body = _text(ticket, message, brand)
        addresses = []
        if target.email and reader.email:
            addresses.append((Channel.email, reader.email))
        if target.telegram_chat_id:
            addresses.append((Channel.telegram, target.telegram_chat_id))
        for channel, address in addresses:
            result = await session.execute(
                insert(Notification)
                .values(
                    account_id=reader.id,
                    channel=channel,
                    event_key=event_key,
                    address=address,
                    subject=subject,
                    body=body,
                    status=NotificationStatus.pending,
                    attempts=0,
                    next_attempt_at=now,
                    created_at=now,
                )
                .on_conflict_do_nothing(index_elements=["account_id", "channel", "event_key"])
                .returning(Notification.id)
            )
            queued += result.scalar() is not None
    return queued


async def _brand_for(session: AsyncSession, reader: Account, ticket: Ticket) -> str:
    """The name its reader knows the panel by: an agency its reseller's brand; a reseller its
    own brand, or the operator's for its own tickets; the operator its own."""
    if reader.kind is AccountKind.operator or ticket.account_id == ticket.reseller_id:
        return get_settings().web.brand_name
    name = await session.scalar(select(Brand.name).where(Brand.reseller_id == ticket.reseller_id))
    if name:
        return name
    if reader.kind is AccountKind.agency:
        # A reseller without a brand is still who the agency deals with.
        return (await session.get_one(Account, ticket.reseller_id)).name
    return get_settings().web.brand_name


def _text(ticket: Ticket, message: TicketMessage | None, brand: str) -> tuple[str, str]:
    # Only this ticket's own facts: never an account's name, email or other orders.
    lang = ticket.lang if ticket.lang in WORDS else "id"
    words = WORDS[lang]
    subject = f"[{brand}] {words['ticket']} #{ticket.id}: {ticket.subject}"[:200]
    lines = [
        f"{words['ticket']} #{ticket.id}: {ticket.subject}",
        f"{words['status']}: {STATUS_WORDS[lang][ticket.status]}",
    ]
    if message is not None:
        lines += ["", f"{words['message']}:", message.body]
    lines += ["", f"— {brand}"]
    return subject, "\n".join(lines)


# --- sending -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Claimed:
    id: int
    channel: Channel
    address: str
    subject: str
    body: str
    attempts: int  # this attempt's number: only its own record counts


async def claim_due(
    session: AsyncSession, now: datetime, settings: SupportSettings, configured: set[Channel]
) -> list[Claimed]:
    """Take a batch of due notifications for one run: each is leased (its next attempt moved
    past the lease) in this transaction, so another worker skips it until the lease ends. A
    channel with no server configured is given up at once, so nothing piles up."""
    rows = list(
        await session.scalars(
            select(Notification)
            .where(Notification.status == NotificationStatus.pending)
            .where(Notification.next_attempt_at <= now)
            .order_by(Notification.next_attempt_at, Notification.id)
            .limit(settings.batch)
            .with_for_update(skip_locked=True)
        )
    )
    claimed = []
    for row in rows:
        if row.channel not in configured:
            row.status, row.last_error, row.next_attempt_at = (
                NotificationStatus.failed,
                NOT_CONFIGURED,
                None,
            )
            continue
        row.attempts += 1
        row.next_attempt_at = now + timedelta(seconds=settings.lease_s)
        claimed.append(
            Claimed(row.id, row.channel, row.address, row.subject, row.body, row.attempts)
        )
    await session.flush()
    return claimed


async def record(
    session: AsyncSession, claimed: Claimed, sent: Sent, now: datetime, settings: SupportSettings
) -> bool:
    """What the server answered; false if the lease was lost to another worker meanwhile."""
    row = await session.scalar(
        select(Notification)
        .where(
            and_(
                Notification.id == claimed.id,
                Notification.status == NotificationStatus.pending,
                Notification.attempts == claimed.attempts,
            )
        )
        .with_for_update()
    )
    if row is None:
        return False
    if sent.ok:
        row.status, row.sent_at, row.next_attempt_at, row.last_error = (
            NotificationStatus.sent,
            now,
            None,
            None,
        )
        return True
    row.last_error = sent.error
    backoff = min(settings.first_retry_s * 2 ** (claimed.attempts - 1), settings.max_retry_s)
    retry_at = now + timedelta(seconds=backoff)
    if not sent.retry or retry_at > row.created_at + timedelta(hours=settings.retry_for_hours):
        row.status, row.next_attempt_at = NotificationStatus.failed, None
    else:
        row.next_attempt_at = retry_at
    return True


async def purge(session: AsyncSession, now: datetime, days: float, batch: int = BATCH) -> int:
    """Forget notifications queued `days` ago that were sent or given up on, at most `batch`
    of them; returns how many. Pending ones are kept whatever their age. Their unique key
    is needed only while the event that queues them can happen again, which is within its
    own transaction (each key names one message or announcement)."""
    return await delete_batch(
        session,
        Notification,
        select(Notification.id).where(
            Notification.status != NotificationStatus.pending,
            Notification.created_at < now - timedelta(days=days),
        ),
        oldest_first=Notification.created_at,
        batch=batch,
    )
