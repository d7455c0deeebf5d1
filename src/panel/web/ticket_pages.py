"""A buyer's tickets in the web panel, for agencies and resellers alike: the list (the unread
marked, who each waits on in words), a new ticket about orders (ids pasted as panels take
them, or picked on the order list), payments or the account, one ticket with each order's
automatic answer (appearing by itself), replying and closing. Every rule is
`panel.support.tickets`'; these pages read forms and show what it answers."""

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Form, Query
from fastapi.responses import RedirectResponse, Response

from panel.errors import PanelError
from panel.models import Account, AccountKind, TicketReason, TicketTopic
from panel.plumbing.deps import SessionDep
from panel.support import figures, tickets
from panel.web import ticket_console, ticket_texts
from panel.web.pages import BuyerDep, Page, PageDep, page_router

router = page_router()
LIST = "/tickets"
NEW = "/tickets/new"
TOPICS = [topic.value for topic in TicketTopic]
REASONS = [reason.value for reason in TicketReason]
ORDER_TEXT = 2000  # characters of pasted ids a form takes
BODY_TEXT = tickets.MAX_BODY + 100  # a little over, so the service's own limit is what refuses


def _shared(page: Page) -> dict[str, Any]:
    return ticket_console.shared(page, staff=False)


@router.get(LIST)
async def ticket_list(page: PageDep, account: BuyerDep, session: SessionDep) -> Response:
    listed = await tickets.listing(session, account, tickets.Filter(account_id=account.id))
    # An agency reads how fast its reseller answers, whenever there is a figure to show.
    median = (
        await figures.median_response_s(session, account.parent_id, datetime.now(UTC))
        if account.kind is AccountKind.agency and account.parent_id is not None
        else None
    )
    return page.render(
        "tickets.html",
        **_shared(page),
        rows=listed,
        unread_rows=await tickets.unread_among(session, account, [t.id for t in listed]),
        median_s=median,
        reseller=account.kind is AccountKind.reseller,
    )


@router.get(NEW)
async def new_ticket(
    page: PageDep,
    account: BuyerDep,
    orders: Annotated[list[str] | None, Query()] = None,
) -> Response:
    """The form; `?orders=123` (once or more, as the order list sends them) is filled in."""
    given = (orders or [])[: tickets.MAX_ORDERS]
    pasted = " ".join(part.strip() for part in given if part.strip())[:ORDER_TEXT]
    return _form(page, order_text=pasted)


def _form(
    page: Page,
    status: int = 200,
    *,
    error: str | None = None,
    topic: str = TicketTopic.order.value,
    reason: str = TicketReason.not_started.value,
    order_text: str = "",
    subject: str = "",
    message: str = "",
) -> Response:
    return page.render(
        "ticket_new.html",
        status,
        **_shared(page),
        topics=TOPICS,
        reasons=REASONS,
        error=error,
        chosen_topic=topic,
        chosen_reason=reason,
        order_text=order_text,
        subject=subject,
        message=message,
    )


@router.post(LIST)
async def open_ticket(
    page: PageDep,
    account: BuyerDep,
    session: SessionDep,
    topic: Annotated[str, Form(max_length=20)] = "",
    reason: Annotated[str, Form(max_length=40)] = "",
    order_ids: Annotated[str, Form(max_length=ORDER_TEXT)] = "",
    subject: Annotated[str, Form(max_length=200)] = "",
    message: Annotated[str, Form(max_length=BODY_TEXT)] = "",
) -> Response:
    said = ticket_texts.WORDS[page.lang]

    def refused(error: str, status: int = 422) -> Response:
        return _form(
            page,
            status,
            error=error,
            topic=topic,
            reason=reason,
            order_text=order_ids,
            subject=subject,
            message=message,
        )

    if topic not in TOPICS:
        return refused(said["error_topic"])
    about = TicketTopic(topic)
    # Only a ticket about orders has a reason to choose; the others are "other".
    if about is not TicketTopic.order:
        reason = TicketReason.other.value
    if reason not in REASONS:
        return refused(said["error_reason"])
    try:
        ids = tickets.order_ids(order_ids) if about is TicketTopic.order else []
        # A savepoint: a refusal leaves nothing written, and the form can still be shown.
        async with session.begin_nested():
            made = await tickets.open_ticket(
                session,
                account,
                tickets.NewTicket(
                    topic=about,
                    reason=TicketReason(reason),
                    message=message,
                    order_ids=ids,
                    subject=subject,
                    lang=page.lang,
                ),
                datetime.now(UTC),
            )
    except PanelError as refusal:
        return refused(ticket_texts.refusal(said, refusal), refusal.status_code)
    return page.keep(RedirectResponse(f"{LIST}/{made.id}", status_code=303))


async def _ticket_page(
    page: Page,
    session: SessionDep,
    account: Account,
    ticket_id: int,
    status: int = 200,
    *,
    error: str | None = None,
    body: str = "",
) -> Response:
    ticket = await ticket_console.ticket_or_none(session, account, ticket_id)
    if ticket is None or ticket.account_id != account.id:
        # A reseller's agencies' tickets are answered from its console, not here.
        return ticket_console.not_found(page, LIST)
    return page.render(
        "ticket.html",
        status,
        **_shared(page),
        **await ticket_console.thread(page, session, account, ticket),
        error=error,
        body=body,
    )


@router.get(LIST + "/{ticket_id}")
async def ticket_page(
    ticket_id: int, page: PageDep, account: BuyerDep, session: SessionDep
) -> Response:
    return await _ticket_page(page, session, account, ticket_id)


@router.post(LIST + "/{ticket_id}/messages")
async def reply(
    ticket_id: int,
    page: PageDep,
    account: BuyerDep,
    session: SessionDep,
    body: Annotated[str, Form(max_length=BODY_TEXT)] = "",
) -> Response:
    ticket = await ticket_console.ticket_or_none(session, account, ticket_id)
    if ticket is None or ticket.account_id != account.id:
        return ticket_console.not_found(page, LIST)
    try:
        async with session.begin_nested():
            await tickets.reply(session, account, ticket.id, body, datetime.now(UTC))
    except PanelError as refusal:
        said = ticket_texts.WORDS[page.lang]
        return await _ticket_page(
            page,
            session,
            account,
            ticket.id,
            refusal.status_code,
            error=ticket_texts.refusal(said, refusal),
            body=body,
        )
    return page.keep(RedirectResponse(f"{LIST}/{ticket.id}", status_code=303))


@router.post(LIST + "/{ticket_id}/close")
async def close(ticket_id: int, page: PageDep, account: BuyerDep, session: SessionDep) -> Response:
    ticket = await ticket_console.ticket_or_none(session, account, ticket_id)
    if ticket is None or ticket.account_id != account.id:
        return ticket_console.not_found(page, LIST)
    return await ticket_console.close(page, session, account, ticket.id, LIST)
