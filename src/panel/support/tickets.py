"""Tickets: opening, replying, escalating and closing, and who may see which.

An agency's ticket belongs to its reseller, who answers it under its own brand, or escalates it
to the operator; a reseller's ticket goes to the operator. A ticket about orders waits first on
the automation (`answers.py`), which answers every order within seconds; what it cannot settle
waits on a person. Who a ticket waits on is always one value: `waiting_on`."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from panel.errors import Conflict, Invalid, NotFound
from panel.models import (
    Account,
    AccountKind,
    Order,
    Party,
    Ticket,
    TicketMessage,
    TicketOrder,
    TicketRead,
    TicketReason,
    TicketStatus,
    TicketTopic,
)
from panel.orders import search
from panel.orders import service as orders
from panel.plumbing import outbox
from panel.support import events

MAX_ORDERS = 100  # per ticket, as panels take them
MAX_BODY = 5000
LANGS = ("id", "en")


def order_ids(text: str) -> list[int]:
    """Order ids as buyers paste them (see `orders.search.id_words`); each once, in the order
    given. Anything that is not an id is an error here, not skipped: a complaint must name
    exactly the orders meant."""
    found: list[int] = []
    for word in search.id_words(text):
        order_id = search.as_id(word)
        if order_id is None:
            raise Invalid(f"{word[:30]!r} is not an order id", code="order_ids")
        if order_id not in found:
            found.append(order_id)
    if len(found) > MAX_ORDERS:
        raise Invalid(f"at most {MAX_ORDERS} orders in one ticket", code="order_ids")
    return found


def _reseller_of(buyer: Account) -> int:
    if buyer.kind is AccountKind.reseller:
        return buyer.id
    if buyer.kind is AccountKind.agency and buyer.parent_id is not None:
        return buyer.parent_id
    raise Invalid("only resellers and agencies open tickets")


def answerer(opener: Account, escalated: bool) -> Party:
    """Whose turn it is once a person must answer."""
    if escalated or opener.kind is AccountKind.reseller:
        return Party.operator
    return Party.reseller


def _body(text: str) -> str:
    body = text.strip()
    if not body:
        raise Invalid("write a message", code="body")
    if len(body) > MAX_BODY:
        raise Invalid(f"a message is at most {MAX_BODY} characters", code="body")
    return body


@dataclass(frozen=True)
class NewTicket:
    topic: TicketTopic
    reason: TicketReason
    message: str
    order_ids: Sequence[int] = ()
    subject: str = ""
    lang: str = "id"  # the buyer's: "id" or "en"


async def open_ticket(
    session: AsyncSession, buyer: Account, new: NewTicket, now: datetime
) -> Ticket:
    """A ticket of `buyer`'s, with its first message; one about orders is answered by the
    automation at once (a job sent when this transaction commits)."""
    reseller_id = _reseller_of(buyer)
    message = (
        _body(new.message) if new.message.strip() or new.topic is not TicketTopic.order else ""
    )
    if new.topic is TicketTopic.order:
        if not new.order_ids:
            raise Invalid("name the orders the ticket is about", code="order_ids")
        if len(new.order_ids) > MAX_ORDERS:
            raise Invalid(f"at most {MAX_ORDERS} orders in one ticket", code="order_ids")
        seen = await orders.visible(session, buyer, list(new.order_ids))
        unknown = [str(i) for i in new.order_ids if i not in seen]
        if unknown:
            raise NotFound(f"no order {', '.join(unknown)} of yours", code="order_ids")
    else:
        if new.order_ids:
            raise Invalid("only a ticket about orders names orders", code="order_ids")
        if new.reason is not TicketReason.other:
            raise Invalid("a ticket about payments or the account has reason other", code="reason")
        seen = {}
    subject = new.subject.strip()[:200] or _subject(new, seen)
    ticket = Ticket(
        account_id=buyer.id,
        reseller_id=reseller_id,
        topic=new.topic,
        reason=new.reason,
        subject=subject,
        lang=new.lang if new.lang in LANGS else "id",
        status=TicketStatus.open,
        waiting_on=Party.automation if seen else answerer(buyer, False),
        escalated=False,
        auto_answered=False,
        updated_at=now,
    )
    session.add(ticket)
    await session.flush()
    session.add_all(
        TicketOrder(
            ticket_id=ticket.id,
            order_id=order.id,
            service_id=order.service_id,
            provider_id=order.provider_id,
        )
        for order in (seen[i] for i in new.order_ids if i in seen)
    )
    if message:
        await post(session, ticket, buyer, Party.buyer, message)
    if seen:
        outbox.later(session, "answer_ticket", ticket.id, job_id=f"answer:{ticket.id}")
    await events.ticket_changed(session, ticket, "opened", now)
    return ticket


def _subject(new: NewTicket, seen: dict[int, Order]) -> str:
    if seen:
        shown = ", ".join(str(i) for i in list(new.order_ids)[:5])
        more = f" +{len(new.order_ids) - 5}" if len(new.order_ids) > 5 else ""
        return f"{new.reason.value}: {shown}{more}"
    return new.topic.value


async def post(
    session: AsyncSession, ticket: Ticket, author: Account | None, party: Party, body: str
) -> TicketMessage:
    """Add a message (no author: the automation's); its writer has seen it."""
    message = TicketMessage(
        ticket_id=ticket.id, author_id=author.id if author else None, party=party, body=body
    )
    session.add(message)
    await session.flush()
    ticket.last_message_id = message.id
    if author is not None:
        await _seen_up_to(session, ticket.id, author.id, message.id)
    return message


# --- who sees what -------------------------------------------------------------------------------


def seen_by(viewer: Account) -> ColumnElement[bool]:
    """The tickets `viewer` may see: a buyer its own; a reseller its own and its agencies'; the
    operator every reseller's ticket and every escalated one (an agency's ticket its reseller
    still answers is the reseller's business)."""
    if viewer.kind is AccountKind.operator:
        return or_(Ticket.account_id == Ticket.reseller_id, Ticket.escalated.is_(True))
    if viewer.kind is AccountKind.reseller:
        return Ticket.reseller_id == viewer.id
    return Ticket.account_id == viewer.id


def answered_by(viewer: Account) -> ColumnElement[bool]:
    """The tickets `viewer` answers: a reseller its agencies' (its own the operator answers);
    the operator every ticket it sees."""
    if viewer.kind is AccountKind.reseller:
        return and_(Ticket.reseller_id == viewer.id, Ticket.account_id != viewer.id)
    return seen_by(viewer)


def party_of(viewer: Account, ticket: Ticket) -> Party:
    if viewer.id == ticket.account_id:
        return Party.buyer
    return Party.operator if viewer.kind is AccountKind.operator else Party.reseller


async def ticket_of(
    session: AsyncSession, viewer: Account, ticket_id: int, *, to_change: bool = False
) -> Ticket:
    """One ticket `viewer` may see (locked, `to_change` it); any other does not exist."""
    query = select(Ticket).where(Ticket.id == ticket_id, seen_by(viewer))
    if to_change:
        query = query.with_for_update().execution_options(populate_existing=True)
    ticket = await session.scalar(query)
    if ticket is None:
        raise NotFound(f"ticket {ticket_id} does not exist")
    return ticket


async def messages_of(session: AsyncSession, ticket: Ticket) -> list[TicketMessage]:
    found = await session.scalars(
        select(TicketMessage).where(TicketMessage.ticket_id == ticket.id).order_by(TicketMessage.id)
    )
    return list(found)


async def orders_of(session: AsyncSession, ticket: Ticket) -> list[TicketOrder]:
    found = await session.scalars(
        select(TicketOrder).where(TicketOrder.ticket_id == ticket.id).order_by(TicketOrder.id)
    )
    return list(found)


@dataclass(frozen=True)
class Filter:
    status: TicketStatus | None = None
    waiting_on: Party | None = None
    account_id: int | None = None
    answering: bool = False  # only the tickets the viewer answers (its console)
    before: int | None = None
    limit: int = 50


async def listing(session: AsyncSession, viewer: Account, found: Filter) -> list[Ticket]:
    """The tickets `viewer` may see. Staff see the tickets waiting on them first, oldest
    first (the overdue on top), then the rest newest first; a buyer sees newest first."""
    query = select(Ticket).where(seen_by(viewer))
    if found.status is not None:
        query = query.where(Ticket.status == found.status)
    if found.waiting_on is not None:
        query = query.where(Ticket.waiting_on == found.waiting_on)
    if found.account_id is not None:
        query = query.where(Ticket.account_id == found.account_id)
    if found.answering:
        query = query.where(answered_by(viewer))
    if found.before is not None:
        query = query.where(Ticket.id < found.before)
    if viewer.kind is AccountKind.agency:
        query = query.order_by(Ticket.id.desc())
    else:
        mine = Party.operator if viewer.kind is AccountKind.operator else Party.reseller
        waiting = and_(Ticket.status == TicketStatus.open, Ticket.waiting_on == mine)
        query = query.order_by(
            case((waiting, 0), else_=1),
            case((waiting, Ticket.updated_at), else_=None),
            Ticket.id.desc(),
        )
    return list(await session.scalars(query.limit(found.limit)))


# --- what people do -----------------------------------------------------------------------------


async def reply(
    session: AsyncSession, viewer: Account, ticket_id: int, body: str, now: datetime
) -> TicketMessage:
    """A message: from the buyer, the ticket waits on the panel's side again; from the
    reseller or the operator, on the buyer. A closed ticket opens again on a buyer's reply."""
    ticket = await ticket_of(session, viewer, ticket_id, to_change=True)
    party = party_of(viewer, ticket)
    if party is not Party.buyer and ticket.status is TicketStatus.closed:
        raise Conflict(f"ticket {ticket.id} is closed")
    message = await post(session, ticket, viewer, party, _body(body))
    if party is Party.buyer:
        opener = await session.get_one(Account, ticket.account_id)
        ticket.status, ticket.waiting_on = TicketStatus.open, answerer(opener, ticket.escalated)
        ticket.resolved_at = None
    else:
        ticket.status, ticket.waiting_on = TicketStatus.answered, Party.buyer
        ticket.first_human_answer_at = ticket.first_human_answer_at or now
    ticket.updated_at = now
    await events.ticket_changed(session, ticket, "replied", now)
    return message


async def escalate(
    session: AsyncSession, reseller: Account, ticket_id: int, note: str, now: datetime
) -> Ticket:
    """A reseller hands an agency's ticket to the operator (an upstream matter, say)."""
    ticket = await ticket_of(session, reseller, ticket_id, to_change=True)
    if reseller.kind is not AccountKind.reseller or ticket.account_id == reseller.id:
        raise Conflict("only a reseller escalates, and only its agencies' tickets")
    if ticket.escalated:
        raise Conflict(f"ticket {ticket.id} is already with the operator")
    if ticket.status is TicketStatus.closed:
        raise Conflict(f"ticket {ticket.id} is closed")
    ticket.escalated, ticket.status, ticket.waiting_on = True, TicketStatus.open, Party.operator
    ticket.updated_at = now
    if note.strip():
        await post(session, ticket, reseller, Party.reseller, _body(note))
    await events.ticket_changed(session, ticket, "escalated", now)
    return ticket


async def set_upstream_ticket(
    session: AsyncSession, operator: Account, ticket_id: int, upstream: str, now: datetime
) -> Ticket:
    """The operator records the provider's own ticket id, so anyone can follow it upstream."""
    ticket = await ticket_of(session, operator, ticket_id, to_change=True)
    if operator.kind is not AccountKind.operator:
        raise NotFound(f"ticket {ticket_id} does not exist")
    ticket.upstream_ticket = upstream.strip()[:100] or None
    ticket.updated_at = now
    return ticket


async def close(session: AsyncSession, viewer: Account, ticket_id: int, now: datetime) -> Ticket:
    """Close: by the buyer (one tap when the automation answered it), or by whoever answers."""
    ticket = await ticket_of(session, viewer, ticket_id, to_change=True)
    if ticket.status is TicketStatus.closed:
        raise Conflict(f"ticket {ticket.id} is already closed")
    ticket.status, ticket.resolved_at, ticket.updated_at = TicketStatus.closed, now, now
    await events.ticket_changed(session, ticket, "closed", now)
    return ticket


# --- unread -------------------------------------------------------------------------------------


async def _seen_up_to(
    session: AsyncSession, ticket_id: int, account_id: int, message_id: int
) -> None:
    statement = insert(TicketRead).values(
        ticket_id=ticket_id, account_id=account_id, message_id=message_id
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["ticket_id", "account_id"],
            set_={
                "message_id": func.greatest(TicketRead.message_id, statement.excluded.message_id)
            },
        )
    )


async def mark_read(session: AsyncSession, viewer: Account, ticket: Ticket) -> None:
    last = await session.scalar(
        select(func.max(TicketMessage.id)).where(TicketMessage.ticket_id == ticket.id)
    )
    if last is not None:
        await _seen_up_to(session, ticket.id, viewer.id, last)


def _unseen() -> ColumnElement[bool]:
    return and_(
        Ticket.last_message_id.is_not(None),
        or_(TicketRead.message_id.is_(None), TicketRead.message_id < Ticket.last_message_id),
    )


def _with_reads(viewer: Account) -> ColumnElement[bool]:
    return and_(TicketRead.ticket_id == Ticket.id, TicketRead.account_id == viewer.id)


async def unread(session: AsyncSession, viewer: Account) -> int:
    """Tickets with a message `viewer` has not seen (its own messages count as seen): one
    count over the tickets it may see, run on every page."""
    count = await session.scalar(
        select(func.count())
        .select_from(Ticket)
        .outerjoin(TicketRead, _with_reads(viewer))
        .where(seen_by(viewer), _unseen())
    )
    return count or 0


async def unread_among(
    session: AsyncSession, viewer: Account, ticket_ids: Sequence[int]
) -> set[int]:
    """Which of `ticket_ids` have a message `viewer` has not seen, as `unread` counts them."""
    if not ticket_ids:
        return set()
    found = await session.scalars(
        select(Ticket.id)
        .outerjoin(TicketRead, _with_reads(viewer))
        .where(Ticket.id.in_(ticket_ids), seen_by(viewer), _unseen())
    )
    return set(found)
