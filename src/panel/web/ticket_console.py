"""What the ticket pages share: a ticket's state and its writers in words, which tickets a
reader has not read, one ticket with its thread, and the staff side the reseller's console and
the operator's pages both use (the queue with its figures, replying with a canned reply,
closing, the canned replies themselves). The decisions are `panel.support`'s."""

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from panel.errors import NotFound, PanelError
from panel.models import (
    Account,
    AccountKind,
    Party,
    Ticket,
    TicketStatus,
)
from panel.support import canned, figures, tickets
from panel.web import forms, ticket_texts
from panel.web.pages import Page

# A ticket waiting on a person longer than this is shown as overdue: support is judged in
# minutes, and an hour is already long for a complaint about an order.
OVERDUE = timedelta(hours=1)
POLL_MS = 2000  # how often a ticket waiting on the automation looks for its answer
REFRESH_S = 5  # without script, how often it reloads instead


def words(page: Page) -> dict[str, str]:
    return ticket_texts.WORDS[page.lang]


def when(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M") if moment else "—"


def state(
    said: dict[str, str], ticket: Ticket, *, staff: bool = False, me: Party | None = None
) -> str:
    """Who the ticket waits on, in words; `me` is the staff reader's own side ("waiting on
    you"). An agency reads its reseller's brand only: a ticket its reseller escalated still
    waits on "the reseller" for it."""
    if ticket.status is TicketStatus.closed:
        return said["state_closed"]
    if ticket.status is TicketStatus.answered or ticket.waiting_on is Party.buyer:
        if staff:
            return said["state_buyer"]
        return said["state_auto_answered" if ticket.auto_answered else "state_answered"]
    if ticket.waiting_on is Party.automation:
        return said["state_automation"]
    if staff and ticket.status is TicketStatus.open and ticket.waiting_on is me:
        return said["state_you"]
    if ticket.waiting_on is Party.operator and (staff or ticket.account_id == ticket.reseller_id):
        return said["state_operator"]
    return said["state_reseller"]


def writer(said: dict[str, str], party: Party, *, staff: bool, buyer_name: str = "") -> str:
    """Who wrote a message. To a buyer, the reseller and the operator are one support team."""
    if party is Party.automation:
        return said["party_automation"]
    if party is Party.buyer:
        return buyer_name if staff else said["party_buyer"]
    if staff:
        return said[f"party_{party.value}"]
    return said["party_staff"]


def overdue(ticket: Ticket, now: datetime) -> bool:
    waiting_on_people = ticket.waiting_on in (Party.reseller, Party.operator)
    return (
        ticket.status is TicketStatus.open
        and waiting_on_people
        and now - ticket.updated_at > OVERDUE
    )


async def names_of(session: AsyncSession, shown: Sequence[Ticket]) -> dict[int, str]:
    ids = {ticket.account_id for ticket in shown}
    if not ids:
        return {}
    rows = await session.execute(select(Account.id, Account.name).where(Account.id.in_(ids)))
    return {account_id: name for account_id, name in rows.all()}


async def ticket_or_none(session: AsyncSession, viewer: Account, ticket_id: int) -> Ticket | None:
    """The ticket, if `viewer` may see it; anyone else's is answered as not found."""
    if not forms.is_row_id(ticket_id, forms.BIG_ID):
        return None
    try:
        return await tickets.ticket_of(session, viewer, ticket_id)
    except NotFound:
        return None


def not_found(page: Page, back: str) -> Response:
    return page.render("message.html", 404, message=page.t("not_found"), back=back)


async def thread(
    page: Page, session: AsyncSession, viewer: Account, ticket: Ticket
) -> dict[str, Any]:
    """A ticket's orders with their automatic answers and its messages; reading them marks
    the ticket read, and the unread badge shows that at once."""
    messages = await tickets.messages_of(session, ticket)
    about = await tickets.orders_of(session, ticket)
    await tickets.mark_read(session, viewer, ticket)
    page.unread = await tickets.unread(session, viewer)
    return {
        "ticket": ticket,
        "messages": messages,
        "ticket_orders": about,
        "waiting_auto": ticket.waiting_on is Party.automation
        and ticket.status is not TicketStatus.closed,
        "poll_ms": POLL_MS,
        "refresh_s": REFRESH_S,
    }


def title(said: dict[str, str], ticket: Ticket) -> str:
    """A ticket's subject; the one the service makes up when the buyer wrote none ("slow: 12,
    13", "payment") is said in the reader's words."""
    made_up = f"{ticket.reason.value}: "
    if ticket.subject.startswith(made_up):
        ids = ticket.subject.removeprefix(made_up)
        return f"{said['reason_' + ticket.reason.value]} · #{ids}"
    if ticket.subject == ticket.topic.value:
        return said[f"topic_{ticket.topic.value}"]
    return ticket.subject


def shared(page: Page, *, staff: bool) -> dict[str, Any]:
    said = words(page)
    me = None
    if staff and page.member is not None:
        me = Party.operator if page.member.kind is AccountKind.operator else Party.reseller
    return {
        "w": said,
        "when": when,
        "staff": staff,
        "ticket_title": lambda ticket: title(said, ticket),
        "ticket_state": lambda ticket: state(said, ticket, staff=staff, me=me),
        "writer": lambda party, name="": writer(said, party, staff=staff, buyer_name=name),
    }


# --- the staff side: the queue, one ticket, replies, canned replies ---------------------------


async def queue_page(
    page: Page,
    session: AsyncSession,
    viewer: Account,
    owner_id: int | None,
    template: str,
    base: str,
    status: int = 200,
    *,
    error: str | None = None,
) -> Response:
    """The tickets waiting on `viewer` first (the overdue on top), the figures, and the
    canned replies. A reseller's own tickets are on its buyer's pages, not in its console."""
    now = datetime.now(UTC)
    listed = await tickets.listing(session, viewer, tickets.Filter(answering=True))
    return page.render(
        template,
        status,
        **shared(page, staff=True),
        rows=listed,
        names=await names_of(session, listed),
        unread_rows=await tickets.unread_among(session, viewer, [ticket.id for ticket in listed]),
        late={ticket.id for ticket in listed if overdue(ticket, now)},
        figures=await figures.figures_for(session, viewer, now),
        replies=await canned.replies_of(session, owner_id),
        base=base,
        error=error,
    )


async def staff_ticket(
    page: Page,
    session: AsyncSession,
    viewer: Account,
    ticket: Ticket,
    owner_id: int | None,
    base: str,
    status: int = 200,
    *,
    error: str | None = None,
    body: str = "",
) -> Response:
    names = await names_of(session, [ticket])
    return page.render(
        "console_ticket.html",
        status,
        **shared(page, staff=True),
        **await thread(page, session, viewer, ticket),
        buyer_name=names.get(ticket.account_id, ""),
        replies=await canned.replies_of(session, owner_id),
        base=base,
        operator=owner_id is None,
        error=error,
        body=body,
    )


async def staff_view(
    page: Page,
    session: AsyncSession,
    viewer: Account,
    ticket_id: int,
    owner_id: int | None,
    base: str,
) -> Response:
    ticket = await ticket_or_none(session, viewer, ticket_id)
    if ticket is None:
        return not_found(page, base)
    return await staff_ticket(page, session, viewer, ticket, owner_id, base)


async def staff_reply(
    page: Page,
    session: AsyncSession,
    viewer: Account,
    owner_id: int | None,
    base: str,
    ticket_id: int,
    body: str,
    canned_id: str,
) -> Response:
    """A reply typed, or a canned reply picked (without script, the picked one is sent as it
    is when nothing was typed)."""
    ticket = await ticket_or_none(session, viewer, ticket_id)
    if ticket is None:
        return not_found(page, base)
    text = body
    if not text.strip() and canned_id.isdigit():
        picked = {reply.id: reply for reply in await canned.replies_of(session, owner_id)}
        if found := picked.get(int(canned_id)):
            text = found.body
    try:
        async with session.begin_nested():
            await tickets.reply(session, viewer, ticket.id, text, datetime.now(UTC))
    except PanelError as refused:
        said = words(page)
        return await staff_ticket(
            page,
            session,
            viewer,
            ticket,
            owner_id,
            base,
            refused.status_code,
            error=ticket_texts.refusal(said, refused),
            body=body,
        )
    return page.keep(RedirectResponse(f"{base}/{ticket.id}", status_code=303))


async def close(
    page: Page, session: AsyncSession, viewer: Account, ticket_id: int, back: str
) -> Response:
    """Close a ticket and go back to it; one already closed is said so, nothing changes."""
    ticket = await ticket_or_none(session, viewer, ticket_id)
    if ticket is None:
        return not_found(page, back)
    try:
        async with session.begin_nested():
            await tickets.close(session, viewer, ticket.id, datetime.now(UTC))
    except PanelError as refused:
        message = ticket_texts.refusal(words(page), refused)
        return page.render("message.html", refused.status_code, message=message, back=back)
    return page.keep(RedirectResponse(f"{back}/{ticket.id}", status_code=303))


async def add_canned(
    page: Page,
    session: AsyncSession,
    viewer: Account,
    owner_id: int | None,
    template: str,
    base: str,
    title: str,
    body: str,
) -> Response:
    said = words(page)
    try:
        async with session.begin_nested():
            await canned.add(session, owner_id, title, body)
    except PanelError as refused:
        error = said["error_canned_full" if refused.status_code == 409 else "error_canned"]
        return await queue_page(
            page, session, viewer, owner_id, template, base, refused.status_code, error=error
        )
    return page.keep(RedirectResponse(f"{base}#canned", status_code=303))


async def remove_canned(
    page: Page, session: AsyncSession, owner_id: int | None, base: str, reply_id: int
) -> Response:
    if not forms.is_row_id(reply_id):
        return not_found(page, base)
    try:
        async with session.begin_nested():
            await canned.remove(session, owner_id, reply_id)
    except NotFound:
        return not_found(page, base)
    return page.keep(RedirectResponse(f"{base}#canned", status_code=303))
