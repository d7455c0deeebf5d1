"""The operator's console in the web panel, on the operator's own host: the review queue, with
the same decisions as `/admin/v1/orders/{id}/review`, and the providers, with their balance and
a sync on demand that runs exactly what `/admin/v1/providers/{id}/sync` runs."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Form, Query
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from panel.catalogue import connection, sync
from panel.catalogue import service as catalogue
from panel.errors import Conflict, Invalid, NotFound, PanelError
from panel.models import Account, Order, Provider, ProviderService, Service
from panel.orders import review
from panel.plumbing.deps import RuntimeDep, SessionDep
from panel.plumbing.runtime import Runtime
from panel.providers import registry
from panel.providers.adapter import UpstreamError
from panel.web import forms, operator_order_texts
from panel.web.pages import OperatorDep, Page, PageDep, page_router

router = page_router()
REVIEW = "/ops/review"
PROVIDERS = "/ops/providers"
PAGE_ORDERS = 50


def when(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if moment else "—"


@router.get(REVIEW)
async def review_queue(
    page: PageDep,
    operator: OperatorDep,
    session: SessionDep,
    after: Annotated[int, Query(ge=0, le=forms.BIG_ID)] = 0,
) -> Response:
    """Orders whose upstream outcome is unknown, oldest first."""
    waiting = await review.waiting(session, after=after, limit=PAGE_ORDERS)
    buyers = await _names(session, Account.id, Account.name, {o.account_id for o in waiting})
    services = await _names(session, Service.id, Service.name, {o.service_id for o in waiting})
    providers = await _names(
        session, Provider.id, Provider.name, {o.provider_id for o in waiting if o.provider_id}
    )
    answers = await review.last_answers(session, [o.id for o in waiting])
    return page.render(
        "ops_review.html",
        w=operator_order_texts.WORDS[page.lang],
        answers=answers,
        orders=[
            (
                order,
                buyers[order.account_id],
                services[order.service_id],
                providers[order.provider_id] if order.provider_id else None,
            )
            for order in waiting
        ],
        more=waiting[-1].id if len(waiting) == PAGE_ORDERS else None,
        when=when,
    )


@router.post(REVIEW + "/{order_id}/attach")
async def attach(
    order_id: int,
    page: PageDep,
    operator: OperatorDep,
    session: SessionDep,
    upstream_id: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """The upstream has the order: track it under its upstream id from now on."""
    return await _decide(
        page,
        session,
        order_id,
        lambda: review.decide(session, operator.id, order_id, "attach", upstream_id=upstream_id),
    )


@router.post(REVIEW + "/{order_id}/fail")
async def fail(
    order_id: int,
    page: PageDep,
    operator: OperatorDep,
    session: SessionDep,
    reason: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    """The upstream does not have the order: fail it and refund its buyer in full."""
    if not reason.strip():
        return page.render("message.html", 422, message=page.t("ops_reason_needed"), back=REVIEW)
    return await _decide(
        page,
        session,
        order_id,
        lambda: review.decide(session, operator.id, order_id, "fail", reason=reason.strip()),
    )


@router.post(REVIEW + "/{order_id}/resubmit")
async def resubmit(
    order_id: int,
    page: PageDep,
    operator: OperatorDep,
    session: SessionDep,
    confirmed: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Send the order again on the same route, only with the operator's ticked word that the
    upstream does not have it."""
    return await _decide(
        page,
        session,
        order_id,
        lambda: review.decide(
            session, operator.id, order_id, "resubmit", confirmed=confirmed == "yes"
        ),
    )


async def _decide(
    page: Page, session: AsyncSession, order_id: int, decision: Callable[[], Awaitable[Order]]
) -> Response:
    if not forms.is_row_id(order_id, forms.BIG_ID):
        return page.render("message.html", 404, message=page.t("ops_no_such_order"), back=REVIEW)
    try:
        async with session.begin_nested():
            await decision()
    except review.Unconfirmed:
        said = operator_order_texts.WORDS[page.lang]["resubmit_unconfirmed"]
        return page.render("message.html", 422, message=said, back=REVIEW)
    except (NotFound, Conflict, Invalid) as refused:
        return page.render("message.html", refused.status_code, message=refused.detail, back=REVIEW)
    return page.keep(RedirectResponse(REVIEW, status_code=303))


@dataclass(frozen=True)
class SyncOutcome:
    """What the page says about the sync just asked for."""

    provider_id: int
    synced: sync.Synced | None = None
    error: str | None = None

    @property
    def changed(self) -> int:
        if self.synced is None:
            return 0
        report = self.synced.report
        return len({c.external_id for c in report.repriced} | set(report.back))


@router.get(PROVIDERS)
async def providers(
    page: PageDep,
    operator: OperatorDep,
    runtime: RuntimeDep,
    session: SessionDep,
    added: Annotated[int, Query(ge=0)] = 0,
) -> Response:
    return await _providers_page(page, runtime, session, added=added)


@router.post(PROVIDERS + "/{provider_id}/sync")
async def sync_provider(
    provider_id: int,
    page: PageDep,
    operator: OperatorDep,
    runtime: RuntimeDep,
    session: SessionDep,
) -> Response:
    """Bring in the provider's services and balance now, and show what changed. The result is
    rendered here rather than after a redirect: it exists only in this answer."""
    if not forms.is_row_id(provider_id):
        return page.render("message.html", 404, message=page.t("ops_no_such_provider"))
    try:
        synced = await sync.sync_by(session, runtime, operator.id, provider_id)
    except NotFound:
        return page.render(
            "message.html", 404, message=page.t("ops_no_such_provider"), back=PROVIDERS
        )
    except UpstreamError as error:
        outcome = SyncOutcome(provider_id, error=error.detail)
        return await _providers_page(page, runtime, session, outcome, status=502)
    return await _providers_page(page, runtime, session, SyncOutcome(provider_id, synced))


@router.post(PROVIDERS + "/check")
async def check_provider(
    page: PageDep,
    operator: OperatorDep,
    runtime: RuntimeDep,
    session: SessionDep,
    api_url: Annotated[str, Form(max_length=2000)],
    api_key: Annotated[str, Form(max_length=500)],
    name: Annotated[str, Form(max_length=200)] = "",
    adapter: Annotated[str, Form(pattern=r"^(smm_v2|dialect|digiflazz)$")] = "smm_v2",
    dialect: Annotated[str, Form(max_length=100_000)] = "",
    api_id: Annotated[str, Form(max_length=200)] = "",
    api_secret: Annotated[str, Form(max_length=500)] = "",
    currency: Annotated[str, Form(pattern=r"^([A-Z]{3})?$")] = "",
    intent: Annotated[str, Form(pattern=r"^(check|save)$")] = "check",
) -> Response:
    """Run the connection check of `POST /admin/v1/providers/check` and show its report on
    the providers page; with `intent=save`, add the provider if the check passed. The console
    saves only a provider that answers: one that does not is shown why, and nothing is kept
    (`/admin/v1` may add one that is down for now)."""
    # Shown again in the form: never the key or the secret.
    draft = {"name": name, "api_url": api_url, "adapter": adapter, "dialect": dialect}
    draft |= {"api_id": api_id, "currency": currency}
    try:
        checked = await connection.check_new(
            registry.of(runtime),
            currency or runtime.settings.currency,
            api_url=api_url.strip(),
            api_key=api_key,
            adapter=adapter,
            dialect=dialect or None,
            api_id=api_id or None,
            api_secret=api_secret or None,
        )
    except Invalid as invalid:
        checked = connection.ConnectionReport(False, [invalid.detail])
    if intent == "save" and checked.ok:
        try:
            async with session.begin_nested():
                made = await catalogue.create_provider_by(
                    session,
                    operator.id,
                    name=name.strip(),
                    api_url=api_url.strip(),
                    api_key=api_key,
                    currency=currency or runtime.settings.currency,
                    adapter=adapter,
                    dialect=dialect or None,
                    api_id=api_id or None,
                    api_secret=api_secret or None,
                )
        except PanelError as refused:
            checked = connection.ConnectionReport(False, [page.refusal(refused)])
        else:
            here = f"{PROVIDERS}?added={made.id}#provider-{made.id}"
            return page.keep(RedirectResponse(here, status_code=303))
    status = 200 if checked.ok else 422
    return await _providers_page(
        page, runtime, session, status=status, checked=checked, draft=draft
    )


async def _providers_page(
    page: Page,
    runtime: Runtime,
    session: AsyncSession,
    outcome: SyncOutcome | None = None,
    status: int = 200,
    checked: connection.ConnectionReport | None = None,
    draft: dict[str, str] | None = None,
    added: int = 0,
) -> Response:
    listed = await catalogue.list_providers(session)
    rows = await session.execute(
        select(ProviderService.provider_id, func.count())
        .where(ProviderService.active.is_(True))
        .group_by(ProviderService.provider_id)
    )
    listing = {provider_id: count for provider_id, count in rows}
    return page.render(
        "ops_providers.html",
        status,
        providers=[
            (
                provider,
                urlsplit(provider.api_url).hostname or "",
                sync.is_low(provider),
                listing.get(provider.id, 0),
            )
            for provider in listed
        ],
        names={provider.id: provider.name for provider in listed},
        outcome=outcome,
        checked=checked,
        added=added,
        draft=draft or {"adapter": "smm_v2"},
        currency=runtime.settings.currency,
        when=when,
        here=PROVIDERS,
    )


async def _names(
    session: AsyncSession,
    key: InstrumentedAttribute[int],
    name: InstrumentedAttribute[str],
    ids: set[int],
) -> dict[int, str]:
    if not ids:
        return {}
    rows = await session.execute(select(key, name).where(key.in_(ids)))
    return {row_id: row_name for row_id, row_name in rows}
