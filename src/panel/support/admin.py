"""`/admin/v1`: the tickets that reach the operator (resellers' own, and agencies' tickets their
reseller escalated), the upstream provider's ticket id, canned replies and figures."""

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query, status
from sqlalchemy.ext.asyncio import AsyncSession

from panel.keys.callers import OperatorDep
from panel.models import Account, ApiKey, Ticket
from panel.plumbing.deps import SessionDep
from panel.plumbing.schemas import MAX_ID, PathId
from panel.support import canned, figures, tickets
from panel.support.endpoints_v1 import Before, Limit, StatusFilter, WaitingOn
from panel.support.schemas import (
    AdminMessageOut,
    AdminTicketDetail,
    AdminTicketOrderOut,
    AdminTicketOut,
    CannedCreate,
    CannedOut,
    FiguresOut,
    MessageCreate,
    UpstreamTicket,
)

router = APIRouter(tags=["admin: support"])
OPERATOR = None  # the owner of the operator's canned replies


async def _actor(session: AsyncSession, operator: ApiKey) -> Account:
    return await session.get_one(Account, operator.account_id)


def _view(ticket: Ticket, unread: bool = False) -> AdminTicketOut:
    return AdminTicketOut.of(ticket, unread)


@router.get("/tickets")
async def list_tickets(
    session: SessionDep,
    operator: OperatorDep,
    status_: StatusFilter = None,
    waiting_on: WaitingOn = None,
    account_id: Annotated[int | None, Query(ge=1, le=MAX_ID, description="who opened it")] = None,
    before: Before = None,
    limit: Limit = 50,
) -> list[AdminTicketOut]:
    """The operator's queue: those waiting on the operator first, oldest on top, then the rest
    newest first."""
    actor = await _actor(session, operator)
    found = tickets.Filter(
        status=status_, waiting_on=waiting_on, account_id=account_id, before=before, limit=limit
    )
    shown = await tickets.listing(session, actor, found)
    unread = await tickets.unread_among(session, actor, [ticket.id for ticket in shown])
    return [_view(ticket, ticket.id in unread) for ticket in shown]


@router.get("/tickets/{ticket_id}")
async def get_ticket(
    ticket_id: PathId, session: SessionDep, operator: OperatorDep
) -> AdminTicketDetail:
    """The ticket with its messages (and who wrote them) and its orders with their providers
    and automatic answers; reading it marks it read."""
    actor = await _actor(session, operator)
    ticket = await tickets.ticket_of(session, actor, ticket_id)
    messages = await tickets.messages_of(session, ticket)
    found = await tickets.orders_of(session, ticket)
    await tickets.mark_read(session, actor, ticket)
    return AdminTicketDetail(
        **_view(ticket).model_dump(),
        messages=[AdminMessageOut.model_validate(message) for message in messages],
        orders=[AdminTicketOrderOut.model_validate(row) for row in found],
    )


@router.post("/tickets/{ticket_id}/messages", status_code=status.HTTP_201_CREATED)
async def post_message(
    ticket_id: PathId, body: MessageCreate, session: SessionDep, operator: OperatorDep
) -> AdminMessageOut:
    """An answer: the ticket then waits on the buyer."""
    actor = await _actor(session, operator)
    message = await tickets.reply(session, actor, ticket_id, body.body, datetime.now(UTC))
    await session.refresh(message)
    return AdminMessageOut.model_validate(message)


@router.post("/tickets/{ticket_id}/close")
async def close_ticket(
    ticket_id: PathId, session: SessionDep, operator: OperatorDep
) -> AdminTicketOut:
    actor = await _actor(session, operator)
    return _view(await tickets.close(session, actor, ticket_id, datetime.now(UTC)))


@router.put("/tickets/{ticket_id}/upstream-ticket")
async def set_upstream_ticket(
    ticket_id: PathId, body: UpstreamTicket, session: SessionDep, operator: OperatorDep
) -> AdminTicketOut:
    """The provider's own ticket id, once one is opened there; empty clears it."""
    actor = await _actor(session, operator)
    ticket = await tickets.set_upstream_ticket(
        session, actor, ticket_id, body.upstream_ticket, datetime.now(UTC)
    )
    return _view(ticket)


@router.get("/canned-replies")
async def list_canned(session: SessionDep) -> list[CannedOut]:
    """The operator's replies kept ready to send."""
    return [CannedOut.of(reply) for reply in await canned.replies_of(session, OPERATOR)]


@router.post("/canned-replies", status_code=status.HTTP_201_CREATED)
async def add_canned(body: CannedCreate, session: SessionDep) -> CannedOut:
    reply = await canned.add(session, OPERATOR, body.title, body.body)
    await session.refresh(reply)
    return CannedOut.of(reply)


@router.delete("/canned-replies/{reply_id}", status_code=status.HTTP_204_NO_CONTENT)
async def remove_canned(reply_id: PathId, session: SessionDep) -> None:
    await canned.remove(session, OPERATOR, reply_id)


@router.get("/support/figures")
async def support_figures(session: SessionDep, operator: OperatorDep) -> FiguresOut:
    """The tickets that reached the operator over 30 days."""
    found = await figures.figures_for(session, await _actor(session, operator), datetime.now(UTC))
    return FiguresOut.model_validate(found)
