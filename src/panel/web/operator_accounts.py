"""Accounts in the operator's web console: resellers and agencies, searchable and created
here; one account's details, with suspension, a password reset link, API keys, its tier and
its money; and the operators, to whom a further one is added. Every write is the one
`/admin/v1` makes, through the same service functions, and so lands in the action log."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import Depends, Form, Query
from fastapi.responses import RedirectResponse, Response
from pydantic import EmailStr, TypeAdapter, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from panel.accounts import operators, service
from panel.currencies import money_text
from panel.errors import Conflict, InsufficientFunds, Invalid, NotFound
from panel.keys import service as keys
from panel.ledger import service as ledger
from panel.models import Account, AccountKind, AccountStatus
from panel.plumbing.deps import SessionDep
from panel.pricing import standing, tiers
from panel.web import account_texts, forms
from panel.web.operator_actions import history_of
from panel.web.operator_pages import when
from panel.web.pages import OperatorDep, Page, PageDep, page_router

router = page_router()
ACCOUNTS = "/ops/accounts"
OPERATORS = "/ops/operators"
KINDS = [AccountKind.reseller.value, AccountKind.agency.value]
STATUSES = [status.value for status in AccountStatus]
STATEMENT_LINES = 20
REFUSED = (Invalid, NotFound, Conflict, InsufficientFunds)
# The same check as /admin/v1's schemas make of an email address.
_EMAIL = TypeAdapter(EmailStr)


def _email(text: str) -> str | None:
    """The address typed, lower case; None when none is typed; ValueError when it is not one."""
    if not text.strip():
        return None
    try:
        return _EMAIL.validate_python(text.strip()).lower()
    except ValidationError:
        raise ValueError(text) from None


def _words(page: Page) -> dict[str, str]:
    return account_texts.WORDS[page.lang]


def _refused(
    page: Page, error: Invalid | NotFound | Conflict | InsufficientFunds, back: str
) -> Response:
    message = _words(page)["refused"].format(why=page.refusal(error))
    return page.render("message.html", error.status_code, message=message, back=back)


# --- the list, creating an account, the operators ----------------------------------------


@router.get(ACCOUNTS)
async def accounts_page(
    page: PageDep,
    operator: OperatorDep,
    session: SessionDep,
    q: Annotated[str, Query(max_length=200)] = "",
    kind: Annotated[str, Query(max_length=20)] = "",
    status: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    return await _accounts_page(page, session, q, kind, status)


async def _accounts_page(
    page: Page,
    session: AsyncSession,
    q: str = "",
    kind: str = "",
    status: str = "",
    *,
    made: tuple[Account, operators.Link] | None = None,
) -> Response:
    kinds = [AccountKind(kind)] if kind in KINDS else [AccountKind(k) for k in KINDS]
    wanted = AccountStatus(status) if status in STATUSES else None
    found = await service.search(session, q, kinds=kinds, status=wanted)
    balances = await ledger.balances(session, [account.id for account in found])
    staff = await service.list_accounts(session, kind=AccountKind.operator, limit=500)
    return page.render(
        "ops_accounts.html",
        w=_words(page),
        rows=[(account, balances.get(account.id)) for account in found],
        asked={"q": q, "kind": kind if kind in KINDS else "", "status": status if wanted else ""},
        kinds=KINDS,
        statuses=STATUSES,
        operators=staff,
        made=made,
        when=when,
    )


@router.post(ACCOUNTS)
async def create_account(
    page: PageDep,
    operator: OperatorDep,
    session: SessionDep,
    kind: Annotated[str, Form(max_length=20)] = "",
    name: Annotated[str, Form(max_length=200)] = "",
    email: Annotated[str, Form(max_length=200)] = "",
    parent_id: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """A reseller, or an agency under a reseller; then its page."""
    if kind not in KINDS or not name.strip():
        return page.render("message.html", 422, message=_words(page)["fill_in"], back=ACCOUNTS)
    try:
        address = _email(email)
    except ValueError:
        return page.render("message.html", 422, message=_words(page)["fill_in"], back=ACCOUNTS)
    parent = parent_id.strip().lstrip("#")
    if parent and not (parent.isdigit() and forms.is_row_id(int(parent[:12]))):
        return page.render("message.html", 422, message=_words(page)["bad_number"], back=ACCOUNTS)
    try:
        async with session.begin_nested():
            account = await service.create_by(
                session,
                operator.id,
                kind=AccountKind(kind),
                name=name.strip(),
                email=address,
                parent_id=int(parent) if parent else None,
            )
    except REFUSED as refused:
        return _refused(page, refused, ACCOUNTS)
    return page.keep(RedirectResponse(f"{ACCOUNTS}/{account.id}", status_code=303))


@router.post(OPERATORS)
async def add_operator(
    page: PageDep,
    operator: OperatorDep,
    session: SessionDep,
    name: Annotated[str, Form(max_length=200)] = "",
    email: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """A further operator and its one-time link, shown in this answer alone."""
    try:
        address = _email(email)
    except ValueError:
        address = None
    if not name.strip() or address is None:
        return page.render("message.html", 422, message=_words(page)["fill_in"], back=ACCOUNTS)
    try:
        async with session.begin_nested():
            made = await operators.add_operator(
                session, operator.id, name.strip(), address, datetime.now(UTC)
            )
    except REFUSED as refused:
        return _refused(page, refused, ACCOUNTS)
    return await _accounts_page(page, session, made=made)


# --- one account ----------------------------------------------------------------------


@router.get(ACCOUNTS + "/{account_id}")
async def account_page(
    account_id: int, page: PageDep, operator: OperatorDep, session: SessionDep
) -> Response:
    return await _account_page(page, session, account_id)


async def _account_page(
    page: Page, session: AsyncSession, account_id: int, **shown_once: Any
) -> Response:
    account = await _account(session, account_id)
    if account is None:
        message = _words(page)["no_such_account"]
        return page.render("message.html", 404, message=message, back=ACCOUNTS)
    held = await keys.list_for(session, account.id)
    buyer = account.kind is not AccountKind.operator
    reseller = account.kind is AccountKind.reseller
    return page.render(
        "ops_account.html",
        w=_words(page),
        account=account,
        parent=await session.get(Account, account.parent_id) if account.parent_id else None,
        keys=held,
        tiers=await tiers.list_tiers(session) if reseller else [],
        tier_changes=list(reversed(await standing.history(session, account))) if reseller else [],
        balance=await ledger.balance(session, account.id) if buyer else None,
        lines=await ledger.statement(session, account.id, limit=STATEMENT_LINES) if buyer else [],
        history=await history_of(session, account.id, [key.id for key in held]),
        here_path=f"{ACCOUNTS}/{account.id}",
        when=when,
        **shown_once,
    )


async def _account(session: AsyncSession, account_id: int) -> Account | None:
    if not forms.is_row_id(account_id):
        return None
    return await session.get(Account, account_id)


async def _write(
    page: Page,
    session: AsyncSession,
    account_id: int,
    write: Callable[[Account], Awaitable[Any]],
) -> Response:
    """Make one write on the account, all or nothing, then show its page again."""
    back = f"{ACCOUNTS}/{account_id}"
    account = await _account(session, account_id)
    if account is None:
        message = _words(page)["no_such_account"]
        return page.render("message.html", 404, message=message, back=ACCOUNTS)
    try:
        async with session.begin_nested():
            await write(account)
    except REFUSED as refused:
        return _refused(page, refused, back)
    except money_text.Unreadable as unreadable:
        return page.render("message.html", 422, message=unreadable.said(page.lang), back=back)
    return page.keep(RedirectResponse(back, status_code=303))


@router.post(ACCOUNTS + "/{account_id}/suspend")
async def suspend(
    account_id: int, page: PageDep, operator: OperatorDep, session: SessionDep
) -> Response:
    return await _set_status(page, session, operator, account_id, AccountStatus.suspended)


@router.post(ACCOUNTS + "/{account_id}/reactivate")
async def reactivate(
    account_id: int, page: PageDep, operator: OperatorDep, session: SessionDep
) -> Response:
    return await _set_status(page, session, operator, account_id, AccountStatus.active)


async def _set_status(
    page: Page, session: AsyncSession, operator: Account, account_id: int, wanted: AccountStatus
) -> Response:
    return await _write(
        page,
        session,
        account_id,
        lambda account: service.update_by(session, operator.id, account.id, status=wanted),
    )


@router.post(ACCOUNTS + "/{account_id}/reset-link")
async def reset_link(
    account_id: int, page: PageDep, operator: OperatorDep, session: SessionDep
) -> Response:
    """A one-time password link, shown in this answer alone."""
    account = await _account(session, account_id)
    if account is None:
        message = _words(page)["no_such_account"]
        return page.render("message.html", 404, message=message, back=ACCOUNTS)
    link = await operators.reset_link(session, operator.id, account, datetime.now(UTC))
    return await _account_page(page, session, account_id, link=link)


@router.post(ACCOUNTS + "/{account_id}/keys")
async def issue_key(
    account_id: int,
    page: PageDep,
    operator: OperatorDep,
    session: SessionDep,
    label: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """A new API key, its plaintext shown in this answer alone."""
    account = await _account(session, account_id)
    if account is None:
        message = _words(page)["no_such_account"]
        return page.render("message.html", 404, message=message, back=ACCOUNTS)
    issued = await keys.issue_by(session, operator.id, account, label.strip())
    return await _account_page(page, session, account_id, issued=issued.plaintext)


@router.post(ACCOUNTS + "/{account_id}/keys/{key_id}/revoke")
async def revoke_key(
    account_id: int,
    key_id: int,
    page: PageDep,
    operator: OperatorDep,
    session: SessionDep,
) -> Response:

    async def revoke(account: Account) -> None:
        # Only a key of this account, as its page shows them.
        if key_id not in {key.id for key in await keys.list_for(session, account.id)}:
            raise NotFound(f"API key {key_id} does not exist")
        await keys.revoke_by(session, operator.id, key_id)

    return await _write(page, session, account_id, revoke)


@router.post(ACCOUNTS + "/{account_id}/tier")
async def set_tier(
    account_id: int,
    page: PageDep,
    operator: OperatorDep,
    session: SessionDep,
    tier_id: Annotated[str, Form(max_length=12)] = "",
) -> Response:
    if not tier_id.isdigit() or not forms.is_row_id(int(tier_id)):
        back = f"{ACCOUNTS}/{account_id}"
        return page.render("message.html", 422, message=_words(page)["bad_number"], back=back)
    return await _write(
        page,
        session,
        account_id,
        lambda account: service.update_by(session, operator.id, account.id, tier_id=int(tier_id)),
    )


@dataclass(frozen=True)
class Movement:
    """A money movement as typed: its amount, as the page's language writes it, and why."""

    amount: str
    reason: str


def _movement(
    amount: Annotated[str, Form(max_length=40)] = "",
    reason: Annotated[str, Form(max_length=1000)] = "",
) -> Movement:
    return Movement(amount, reason.strip())


MovementDep = Annotated[Movement, Depends(_movement)]
Post = Callable[[Account, Decimal, str], Awaitable[Any]]


@router.post(ACCOUNTS + "/{account_id}/top-up")
async def top_up(
    account_id: int, page: PageDep, operator: OperatorDep, session: SessionDep, typed: MovementDep
) -> Response:
    async def post(account: Account, amount: Decimal, reason: str) -> None:
        await ledger.top_up_by(session, operator.id, account.id, amount, reason)

    return await _move(page, session, account_id, typed, post)


@router.post(ACCOUNTS + "/{account_id}/adjust")
async def adjust(
    account_id: int,
    page: PageDep,
    operator: OperatorDep,
    session: SessionDep,
    typed: MovementDep,
    direction: Annotated[str, Form(max_length=10)] = "credit",
) -> Response:
    """A correction either way: the amount typed is added, or taken off with "debit"."""

    async def post(account: Account, amount: Decimal, reason: str) -> None:
        signed = -amount if direction == "debit" else amount
        await ledger.adjust_by(session, operator.id, account.id, signed, reason)

    return await _move(page, session, account_id, typed, post)


async def _move(
    page: Page, session: AsyncSession, account_id: int, typed: Movement, post: Post
) -> Response:
    if not typed.reason:
        return _no_reason(page, account_id)

    async def move(account: Account) -> None:
        await post(account, page.read_amount(typed.amount), typed.reason)

    return await _write(page, session, account_id, move)


def _no_reason(page: Page, account_id: int) -> Response:
    # The ledger refuses a movement without a reason too; this says so in the reader's words.
    back = f"{ACCOUNTS}/{account_id}"
    return page.render("message.html", 422, message=_words(page)["reason_needed"], back=back)
