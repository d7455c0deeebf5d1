"""`/v1`: tickets for resellers and agencies (an agency's go to its reseller, a reseller's to
the operator) and, for a reseller, what it answers with: escalation, canned replies, figures."""

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, status
from fastapi.responses import Response
from pydantic import TypeAdapter
from sqlalchemy.ext.asyncio import AsyncSession

from panel.errors import NotFound
from panel.keys.callers import BuyerDep
from panel.models import Account, AccountKind, Party, Ticket, TicketStatus
from panel.plumbing import idempotency
from panel.plumbing.deps import SessionDep
from panel.plumbing.schemas import PathId
from panel.support import canned, figures, mass, tickets
from panel.support.schemas import (
    CannedCreate,
    CannedOut,
    Escalation,
    FiguresOut,
    MessageCreate,
    MessageOut,
    TicketCreate,
    TicketDetail,
    TicketMass,
    TicketOrderOut,
    TicketOut,
    UnreadOut,
)

router = APIRouter(tags=["tickets"])

Before = Annotated[
    int | None, Query(ge=1, le=2**63 - 1, description="only tickets older than this one")
]
Limit = Annotated[int, Query(ge=1, le=200)]
StatusFilter = Annotated[TicketStatus | None, Query(alias="status")]
WaitingOn = Annotated[Party | None, Query(description="whose turn it is")]
IdempotencyKey = Annotated[
    str | None,
    Header(
        min_length=1,
        max_length=255,
        description="Send the same key again to retry safely: the first answer comes back "
        "instead of a second ticket. Kept for 24 hours; the same key with another body is 409.",
    ),
]
KEY_REUSED: dict[int | str, dict[str, Any]] = {409: {"description": "key reused"}}


def _reseller(buyer: Account) -> Account:
    if buyer.kind is not AccountKind.reseller:
        raise NotFound("resellers answer their agencies' tickets; an agency's go to its reseller")
    return buyer


def _sent(answer: idempotency.Answer) -> Response:
    # The stored bytes themselves, so a retry's answer is identical to the first one.
    return Response(answer.body, status_code=answer.status_code, media_type="application/json")


async def _once(
    session: AsyncSession, buyer: Account, key: str | None, path: str, body: bytes
) -> Response | None:
    """The first answer to this key, when this is a retry."""
    if key is None:
        return None
    fingerprint = idempotency.fingerprint("POST", path, body)
    first = await idempotency.claim(session, buyer.id, key, fingerprint)
    return _sent(first) if first is not None else None


_MANY = TypeAdapter(list[TicketOut])


async def _answer(
    session: AsyncSession, buyer: Account, key: str | None, view: TicketOut | list[TicketOut]
) -> Response:
    """201 with the ticket(s), kept as sent for a retry with the same key."""
    body = view.model_dump_json() if isinstance(view, TicketOut) else _MANY.dump_json(view).decode()
    answer = idempotency.Answer(status.HTTP_201_CREATED, body)
    if key is not None:
        await idempotency.remember(session, buyer.id, key, answer)
    return _sent(answer)


async def _view(session: AsyncSession, ticket: Ticket) -> TicketOut:
    await session.refresh(ticket)  # created_at, set by the database
    return TicketOut.of(ticket)


async def detail(session: AsyncSession, viewer: Account, ticket: Ticket) -> TicketDetail:
    """A ticket with its messages and orders, marked read by `viewer`."""
    messages = await tickets.messages_of(session, ticket)
    found = await tickets.orders_of(session, ticket)
    await tickets.mark_read(session, viewer, ticket)
    return TicketDetail(
        **TicketOut.of(ticket).model_dump(),
        messages=[MessageOut.of(message) for message in messages],
        orders=[TicketOrderOut.of(row) for row in found],
    )


# --- a buyer's tickets --------------------------------------------------------------------------


@router.post(
    "/tickets",
    status_code=status.HTTP_201_CREATED,
    response_model=TicketOut,
    responses=KEY_REUSED,
)
async def open_ticket(
    body: TicketCreate,
    session: SessionDep,
    buyer: BuyerDep,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """A ticket about orders (`topic` order, with `order_ids` and a `reason`), or about
    payments or the account (`reason` other). One about orders gets its automatic answer,
    per order, within seconds: read it in `GET /v1/tickets/{id}`."""
    retry = await _once(
        session, buyer, idempotency_key, "/v1/tickets", body.model_dump_json().encode()
    )
    if retry is not None:
        return retry
    ids = tickets.order_ids(body.order_ids) if isinstance(body.order_ids, str) else body.order_ids
    new = tickets.NewTicket(body.topic, body.reason, body.message, ids, body.subject, body.lang)
    ticket = await tickets.open_ticket(session, buyer, new, datetime.now(UTC))
    return await _answer(session, buyer, idempotency_key, await _view(session, ticket))


@router.post(
    "/tickets/mass",
    status_code=status.HTTP_201_CREATED,
    response_model=list[TicketOut],
    responses=KEY_REUSED,
)
async def open_mass(
    body: TicketMass,
    session: SessionDep,
    buyer: BuyerDep,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Many orders at once, one per line: one ticket per reason. When a line is wrong, the
    problem lists every bad line (`lines`) and no ticket is opened."""
    retry = await _once(
        session, buyer, idempotency_key, "/v1/tickets/mass", body.model_dump_json().encode()
    )
    if retry is not None:
        return retry
    opened = await mass.open_mass(
        session, buyer, body.lines, body.reason, body.message, body.lang, datetime.now(UTC)
    )
    views = [await _view(session, ticket) for ticket in opened]
    return await _answer(session, buyer, idempotency_key, views)


@router.get("/tickets")
async def list_tickets(
    session: SessionDep,
    buyer: BuyerDep,
    status_: StatusFilter = None,
    waiting_on: WaitingOn = None,
    before: Before = None,
    limit: Limit = 50,
) -> list[TicketOut]:
    """Your tickets, newest first; a reseller's also its agencies', those waiting on it first
    (oldest on top)."""
    found = tickets.Filter(status=status_, waiting_on=waiting_on, before=before, limit=limit)
    shown = await tickets.listing(session, buyer, found)
    unread = await tickets.unread_among(session, buyer, [ticket.id for ticket in shown])
    return [TicketOut.of(ticket, ticket.id in unread) for ticket in shown]


@router.get("/tickets/unread")
async def unread_count(session: SessionDep, buyer: BuyerDep) -> UnreadOut:
    """How many of your tickets have a message you have not read."""
    return UnreadOut(count=await tickets.unread(session, buyer))


# `:int`: a path like /tickets/mass is not a ticket, so it does not claim to answer GET there.
@router.get("/tickets/{ticket_id:int}")
async def get_ticket(ticket_id: PathId, session: SessionDep, buyer: BuyerDep) -> TicketDetail:
    """The ticket with its messages and its orders with their automatic answers; reading it
    marks it read."""
    return await detail(session, buyer, await tickets.ticket_of(session, buyer, ticket_id))


@router.post("/tickets/{ticket_id}/messages", status_code=status.HTTP_201_CREATED)
async def post_message(
    ticket_id: PathId, body: MessageCreate, session: SessionDep, buyer: BuyerDep
) -> MessageOut:
    """A reply. The buyer's reopens a closed ticket; a reseller's answer waits on the buyer."""
    message = await tickets.reply(session, buyer, ticket_id, body.body, datetime.now(UTC))
    await session.refresh(message)
    return MessageOut.of(message)


@router.post("/tickets/{ticket_id}/close")
async def close_ticket(ticket_id: PathId, session: SessionDep, buyer: BuyerDep) -> TicketOut:
    """Settled. Closing a closed ticket is 409; a reply from the buyer opens it again."""
    return TicketOut.of(await tickets.close(session, buyer, ticket_id, datetime.now(UTC)))


# --- a reseller answering -------------------------------------------------------------------------


@router.post("/tickets/{ticket_id}/escalate", tags=["reseller support"])
async def escalate_ticket(
    ticket_id: PathId, session: SessionDep, buyer: BuyerDep, body: Escalation | None = None
) -> TicketOut:
    """Hand an agency's ticket to the operator (resellers): an upstream matter, say. Your own
    tickets already go to the operator (409)."""
    reseller = _reseller(buyer)
    note = body.note if body else ""
    ticket = await tickets.escalate(session, reseller, ticket_id, note, datetime.now(UTC))
    return TicketOut.of(ticket)


@router.get("/canned-replies", tags=["reseller support"])
async def list_canned(session: SessionDep, buyer: BuyerDep) -> list[CannedOut]:
    """Your replies kept ready to send (resellers)."""
    found = await canned.replies_of(session, _reseller(buyer).id)
    return [CannedOut.of(reply) for reply in found]


@router.post("/canned-replies", status_code=status.HTTP_201_CREATED, tags=["reseller support"])
async def add_canned(body: CannedCreate, session: SessionDep, buyer: BuyerDep) -> CannedOut:
    reply = await canned.add(session, _reseller(buyer).id, body.title, body.body)
    await session.refresh(reply)
    return CannedOut.of(reply)


@router.delete(
    "/canned-replies/{reply_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    tags=["reseller support"],
)
async def remove_canned(reply_id: PathId, session: SessionDep, buyer: BuyerDep) -> None:
    await canned.remove(session, _reseller(buyer).id, reply_id)


@router.get("/support/figures", tags=["reseller support"])
async def support_figures(session: SessionDep, buyer: BuyerDep) -> FiguresOut:
    """Your agencies' tickets and yours over 30 days (resellers)."""
    found = await figures.figures_for(session, _reseller(buyer), datetime.now(UTC))
    return FiguresOut.model_validate(found)
