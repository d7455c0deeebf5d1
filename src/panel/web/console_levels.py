"""The reseller console's agency levels: the levels, and the rules for keeping them and
resetting points. Every change goes through the level book, as /v1 would."""

from decimal import Decimal
from typing import Annotated

from fastapi import Form
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from panel.currencies import money_text
from panel.errors import Invalid, PanelError
from panel.growth import level_book
from panel.models import Account
from panel.plumbing.deps import SessionDep
from panel.web import level_texts
from panel.web.pages import Page, PageDep, ResellerDep, page_router

router = page_router()
Field = Annotated[str, Form(max_length=80)]


async def _page(
    page: Page, reseller: Account, session: AsyncSession, *, saved: bool = False, error: str = ""
) -> Response:
    rules = await level_book.rules(session, reseller.id)
    credit = rules.point_credit
    return page.render(
        "console_levels.html",
        status=400 if error else 200,
        levels=await level_book.levels(session, reseller.id),
        rules=rules,
        credit_text="" if credit is None else money_text.number(credit, page.lang),
        badges=level_book.BADGES,
        badge_word=level_texts.BADGE_WORDS[page.lang],
        lw=level_texts.WORDS[page.lang],
        pct=level_texts.percent,
        saved=saved,
        error=error,
    )


def _whole(text: str) -> int:
    if not text.strip().isdigit():
        raise Invalid(f"{text.strip() or 'nothing'} is not a whole number")
    return int(text.strip())


@router.get("/console/levels")
async def levels_page(
    page: PageDep, reseller: ResellerDep, session: SessionDep, saved: int = 0
) -> Response:
    return await _page(page, reseller, session, saved=bool(saved))


@router.post("/console/levels")
async def add_level(
    page: PageDep,
    reseller: ResellerDep,
    session: SessionDep,
    name: Field = "",
    target: Field = "",
    badge: Field = "",
    markup_percent: Field = "",
) -> Response:
    try:
        percent: Decimal | None = None
        if markup_percent.strip():
            percent = money_text.read_number(markup_percent, page.lang, zero=True, unit="%")
        async with session.begin_nested():
            await level_book.create(
                session,
                reseller.id,
                name=name,
                target=_whole(target),
                badge=badge,
                markup_percent=percent,
            )
    except money_text.Unreadable as unreadable:
        return await _page(page, reseller, session, error=unreadable.said(page.lang))
    except PanelError as refused:
        return await _page(page, reseller, session, error=refused.detail)
    return page.keep(RedirectResponse("/console/levels?saved=1", status_code=303))


@router.post("/console/levels/{level_id}/delete")
async def delete_level(
    level_id: int, page: PageDep, reseller: ResellerDep, session: SessionDep
) -> Response:
    try:
        await level_book.delete(session, reseller.id, level_id)
    except PanelError as refused:
        return await _page(page, reseller, session, error=refused.detail)
    return page.keep(RedirectResponse("/console/levels?saved=1", status_code=303))


@router.post("/console/levels/rules")
async def set_rules(
    page: PageDep,
    reseller: ResellerDep,
    session: SessionDep,
    keep_percent: Field = "",
    reset_days: Field = "",
    point_credit: Field = "",
) -> Response:
    try:
        keep = money_text.read_number(keep_percent, page.lang, zero=True, unit="%")
        credit = page.read_amount(point_credit) if point_credit.strip() else None
        await level_book.set_rules(
            session,
            reseller.id,
            keep_percent=keep,
            reset_days=_whole(reset_days),
            point_credit=credit,
        )
    except money_text.Unreadable as unreadable:
        return await _page(page, reseller, session, error=unreadable.said(page.lang))
    except PanelError as refused:
        return await _page(page, reseller, session, error=refused.detail)
    return page.keep(RedirectResponse("/console/levels?saved=1", status_code=303))
