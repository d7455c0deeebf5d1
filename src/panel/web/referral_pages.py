"""Referral pages: an agency's own link and what it earned, the sign-up page its link opens
on its reseller's brand, and the reseller's console setting of the share and the period."""

from datetime import UTC, datetime
from decimal import Decimal
from functools import partial
from typing import Annotated
from urllib.parse import quote

from fastapi import Form
from fastapi.responses import RedirectResponse, Response
from pydantic import Field, TypeAdapter, ValidationError

from panel.accounts import invitations
from panel.brands import by_host
from panel.currencies import money_text
from panel.errors import Conflict, PanelError
from panel.growth import referrals
from panel.models import Account
from panel.plumbing.deps import SessionDep
from panel.web import joining, referral_texts
from panel.web.joining import SignUpDep
from panel.web.pages import (
    AgencyDep,
    Page,
    PageDep,
    ResellerDep,
    page_router,
)

router = page_router()
# A share above 100% would pay a referrer more than the margin it is a share of.
_share = TypeAdapter(Annotated[Decimal, Field(ge=0, le=100)])


@router.get("/referrals")
async def referrals_page(page: PageDep, agency: AgencyDep, session: SessionDep) -> Response:
    assert agency.parent_id is not None
    w = referral_texts.WORDS[page.lang]
    reseller = await session.get_one(Account, agency.parent_id)
    terms = await referrals.terms_of(session, reseller.id)
    code = await referrals.link_code(session, agency)
    link = whatsapp = None
    brand_name = page.brand.name
    try:
        joins = await invitations.joins_at(
            session, reseller, by_host.host_of(page.request.headers.get("host", ""))
        )
    except Conflict:
        pass  # a reseller without a brand has nowhere a new agency could sign in
    else:
        brand_name = joins.brand_name
        base = page.request.base_url.replace(hostname=joins.host)
        link = f"{base}{referrals.PATH.lstrip('/')}{code}"
        whatsapp = (
            f"https://wa.me/?text={quote(w['share_text'].format(brand=brand_name, link=link))}"
        )
    earned, total = await referrals.commissions_of(session, agency.id)
    return page.render(
        "referrals.html",
        w=w,
        link=link,
        whatsapp=whatsapp,
        terms=terms,
        share=money_text.number(terms.share_percent, page.lang),
        brand_name=brand_name,
        referred=await referrals.referrals_of(session, agency.id),
        earned=earned,
        total=total,
    )


async def _referrer(page: Page, session: SessionDep, code: str) -> Account | None:
    """The agency whose link this is, if it belongs to this host's brand."""
    if page.brand.reseller_id is None:
        return None
    return await referrals.referrer_of_code(session, code, page.brand.reseller_id)


@router.get("/ref/{code}")
async def join_form(code: str, page: PageDep, session: SessionDep) -> Response:
    referrer = await _referrer(page, session, code)
    if referrer is None:
        return page.render("message.html", 404, message=page.t("link_not_valid"))
    return page.render(
        "referral_join.html", w=referral_texts.WORDS[page.lang], code=code, referrer=referrer
    )


@router.post("/ref/{code}")
async def join(code: str, page: PageDep, session: SessionDep, typed: SignUpDep) -> Response:
    referrer = await _referrer(page, session, code)
    if referrer is None:
        return page.render("message.html", 404, message=page.t("link_not_valid"))
    create = partial(
        referrals.join,
        session,
        referrer,
        datetime.now(UTC),
        name=typed.name,
        email=typed.email,
        password=typed.password,
    )
    said = referral_texts.WORDS[page.lang]
    return await joining.answer(
        page, session, typed, create, "referral_join.html", w=said, code=code, referrer=referrer
    )


@router.get("/console/referrals")
async def terms_form(
    page: PageDep, reseller: ResellerDep, session: SessionDep, saved: int = 0
) -> Response:
    terms = await referrals.terms_of(session, reseller.id)
    return _terms_page(
        page, money_text.number(terms.share_percent, page.lang), str(terms.days), saved=saved
    )


@router.post("/console/referrals")
async def set_terms(
    page: PageDep,
    reseller: ResellerDep,
    session: SessionDep,
    share_percent: Annotated[str, Form(max_length=40)] = "",
    days: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    w = referral_texts.WORDS[page.lang]
    try:
        typed = money_text.read_number(share_percent, page.lang, places=2, zero=True, unit="%")
        share = _share.validate_python(typed)
    except (money_text.Unreadable, ValidationError):
        return _terms_page(page, share_percent, days, error=w["console_bad_share"])
    if not days.strip().isdigit() or not 0 < int(days) <= referrals.MAX_DAYS:
        return _terms_page(page, share_percent, days, error=w["console_bad_days"])
    try:
        async with session.begin_nested():
            await referrals.set_terms(session, reseller, share, int(days), datetime.now(UTC))
    except PanelError as refused:
        return _terms_page(page, share_percent, days, error=refused.detail)
    return page.keep(RedirectResponse("/console/referrals?saved=1", status_code=303))


def _terms_page(
    page: Page, share: str, days: str, *, saved: int = 0, error: str | None = None
) -> Response:
    return page.render(
        "console_referrals.html",
        422 if error else 200,
        w=referral_texts.WORDS[page.lang],
        share=share,
        days=days,
        saved=saved,
        error=error,
    )
