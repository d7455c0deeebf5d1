"""Deposits in the web panel, for agencies and resellers alike: "Tambah saldo" (the methods
the payer may use, then the amount), the deposit's page (a QR code, a pay code or the exact
transfer, updating itself once paid), the history and a printable receipt. Every decision is
`panel.payments`'; these pages read forms and show what it answers."""

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any

import segno
from fastapi import Form, Query
from fastapi.responses import JSONResponse, RedirectResponse, Response

from panel.currencies import money_text
from panel.errors import NotFound, PanelError
from panel.ledger import service as ledger
from panel.models import Account, Deposit, PaymentGateway, PaymentMethod
from panel.payments import deposits, methods
from panel.payments.adapters import adapter_for, links_for
from panel.plumbing.deps import RuntimeDep, SessionDep
from panel.web import deposit_texts, forms
from panel.web.pages import BuyerDep, Page, PageDep, page_router

router = page_router()
NEW = "/deposits/new"
HISTORY = "/deposits"
PAGE_DEPOSITS = 30
POLL_MS = 3000  # how often a waiting deposit's page asks whether it was paid
REFRESH_S = 15  # without script, how often it reloads instead


def words(page: Page) -> dict[str, str]:
    return deposit_texts.WORDS[page.lang]


def when(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if moment else "—"


def fee_text(page: Page, method: PaymentMethod) -> str:
    """A method's fee as the buyer reads it: "biaya Rp 1.100 ditanggung pembeli", a percent
    added where the gateway charges one, or "gratis biaya" when the receiver absorbs it."""
    said = words(page)
    if method.fee_paid_by.value == "receiver" or (not method.fee_flat and not method.fee_percent):
        return said["fee_absorbed"]
    parts = []
    if method.fee_flat:
        parts.append(page.money(method.fee_flat))
    if method.fee_percent:
        percent = money_text.number(method.fee_percent.normalize(), page.lang)
        parts.append(f"{percent}%")
    return said["fee_buyer"].format(fee=" + ".join(parts))


def limits_text(page: Page, method: PaymentMethod) -> str:
    return words(page)["limits"].format(
        low=page.money(method.min_amount), high=page.money(method.max_amount)
    )


def status_text(page: Page, deposit: Deposit) -> str:
    return words(page)[f"status_{deposit.status.value}"]


def shared(page: Page) -> dict[str, Any]:
    """What every deposit template uses."""
    return {
        "w": words(page),
        "when": when,
        "deposit_status": lambda deposit: status_text(page, deposit),
    }


# --- Tambah saldo ------------------------------------------------------------------------------


@router.get(NEW)
async def new_deposit(page: PageDep, account: BuyerDep, session: SessionDep) -> Response:
    return await _form(page, account, session)


async def _form(
    page: Page,
    account: Account,
    session: SessionDep,
    status: int = 200,
    *,
    error: str | None = None,
    amount: str = "",
    chosen: int | None = None,
) -> Response:
    offered = await methods.methods_for(session, account)
    return page.render(
        "deposit_new.html",
        status,
        **shared(page),
        methods=[
            (method, fee_text(page, method), limits_text(page, method)) for method, _ in offered
        ],
        chosen=chosen if chosen is not None else (offered[0][0].id if offered else None),
        balance=await ledger.balance(session, account.id),
        error=error,
        amount=amount,
        currency=page.runtime.settings.currency,
    )


@router.post(NEW)
async def open_deposit(
    page: PageDep,
    account: BuyerDep,
    runtime: RuntimeDep,
    session: SessionDep,
    method_id: Annotated[str, Form(max_length=12)] = "",
    amount: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    said = words(page)
    currency = runtime.settings.currency
    chosen = int(method_id) if method_id.isdigit() and forms.is_row_id(int(method_id)) else None

    async def refused(error: str, status: int = 422) -> Response:
        return await _form(
            page, account, session, status, error=error, amount=amount, chosen=chosen
        )

    if chosen is None:
        return await refused(said["error_method"])
    try:
        wanted = page.read_amount(amount, places=money_text.places(currency))
    except money_text.Unreadable as unreadable:
        return await refused(unreadable.said(page.lang))
    settings = runtime.settings.payments
    try:
        # A savepoint: a refusal leaves nothing written, and the form can still be shown.
        async with session.begin_nested():
            made = await deposits.open_deposit(
                session,
                account,
                chosen,
                wanted,
                now=datetime.now(UTC),
                currency=currency,
                settings=settings,
                adapter_for=lambda gateway: adapter_for(gateway, runtime.http, settings),
                links=links_for(settings, str(page.request.base_url)),
            )
    except PanelError as refusal:
        return await refused(
            await _opening_refusal(page, account, session, chosen, refusal),
            refusal.status_code,
        )
    return page.keep(RedirectResponse(f"{HISTORY}/{made.id}", status_code=303))


async def _opening_refusal(
    page: Page, account: Account, session: SessionDep, method_id: int, refusal: PanelError
) -> str:
    said = words(page)
    if refusal.extra.get("code") == "limits":
        offered = {m.id: m for m, _ in await methods.methods_for(session, account)}
        if method := offered.get(method_id):
            return said["error_limits"].format(
                method=method.name,
                low=page.money(method.min_amount),
                high=page.money(method.max_amount),
            )
    return deposit_texts.opening_refusal(said, refusal)


# --- one deposit -------------------------------------------------------------------------------


async def _deposit(
    page: Page, account: Account, session: SessionDep, deposit_id: int
) -> Deposit | None:
    if not forms.is_row_id(deposit_id, forms.BIG_ID):
        return None
    try:
        return await deposits.deposit_of(session, account, deposit_id)
    except NotFound:
        return None


def _not_found(page: Page) -> Response:
    return page.render("message.html", 404, message=page.t("not_found"), back=HISTORY)


def qr_svg(qr_string: str) -> str:
    """The QR code of a QRIS payment, drawn as inline SVG: no image file, no outside host."""
    code = segno.make(qr_string, error="m")
    svg: str = code.svg_inline(scale=4, border=3, omitsize=True, svgclass="qr", title="QRIS")
    return svg


@router.get(HISTORY + "/{deposit_id}")
async def deposit_page(
    deposit_id: int, page: PageDep, account: BuyerDep, session: SessionDep
) -> Response:
    deposit = await _deposit(page, account, session, deposit_id)
    if deposit is None:
        return _not_found(page)
    method = await session.get_one(PaymentMethod, deposit.method_id)
    gateway = await session.get_one(PaymentGateway, deposit.gateway_id)
    now = datetime.now(UTC)
    waiting = deposit.status.value == "pending"
    return page.render(
        "deposit.html",
        **shared(page),
        deposit=deposit,
        method=method,
        by_hand=gateway.kind.value == "manual",
        qr=qr_svg(deposit.qr_string) if deposit.qr_string and waiting else None,
        waiting=waiting,
        left=max(0, int((deposit.expires_at - now).total_seconds())),
        refresh_s=REFRESH_S,
        poll_ms=POLL_MS,
        plain_total=plain(deposit.total, deposit.currency),
        split_total=_split(page, deposit),
        unique_code_text=page.money(deposit.unique_code or 0),
    )


def plain(amount: Decimal, currency: str) -> str:
    """An amount as a banking app takes it pasted: digits, no symbol, no grouping."""
    return f"{amount.quantize(Decimal(1).scaleb(-money_text.places(currency)))}"


def _split(page: Page, deposit: Deposit) -> tuple[str, str] | None:
    """A transfer's total with its unique code apart, to be highlighted: `Rp 50.` and `137`.
    Only where the code is the total's last three digits (a currency of whole units)."""
    if not deposit.unique_code or money_text.places(deposit.currency):
        return None
    shown = page.money(deposit.total)
    return shown[:-3], shown[-3:]


@router.get(HISTORY + "/{deposit_id}/status")
async def deposit_status(
    deposit_id: int, page: PageDep, account: BuyerDep, session: SessionDep
) -> Response:
    """What the deposit's page asks every few seconds while it waits."""
    deposit = await _deposit(page, account, session, deposit_id)
    if deposit is None:
        return JSONResponse({"detail": "not found"}, status_code=404)
    return JSONResponse({"status": deposit.status.value}, headers={"Cache-Control": "no-store"})


@router.get(HISTORY + "/{deposit_id}/receipt")
async def receipt(
    deposit_id: int, page: PageDep, account: BuyerDep, session: SessionDep
) -> Response:
    deposit = await _deposit(page, account, session, deposit_id)
    if deposit is None:
        return _not_found(page)
    method = await session.get_one(PaymentMethod, deposit.method_id)
    return page.render(
        "deposit_receipt.html", **shared(page), deposit=deposit, method=method, account=account
    )


# --- history -----------------------------------------------------------------------------------


@router.get(HISTORY)
async def history(
    page: PageDep,
    account: BuyerDep,
    session: SessionDep,
    ref: Annotated[str, Query(max_length=64)] = "",
    before: Annotated[int, Query(ge=0, le=forms.BIG_ID)] = 0,
) -> Response:
    """The payer's deposits, newest first. A gateway sends a buyer who paid back here with
    `ref`: that deposit's own page is where it belongs."""
    if ref.strip():
        found = await deposits.search(
            session,
            methods.receiver_of(account),
            deposits.Filter(account_id=account.id, reference=ref.strip(), limit=1),
        )
        if found:
            return page.keep(RedirectResponse(f"{HISTORY}/{found[0][0].id}", status_code=303))
    listed = await deposits.deposits_of(
        session, account, before=before or None, limit=PAGE_DEPOSITS
    )
    names = {m.id: m.name for m, _ in await methods.methods_for(session, account)}
    for deposit in listed:
        if deposit.method_id not in names:  # a method since switched off still has a name
            method = await session.get_one(PaymentMethod, deposit.method_id)
            names[method.id] = method.name
    return page.render(
        "deposits.html",
        **shared(page),
        deposits=listed,
        names=names,
        more=listed[-1].id if len(listed) == PAGE_DEPOSITS else None,
    )
