"""Announcements in the web panel: the operator's console writes to every reseller, the
reseller console to its own agencies (the same page, each with its own readers), and a reader
marks one read from its dashboard. The rules are `growth.announcements`; an operator's write
is the one `/admin/v1/announcements` makes, and so lands in the action log."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import Form, Query
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from panel.errors import PanelError
from panel.growth import announcements
from panel.models import Account, Announcement
from panel.plumbing.deps import SessionDep
from panel.web import announcement_texts, forms
from panel.web.operator_pages import when
from panel.web.pages import (
    BuyerDep,
    OperatorDep,
    Page,
    PageDep,
    ResellerDep,
    page_router,
)

router = page_router()
OPS = "/ops/announcements"
CONSOLE = "/console/announcements"
TEMPLATE = "announcements.html"
MOST_DAYS = announcements.LONGEST.days
# Generous: a textarea sends each line break as two characters, and the rules trim and count.
TITLE_TEXT = announcements.MAX_TITLE + 100
BODY_TEXT = announcements.MAX_BODY * 2 + 100
Title = Annotated[str, Form(max_length=TITLE_TEXT)]
Body = Annotated[str, Form(max_length=BODY_TEXT)]
Days = Annotated[str, Form(max_length=10)]


def _words(page: Page) -> dict[str, str]:
    return announcement_texts.WORDS[page.lang]


def _refusal(page: Page, refused: PanelError) -> str:
    words = _words(page)
    code = refused.extra.get("code")
    if isinstance(code, str) and code in words:
        most = announcements.MAX_TITLE if code == "title_long" else announcements.MAX_BODY
        return words[code].format(n=most)
    return page.refusal(refused)


def _days(text: str) -> int | None:
    """How many days an announcement is shown for: none typed, until read; ValueError for
    anything but a whole number from 1 to 365."""
    text = text.strip()
    if not text:
        return None
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= MOST_DAYS:
        raise ValueError(text)
    return int(text)


def _state(now: datetime) -> Callable[[Announcement], str]:
    def state(announcement: Announcement) -> str:
        if announcement.withdrawn_at is not None:
            return "withdrawn"
        if announcement.expires_at is not None and announcement.expires_at <= now:
            return "expired"
        return "live"

    return state


async def _page(
    page: Page,
    session: AsyncSession,
    author: Account,
    base: str,
    status: int = 200,
    *,
    error: str | None = None,
    draft: dict[str, str] | None = None,
    published: bool = False,
) -> Response:
    words = _words(page)
    return page.render(
        TEMPLATE,
        status,
        w=words,
        base=base,
        intro=words["for_resellers" if base == OPS else "for_agencies"],
        rows=await announcements.written(session, author),
        audience=await announcements.audience_size(session, author),
        state=_state(datetime.now(UTC)),
        when=when,
        error=error,
        draft=draft or {},
        published=published,
        max_title=announcements.MAX_TITLE,
        max_body=announcements.MAX_BODY,
    )


async def _publish(
    page: Page,
    session: AsyncSession,
    author: Account,
    base: str,
    title: str,
    body: str,
    days: str,
) -> Response:
    now = datetime.now(UTC)
    draft = {"title": title, "body": body, "days": days}
    try:
        shown_for = _days(days)
    except ValueError:
        error = _words(page)["days_bad"]
        return await _page(page, session, author, base, 422, error=error, draft=draft)
    expires_at = now + timedelta(days=shown_for) if shown_for else None
    try:
        async with session.begin_nested():
            await announcements.publish(session, author, title, body, expires_at, now)
    except PanelError as refused:
        error = _refusal(page, refused)
        return await _page(
            page, session, author, base, refused.status_code, error=error, draft=draft
        )
    return page.keep(RedirectResponse(f"{base}?published=1", status_code=303))


async def _withdraw(
    page: Page, session: AsyncSession, author: Account, base: str, announcement_id: int
) -> Response:
    if not forms.is_row_id(announcement_id):
        return page.render("message.html", 404, message=_words(page)["no_such"], back=base)
    try:
        async with session.begin_nested():
            await announcements.withdraw(session, author, announcement_id, datetime.now(UTC))
    except PanelError as refused:
        message = _words(page)["no_such"] if refused.status_code == 404 else refused.detail
        return page.render("message.html", refused.status_code, message=message, back=base)
    return page.keep(RedirectResponse(f"{base}#announcement-{announcement_id}", status_code=303))


# --- the operator's console ---------------------------------------------------------------------


@router.get(OPS)
async def operator_page(
    page: PageDep,
    operator: OperatorDep,
    session: SessionDep,
    published: Annotated[int, Query(ge=0, le=1)] = 0,
) -> Response:
    return await _page(page, session, operator, OPS, published=bool(published))


@router.post(OPS)
async def operator_publish(
    page: PageDep,
    operator: OperatorDep,
    session: SessionDep,
    title: Title = "",
    body: Body = "",
    days: Days = "",
) -> Response:
    return await _publish(page, session, operator, OPS, title, body, days)


@router.post(OPS + "/{announcement_id}/withdraw")
async def operator_withdraw(
    announcement_id: int,
    page: PageDep,
    operator: OperatorDep,
    session: SessionDep,
) -> Response:
    return await _withdraw(page, session, operator, OPS, announcement_id)


# --- the reseller console -----------------------------------------------------------------------


@router.get(CONSOLE)
async def console_page(
    page: PageDep,
    reseller: ResellerDep,
    session: SessionDep,
    published: Annotated[int, Query(ge=0, le=1)] = 0,
) -> Response:
    return await _page(page, session, reseller, CONSOLE, published=bool(published))


@router.post(CONSOLE)
async def console_publish(
    page: PageDep,
    reseller: ResellerDep,
    session: SessionDep,
    title: Title = "",
    body: Body = "",
    days: Days = "",
) -> Response:
    return await _publish(page, session, reseller, CONSOLE, title, body, days)


@router.post(CONSOLE + "/{announcement_id}/withdraw")
async def console_withdraw(
    announcement_id: int,
    page: PageDep,
    reseller: ResellerDep,
    session: SessionDep,
) -> Response:
    return await _withdraw(page, session, reseller, CONSOLE, announcement_id)


# --- a reader's dashboard -----------------------------------------------------------------------


@router.post("/announcements/{announcement_id}/read")
async def mark_read(
    announcement_id: int,
    page: PageDep,
    reader: BuyerDep,
    session: SessionDep,
) -> Response:
    """One click: off this reader's dashboard, and back to it."""
    if not forms.is_row_id(announcement_id):
        return page.render("message.html", 404, message=_words(page)["no_such"], back="/")
    try:
        async with session.begin_nested():
            await announcements.mark_read(session, reader, announcement_id, datetime.now(UTC))
    except PanelError as refused:
        message = _words(page)["no_such"] if refused.status_code == 404 else refused.detail
        return page.render("message.html", refused.status_code, message=message, back="/")
    return page.keep(RedirectResponse("/", status_code=303))
