"""The operator's tickets: resellers' own tickets and the agencies' tickets their resellers
escalated, waiting on the operator first; replying (with the operator's canned replies),
recording the upstream provider's ticket id, closing, and the figures."""

from datetime import UTC, datetime
from typing import Annotated

from fastapi import Form
from fastapi.responses import RedirectResponse, Response

from panel.plumbing.deps import SessionDep
from panel.support import tickets
from panel.web import ticket_console
from panel.web.pages import OperatorDep, PageDep, page_router

router = page_router()
PAGE = "/ops/tickets"
TEMPLATE = "ops_tickets.html"
BODY_TEXT = tickets.MAX_BODY + 100
OWNER = None  # the operator's canned replies have no owner


@router.get(PAGE)
async def queue(page: PageDep, operator: OperatorDep, session: SessionDep) -> Response:
    return await ticket_console.queue_page(page, session, operator, OWNER, TEMPLATE, PAGE)


@router.get(PAGE + "/{ticket_id}")
async def one_ticket(
    ticket_id: int, page: PageDep, operator: OperatorDep, session: SessionDep
) -> Response:
    return await ticket_console.staff_view(page, session, operator, ticket_id, OWNER, PAGE)


@router.post(PAGE + "/{ticket_id}/messages")
async def reply(
    ticket_id: int,
    page: PageDep,
    operator: OperatorDep,
    session: SessionDep,
    body: Annotated[str, Form(max_length=BODY_TEXT)] = "",
    canned: Annotated[str, Form(max_length=12)] = "",
) -> Response:
    return await ticket_console.staff_reply(
        page, session, operator, OWNER, PAGE, ticket_id, body, canned
    )


@router.post(PAGE + "/{ticket_id}/upstream")
async def upstream(
    ticket_id: int,
    page: PageDep,
    operator: OperatorDep,
    session: SessionDep,
    upstream_ticket: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    ticket = await ticket_console.ticket_or_none(session, operator, ticket_id)
    if ticket is None:
        return ticket_console.not_found(page, PAGE)
    await tickets.set_upstream_ticket(
        session, operator, ticket.id, upstream_ticket, datetime.now(UTC)
    )
    return page.keep(RedirectResponse(f"{PAGE}/{ticket.id}", status_code=303))


@router.post(PAGE + "/{ticket_id}/close")
async def close(
    ticket_id: int, page: PageDep, operator: OperatorDep, session: SessionDep
) -> Response:
    return await ticket_console.close(page, session, operator, ticket_id, PAGE)


@router.post(PAGE + "/canned")
async def add_canned(
    page: PageDep,
    operator: OperatorDep,
    session: SessionDep,
    title: Annotated[str, Form(max_length=200)] = "",
    body: Annotated[str, Form(max_length=BODY_TEXT)] = "",
) -> Response:
    return await ticket_console.add_canned(
        page, session, operator, OWNER, TEMPLATE, PAGE, title, body
    )


@router.post(PAGE + "/canned/{reply_id}/remove")
async def remove_canned(
    reply_id: int, page: PageDep, operator: OperatorDep, session: SessionDep
) -> Response:
    return await ticket_console.remove_canned(page, session, OWNER, PAGE, reply_id)
