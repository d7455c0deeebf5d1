"""Vouchers in the browser: a reseller's for its agencies (`/console/vouchers`) and the
operator's for resellers (`/ops/vouchers`), one page for both. Every write goes through the
voucher book, as /v1 and /admin/v1 would."""

from datetime import UTC, date, datetime, time
from typing import Annotated

from fastapi import Form
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from panel.accounts import service as accounts
from panel.currencies import money_text
from panel.errors import Invalid, PanelError
from panel.growth import voucher_book
from panel.growth.voucher_book import Terms
from panel.models import Account, AccountKind, Service, VoucherKind
from panel.plumbing.deps import SessionDep
from panel.web import level_texts, voucher_texts
from panel.web.pages import Interrupt, Page, PageDep, SellerDep, page_router

router = page_router()
Field = Annotated[str, Form(max_length=80)]
HOME = {AccountKind.reseller: "/console/vouchers", AccountKind.operator: "/ops/vouchers"}
HOLDERS = 500  # accounts offered in the "only for" list


def _home(page: Page, issuer: Account) -> str:
    """The issuer's own page: a reseller's console or the operator's; the other does not
    exist for it."""
    home = HOME[issuer.kind]
    if not page.request.url.path.startswith(home):
        raise Interrupt(page.render("message.html", 404, message=page.t("not_found")))
    return home


async def _page(
    page: Page, issuer: Account, session: AsyncSession, *, saved: bool = False, error: str = ""
) -> Response:
    operator = issuer.kind is AccountKind.operator
    holders = await accounts.list_accounts(
        session,
        kind=AccountKind.reseller if operator else AccountKind.agency,
        parent_id=None if operator else issuer.id,
        limit=HOLDERS,
    )
    categories = await session.scalars(
        select(Service.category).where(Service.enabled).distinct().order_by(Service.category)
    )
    return page.render(
        "vouchers.html",
        status=400 if error else 200,
        home=_home(page, issuer),
        operator=operator,
        issued=await voucher_book.issued(session, issuer),
        holders=holders,
        names={holder.id: holder.name for holder in holders},
        categories=[category for category in categories if category],
        now=datetime.now(UTC),
        vw=voucher_texts.WORDS[page.lang],
        pct=level_texts.percent,
        saved=saved,
        error=error,
    )


def _count(page: Page, text: str) -> int | None:
    if not text.strip():
        return None
    if not text.strip().isdigit():
        said = voucher_texts.WORDS[page.lang]["bad_number"].format(value=text.strip())
        raise Invalid(said)
    return int(text.strip())


def _terms(
    page: Page,
    *,
    code: str,
    kind: str,
    value: str,
    category: str,
    service_id: str,
    min_charge: str,
    max_uses: str,
    uses_per_account: str,
    expires_on: str,
    account_id: str,
) -> Terms:
    """The form as the voucher book takes it; `Invalid` or `money_text.Unreadable` for what
    cannot be read."""
    chosen = VoucherKind.fixed if kind == VoucherKind.fixed.value else VoucherKind.percent
    amount = (
        page.read_amount(value)
        if chosen is VoucherKind.fixed
        else money_text.read_number(value, page.lang, unit="%")
    )
    until = None
    if expires_on.strip():
        try:
            # Valid through the whole of the day chosen.
            until = datetime.combine(date.fromisoformat(expires_on.strip()), time.max, UTC)
        except ValueError as unreadable:
            raise Invalid(voucher_texts.WORDS[page.lang]["bad_date"]) from unreadable
    return Terms(
        code=code,
        kind=chosen,
        value=amount,
        account_id=_count(page, account_id),
        service_id=_count(page, service_id),
        category=category.strip() or None,
        min_charge=page.read_amount(min_charge) if min_charge.strip() else None,
        max_uses=_count(page, max_uses),
        uses_per_account=_count(page, uses_per_account),
        expires_at=until,
    )


@router.get("/console/vouchers")
@router.get("/ops/vouchers")
async def vouchers_page(
    page: PageDep, issuer: SellerDep, session: SessionDep, saved: int = 0
) -> Response:
    return await _page(page, issuer, session, saved=bool(saved))


@router.post("/console/vouchers")
@router.post("/ops/vouchers")
async def issue_voucher(
    page: PageDep,
    issuer: SellerDep,
    session: SessionDep,
    code: Field = "",
    kind: Field = "",
    value: Field = "",
    category: Annotated[str, Form(max_length=200)] = "",
    service_id: Field = "",
    min_charge: Field = "",
    max_uses: Field = "",
    uses_per_account: Field = "",
    expires_on: Field = "",
    account_id: Field = "",
) -> Response:
    home = _home(page, issuer)
    try:
        terms = _terms(
            page,
            code=code,
            kind=kind,
            value=value,
            category=category,
            service_id=service_id,
            min_charge=min_charge,
            max_uses=max_uses,
            uses_per_account=uses_per_account,
            expires_on=expires_on,
            account_id=account_id,
        )
        async with session.begin_nested():
            await voucher_book.issue(session, issuer, terms, datetime.now(UTC))
    except money_text.Unreadable as unreadable:
        return await _page(page, issuer, session, error=unreadable.said(page.lang))
    except PanelError as refused:
        return await _page(page, issuer, session, error=refused.detail)
    return page.keep(RedirectResponse(f"{home}?saved=1", status_code=303))


@router.post("/console/vouchers/{voucher_id:int}/switch")
@router.post("/ops/vouchers/{voucher_id:int}/switch")
async def switch_voucher(
    voucher_id: int,
    page: PageDep,
    issuer: SellerDep,
    session: SessionDep,
    active: Field = "",
) -> Response:
    home = _home(page, issuer)
    try:
        await voucher_book.change(session, issuer, voucher_id, active=active == "1")
    except PanelError as refused:
        return await _page(page, issuer, session, error=refused.detail)
    return page.keep(RedirectResponse(f"{home}?saved=1", status_code=303))
