"""What the reseller's console and the operator's pages share about money paid in: setting
up gateways and methods (a reseller's for its agencies, the operator's for the panel), and
confirming or rejecting a transfer by hand. Both kinds of pages call these with their own
owner and path; the decisions are `panel.payments`'."""

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from fastapi.responses import RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from panel.currencies import money_text
from panel.errors import Conflict, Forbidden, Invalid, NotFound, PanelError
from panel.models import (
    Account,
    DepositStatus,
    FeePayer,
    GatewayKind,
    MethodKind,
    PaymentGateway,
    PaymentMethod,
)
from panel.payments import crediting, deposits, methods
from panel.payments.adapters import adapter_for, links_for
from panel.payments.gateways import GatewayError
from panel.web import deposit_texts, forms
from panel.web.deposit_pages import when
from panel.web.pages import Page

STATUSES = [status.value for status in DepositStatus]
TRANSFER_CODE = "TRANSFER"  # a transfer gateway's one method: one bank account, one statement


@dataclass(frozen=True)
class SetUp:
    """One gateway as its set-up page shows it."""

    gateway: PaymentGateway
    methods: Sequence[PaymentMethod]
    callback_url: str | None
    statement_url: str | None


async def setup_page(
    page: Page,
    session: AsyncSession,
    owner_id: int | None,
    template: str,
    base: str,
    status: int = 200,
    *,
    error: str | None = None,
    done: bool = False,
) -> Response:
    settings = page.runtime.settings.payments
    site = str(page.request.base_url)
    public = (settings.public_url or site).rstrip("/")
    links = links_for(settings, site)
    shown = []
    for gateway in await methods.gateways_of(session, owner_id):
        tripay = gateway.kind is GatewayKind.tripay
        shown.append(
            SetUp(
                gateway,
                await methods.methods_of(session, gateway),
                links(gateway, "").callback_url if tripay else None,
                None if tripay else f"{public}/payments/transfers/{gateway.id}/statement",
            )
        )
    return page.render(
        template,
        status,
        w=deposit_texts.WORDS[page.lang],
        gateways=shown,
        base=base,
        error=error,
        done=done,
        currency=page.runtime.settings.currency,
        by_hand=[kind.value for kind in methods.BY_HAND],
    )


def _refusal(page: Page, refused: PanelError) -> str:
    said = deposit_texts.WORDS[page.lang]
    detail = refused.detail
    if detail.startswith("Tripay collects"):
        return said["error_currency"].format(currency=page.runtime.settings.currency)
    if detail.startswith("Tripay needs"):
        return said["error_tripay_keys"]
    if detail.startswith("the minimum must"):
        return said["error_limits_setup"]
    return said["error_decision"].format(why=detail)


async def add_tripay(
    page: Page,
    session: AsyncSession,
    owner_id: int | None,
    template: str,
    base: str,
    *,
    name: str,
    keys: methods.GatewayKeys,
    production: bool,
    fee_paid_by: str,
) -> Response:
    """Add a Tripay gateway and offer its channels: a list that cannot be fetched means keys
    that do not work, and nothing is kept."""
    payer = FeePayer.receiver if fee_paid_by == FeePayer.receiver.value else FeePayer.buyer

    async def add() -> PaymentGateway:
        return await methods.add_gateway(
            session,
            _actor(page),
            owner_id,
            GatewayKind.tripay,
            name or "Tripay",
            keys,
            page.runtime.settings.currency,
            production=production,
        )

    return await _channels_imported(page, session, owner_id, template, base, add, payer)


async def import_again(
    page: Page,
    session: AsyncSession,
    owner_id: int | None,
    template: str,
    base: str,
    gateway_id: int,
) -> Response:
    return await _channels_imported(
        page,
        session,
        owner_id,
        template,
        base,
        lambda: _gateway(session, owner_id, gateway_id),
        FeePayer.buyer,
    )


async def _channels_imported(
    page: Page,
    session: AsyncSession,
    owner_id: int | None,
    template: str,
    base: str,
    gateway_of: Callable[[], Awaitable[PaymentGateway]],
    payer: FeePayer,
) -> Response:
    """Fetch and offer a Tripay gateway's channels, all or nothing: a refusal is said on the
    setup page, a gateway that cannot be reached as a 502."""
    runtime = page.runtime
    try:
        async with session.begin_nested():
            gateway = await gateway_of()
            adapter = adapter_for(gateway, runtime.http, runtime.settings.payments)
            await methods.import_channels(session, _actor(page), gateway, adapter, payer)
    except NotFound:
        return page.render("message.html", 404, message=page.t("not_found"), back=base)
    except PanelError as refused:
        return await setup_page(
            page, session, owner_id, template, base, 422, error=_refusal(page, refused)
        )
    except GatewayError as unreachable:
        why = deposit_texts.WORDS[page.lang]["error_tripay_reach"].format(why=unreachable)
        return await setup_page(page, session, owner_id, template, base, 502, error=why)
    return page.keep(RedirectResponse(f"{base}?done=1", status_code=303))


@dataclass(frozen=True)
class TransferForm:
    """A transfer by hand as its form carries it, the amounts still as typed."""

    bank: str
    number: str
    holder: str
    kind: str
    min_amount: str
    max_amount: str
    secret: str


async def add_transfer(
    page: Page,
    session: AsyncSession,
    owner_id: int | None,
    template: str,
    base: str,
    form: TransferForm,
) -> Response:
    """A bank or e-wallet account to transfer to, told apart by a unique code: one gateway
    (its statement webhook) with one method."""
    said = deposit_texts.WORDS[page.lang]

    async def refused(error: str) -> Response:
        return await setup_page(page, session, owner_id, template, base, 422, error=error)

    bank, number, holder = form.bank.strip(), form.number.strip(), form.holder.strip()
    if not (bank and number and holder):
        return await refused(said["error_transfer"])
    try:
        low, high = page.read_amount(form.min_amount), page.read_amount(form.max_amount)
    except money_text.Unreadable as unreadable:
        return await refused(unreadable.said(page.lang))
    kind = MethodKind.ewallet if form.kind == MethodKind.ewallet.value else MethodKind.transfer
    terms = methods.MethodTerms(
        code=TRANSFER_CODE,
        name=bank,
        kind=kind,
        min_amount=low,
        max_amount=high,
        fee_paid_by=FeePayer.receiver,
        instructions=f"{bank}\n{number}\na.n. {holder}",
    )
    try:
        async with session.begin_nested():
            gateway = await methods.add_gateway(
                session,
                _actor(page),
                owner_id,
                GatewayKind.manual,
                bank,
                methods.GatewayKeys(private_key=form.secret.strip()),
                page.runtime.settings.currency,
            )
            await methods.put_method(session, _actor(page), gateway, terms)
    except PanelError as refusal:
        return await refused(_refusal(page, refusal))
    return page.keep(RedirectResponse(f"{base}?done=1", status_code=303))


@dataclass(frozen=True)
class MethodChange:
    """What a method's row changes: who pays its fee, whether it is offered, and for a
    transfer by hand its limits (a gateway's are the gateway's)."""

    fee_paid_by: str
    enabled: bool
    min_amount: str
    max_amount: str


async def change_method(
    page: Page,
    session: AsyncSession,
    owner_id: int | None,
    template: str,
    base: str,
    gateway_id: int,
    method_id: int,
    change: MethodChange,
) -> Response:
    try:
        gateway = await _gateway(session, owner_id, gateway_id)
    except NotFound:
        return page.render("message.html", 404, message=page.t("not_found"), back=base)
    method = next(
        (m for m in await methods.methods_of(session, gateway) if m.id == method_id), None
    )
    if method is None:
        return page.render("message.html", 404, message=page.t("not_found"), back=base)
    terms = methods.MethodTerms(
        code=method.code,
        name=method.name,
        kind=method.kind,
        min_amount=method.min_amount,
        max_amount=method.max_amount,
        fee_flat=method.fee_flat,
        fee_percent=method.fee_percent,
        fee_paid_by=method.fee_paid_by,
        instructions=method.instructions,
        enabled=change.enabled,
    )
    if change.fee_paid_by in (FeePayer.buyer.value, FeePayer.receiver.value):
        terms = replace(terms, fee_paid_by=FeePayer(change.fee_paid_by))
    if gateway.kind is GatewayKind.manual and (change.min_amount or change.max_amount):
        try:
            low = page.read_amount(change.min_amount) if change.min_amount else method.min_amount
            high = page.read_amount(change.max_amount) if change.max_amount else method.max_amount
        except money_text.Unreadable as unreadable:
            return await setup_page(
                page, session, owner_id, template, base, 422, error=unreadable.said(page.lang)
            )
        terms = replace(terms, min_amount=low, max_amount=high)
    try:
        async with session.begin_nested():
            await methods.put_method(session, _actor(page), gateway, terms)
    except PanelError as refused:
        return await setup_page(
            page, session, owner_id, template, base, 422, error=_refusal(page, refused)
        )
    return page.keep(RedirectResponse(f"{base}?done=1", status_code=303))


def _actor(page: Page) -> int:
    # Every setup route is behind a signed-in owner, so the member is known here.
    assert page.member is not None
    return page.member.id


async def _gateway(session: AsyncSession, owner_id: int | None, gateway_id: int) -> PaymentGateway:
    if not forms.is_row_id(gateway_id):
        raise NotFound(f"payment gateway {gateway_id} does not exist")
    return await methods.gateway_of(session, owner_id, gateway_id)


# --- transfers by hand -------------------------------------------------------------------------


async def deposits_page(
    page: Page,
    session: AsyncSession,
    template: str,
    status: str,
    reference: str,
    *,
    receiver_id: int | None,
    everyone: bool = False,
    **shown: Any,
) -> Response:
    """A console's deposits, searched by status and reference: those paid to `receiver_id`, or
    all of them with `everyone`; `shown` is what the page shows beside them."""
    wanted = DepositStatus(status) if status in STATUSES else None
    found = await deposits.search(
        session,
        receiver_id,
        deposits.Filter(status=wanted, reference=reference or None),
        everyone=everyone,
    )
    return page.render(
        template,
        w=deposit_texts.WORDS[page.lang],
        rows=found,
        shown_status=status if wanted else "",
        reference=reference,
        statuses=STATUSES,
        by_hand=methods.BY_HAND,
        when=when,
        **shown,
    )


async def decide_transfer(
    page: Page,
    session: AsyncSession,
    actor: Account,
    deposit_id: int,
    decision: str,
    reason: str,
    back: str,
) -> Response:
    """Confirm that a transfer by hand came, or reject it with a reason the payer reads; a
    deposit the actor does not receive does not exist for it."""
    if decision not in ("confirm", "reject") or not forms.is_row_id(deposit_id, forms.BIG_ID):
        return page.render("message.html", 404, message=page.t("not_found"), back=back)
    now = datetime.now(UTC)
    try:
        async with session.begin_nested():
            if decision == "confirm":
                await crediting.confirm_transfer(session, actor, deposit_id, now)
            else:
                await crediting.reject_transfer(session, actor, deposit_id, reason, now)
    except (NotFound, Forbidden):
        return page.render("message.html", 404, message=page.t("not_found"), back=back)
    except (Conflict, Invalid) as refused:
        said = deposit_texts.WORDS[page.lang]
        message = said["error_decision"].format(why=refused.detail)
        return page.render("message.html", refused.status_code, message=message, back=back)
    return page.keep(RedirectResponse(back, status_code=303))


def amount_or_none(page: Page, typed: str) -> Decimal | None:
    """An optional amount typed in a form: empty is None; unreadable raises `Unreadable`."""
    return page.read_amount(typed) if typed.strip() else None
