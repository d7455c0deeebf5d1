"""The reseller console's tickets: its agencies' tickets, those waiting on it first (the
overdue on top), its support figures, replying with a canned reply, escalating to the
operator, closing, and its canned replies."""

from datetime import UTC, datetime
from typing import Annotated

from fastapi import Form
from fastapi.responses import RedirectResponse, Response

from panel.errors import PanelError
from panel.plumbing.deps import SessionDep
from panel.support import tickets
from panel.web import ticket_console, ticket_texts
from panel.web.pages import PageDep, ResellerDep, page_router

router = page_router()
PAGE = "/console/tickets"
TEMPLATE = "console_tickets.html"
BODY_TEXT = tickets.MAX_BODY + 100


@router.get(PAGE)
async def queue(page: PageDep, reseller: ResellerDep, session: SessionDep) -> Response:
    return await ticket_console.queue_page(page, session, reseller, reseller.id, TEMPLATE, PAGE)


@router.get(PAGE + "/{ticket_id}")
async def one_ticket(
    ticket_id: int, page: PageDep, reseller: ResellerDep, session: SessionDep
) -> Response:
    ticket = await ticket_console.ticket_or_none(session, reseller, ticket_id)
    if ticket is not None and ticket.account_id == reseller.id:
        # Its own ticket to the operator: the reseller reads it as a buyer.
        return page.keep(RedirectResponse(f"/tickets/{ticket.id}", status_code=303))
    return await ticket_console.staff_view(page, session, reseller, ticket_id, reseller.id, PAGE)


@router.post(PAGE + "/{ticket_id}/messages")
async def reply(
    ticket_id: int,
    page: PageDep,
    reseller: ResellerDep,
    session: SessionDep,
    body: Annotated[str, Form(max_length=BODY_TEXT)] = "",
    canned: Annotated[str, Form(max_length=12)] = "",
) -> Response:
    return await ticket_console.staff_reply(
        page, session, reseller, reseller.id, PAGE, ticket_id, body, canned
    )


@router.post(PAGE + "/{ticket_id}/escalate")
async def escalate(
    ticket_id: int,
    page: PageDep,
    reseller: ResellerDep,
    session: SessionDep,
    note: Annotated[str, Form(max_length=BODY_TEXT)] = "",
) -> Response:
    ticket = await ticket_console.ticket_or_none(session, reseller, ticket_id)
    if ticket is None:
        return ticket_console.not_found(page, PAGE)
    try:
        async with session.begin_nested():
            await tickets.escalate(session, reseller, ticket.id, note, datetime.now(UTC))
    except PanelError as refused:
        said = ticket_texts.WORDS[page.lang]
        error = (
            said["error_escalate"]
            if refused.status_code == 409
            else ticket_texts.refusal(said, refused)
        )
        return await ticket_console.staff_ticket(
            page, session, reseller, ticket, reseller.id, PAGE, refused.status_code, error=error
        )
    return page.keep(RedirectResponse(f"{PAGE}/{ticket.id}", status_code=303))


@router.post(PAGE + "/{ticket_id}/close")
async def close(
    ticket_id: int, page: PageDep, reseller: ResellerDep, session: SessionDep
) -> Response:
    return await ticket_console.close(page, session, reseller, ticket_id, PAGE)


@router.post(PAGE + "/canned")
async def add_canned(
    page: PageDep,
    reseller: ResellerDep,
    session: SessionDep,
    title: Annotated[str, Form(max_length=200)] = "",
    body: Annotated[str, Form(max_length=BODY_TEXT)] = "",
) -> Response:
    return await ticket_console.add_canned(
        page, session, reseller, reseller.id, TEMPLATE, PAGE, title, body
    )


@router.post(PAGE + "/canned/{reply_id}/remove")
async def remove_canned(
    reply_id: int, page: PageDep, reseller: ResellerDep, session: SessionDep
) -> Response:
    return await ticket_console.remove_canned(page, session, reseller.id, PAGE, reply_id)
