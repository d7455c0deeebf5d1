"""The operator's catalogue import: a provider's synced services, filtered, picked many at a
time (names and categories changed on the way) and imported in one step, through the same
service as `/admin/v1/providers/{id}/import`; and fail-over routes to another provider's
equivalent services, as `/admin/v1/services/failover` adds them."""

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated
from urllib.parse import urlencode

from fastapi import Depends, Form, Query, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData

from panel.catalogue import bulk_import
from panel.errors import Conflict, Invalid, NotFound
from panel.models import Account, Provider, ProviderService
from panel.plumbing.deps import SessionDep
from panel.web import forms, import_texts
from panel.web.operator_pages import PROVIDERS
from panel.web.pages import OperatorDep, Page, PageDep, page_router

router = page_router()
TEMPLATE = "ops_import.html"
PAIRS_TEXT = 200_000
MAX_RATE = Decimal(10) ** 14
Text = Annotated[str, Query(max_length=500)]


class Unreadable(Exception):
    """A form field the page cannot read: `message` says so in the reader's language."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Shown:
    """The filters as asked, kept as typed so the form shows them back."""

    category: str = ""
    type: str = ""
    q: str = ""
    min_rate: str = ""
    max_rate: str = ""
    refill: bool = False
    cancel: bool = False
    dripfeed: bool = False
    new: bool = False

    def query(self) -> str:
        pairs = [
            (name, value)
            for name, value in (
                ("category", self.category),
                ("type", self.type),
                ("q", self.q),
                ("min_rate", self.min_rate),
                ("max_rate", self.max_rate),
            )
            if value
        ] + [
            (name, "1")
            for name, on in (
                ("refill", self.refill),
                ("cancel", self.cancel),
                ("dripfeed", self.dripfeed),
                ("new", self.new),
            )
            if on
        ]
        return urlencode(pairs)

    def read(self, said: dict[str, str]) -> bulk_import.Filter:
        return bulk_import.Filter(
            category=self.category or None,
            type=self.type or None,
            name=self.q.strip() or None,
            min_rate=_rate(self.min_rate, said),
            max_rate=_rate(self.max_rate, said),
            refill=self.refill,
            cancel=self.cancel,
            dripfeed=self.dripfeed,
            new_only=self.new,
        )


def _rate(text: str, said: dict[str, str]) -> Decimal | None:
    if not text.strip():
        return None
    try:
        rate = Decimal(text.strip().replace(",", "."))
    except InvalidOperation:
        raise Unreadable(said["error_rate"]) from None
    if not rate.is_finite() or rate < 0 or rate >= MAX_RATE:
        raise Unreadable(said["error_rate"])
    return rate


def _shown(
    category: Text = "",
    type: Text = "",
    q: Text = "",
    min_rate: Text = "",
    max_rate: Text = "",
    refill: Text = "",
    cancel: Text = "",
    dripfeed: Text = "",
    new: Text = "",
) -> Shown:
    """The filters from the query string, read the same for the page and the form it posts."""
    flags = (bool(refill), bool(cancel), bool(dripfeed), bool(new))
    return Shown(category, type, q, min_rate, max_rate, *flags)


ShownDep = Annotated[Shown, Depends(_shown)]


def _import_url(provider_id: int) -> str:
    return f"{PROVIDERS}/{provider_id}/import"


@router.get(PROVIDERS + "/{provider_id}/import")
async def import_page(
    provider_id: int,
    page: PageDep,
    operator: OperatorDep,
    session: SessionDep,
    shown: ShownDep,
) -> Response:
    return await _render(page, session, provider_id, shown)


@router.post(PROVIDERS + "/{provider_id}/import")
async def import_picked(
    provider_id: int,
    request: Request,
    page: PageDep,
    operator: OperatorDep,
    session: SessionDep,
    shown: ShownDep,
) -> Response:
    """Import the services ticked, each with the name typed beside it (if any) and the
    categories mapped as typed. The result exists only in this answer: rendered, not
    redirected to."""
    said = import_texts.WORDS[page.lang]
    form = await request.form()
    try:
        picks = _picks([str(v) for v in form.getlist("pick")], form, said)
        mapping = _mapping(
            [str(v) for v in form.getlist("map_from")], [str(v) for v in form.getlist("map_to")]
        )
    except Unreadable as unreadable:
        return await _render(page, session, provider_id, shown, error=unreadable.message)
    return await _write(
        page,
        session,
        provider_id,
        shown,
        lambda: _import(session, operator, provider_id, picks, mapping),
    )


@router.post(PROVIDERS + "/{provider_id}/failover")
async def failover(
    provider_id: int,
    page: PageDep,
    operator: OperatorDep,
    session: SessionDep,
    pairs: Annotated[str, Form(max_length=PAIRS_TEXT)] = "",
) -> Response:
    """Add this provider's services as fail-over routes of existing services, once each."""
    said = import_texts.WORDS[page.lang]
    shown = Shown()
    if not forms.is_row_id(provider_id) or await session.get(Provider, provider_id) is None:
        return _no_provider(page)
    try:
        read = await _pairs(session, provider_id, pairs, said)
    except Unreadable as unreadable:
        return await _render(page, session, provider_id, shown, error=unreadable.message)

    async def add() -> str:
        done = await bulk_import.add_failover(session, operator.id, read)
        return said["failed_over"].format(added=len(done.added), already=len(done.already))

    return await _write(page, session, provider_id, shown, add)


async def _import(
    session: AsyncSession,
    operator: Account,
    provider_id: int,
    picks: list[bulk_import.Pick],
    mapping: dict[str, str],
) -> bulk_import.Imported:
    return await bulk_import.import_services(
        session, operator.id, provider_id, picks, datetime.now(UTC), mapping
    )


async def _write(
    page: Page,
    session: AsyncSession,
    provider_id: int,
    shown: Shown,
    write: Callable[[], Awaitable[bulk_import.Imported | str]],
) -> Response:
    """Run `write` in a savepoint: refused, it leaves nothing behind and the page says why."""
    said = import_texts.WORDS[page.lang]
    if not forms.is_row_id(provider_id) or await session.get(Provider, provider_id) is None:
        return _no_provider(page)
    try:
        async with session.begin_nested():
            done = await write()
    except (Invalid, NotFound, Conflict) as refused:
        error = said["refused"].format(detail=refused.detail)
        return await _render(page, session, provider_id, shown, error=error)
    if isinstance(done, bulk_import.Imported):
        told = said["imported"].format(made=len(done.made), already=len(done.already))
        return await _render(page, session, provider_id, shown, told=told, made=done)
    return await _render(page, session, provider_id, shown, told=str(done))


def _picks(values: list[str], form: FormData, said: dict[str, str]) -> list[bulk_import.Pick]:
    if not values:
        raise Unreadable(said["error_no_picks"])
    picks = []
    for value in values:
        if not value.isdigit() or not forms.is_row_id(int(value)):
            raise Unreadable(said["error_pick"])
        named = str(form.get(f"name_{value}") or "").strip()
        picks.append(bulk_import.Pick(int(value), name=named[:1000] or None))
    return picks


def _mapping(sources: list[str], targets: list[str]) -> dict[str, str]:
    return {
        source: target.strip()
        for source, target in zip(sources, targets, strict=False)
        if target.strip()
    }


async def _pairs(
    session: AsyncSession, provider_id: int, text: str, said: dict[str, str]
) -> list[bulk_import.Pair]:
    """Lines of "<service id> <external id at this provider>"."""
    wanted: list[tuple[int, str]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = re.split(r"[\s,;=]+", line.strip())
        if len(parts) != 2 or not parts[0].isdigit() or not forms.is_row_id(int(parts[0])):
            raise Unreadable(said["error_pairs"].format(line=number))
        wanted.append((int(parts[0]), parts[1][:64]))
    if not wanted:
        raise Unreadable(said["error_no_pairs"])
    rows = await session.execute(
        select(ProviderService.external_id, ProviderService.id).where(
            ProviderService.provider_id == provider_id,
            ProviderService.external_id.in_({external for _, external in wanted}),
        )
    )
    ids = {row[0]: row[1] for row in rows}
    if missing := [external for _, external in wanted if external not in ids]:
        raise Unreadable(said["error_unknown_upstream"].format(external=missing[0]))
    return [bulk_import.Pair(service_id, ids[external]) for service_id, external in wanted]


def _no_provider(page: Page) -> Response:
    return page.render("message.html", 404, message=page.t("ops_no_such_provider"), back=PROVIDERS)


async def _render(
    page: Page,
    session: AsyncSession,
    provider_id: int,
    shown: Shown,
    *,
    error: str | None = None,
    told: str | None = None,
    made: bulk_import.Imported | None = None,
) -> Response:
    said = import_texts.WORDS[page.lang]
    if not forms.is_row_id(provider_id):
        return _no_provider(page)
    provider = await session.get(Provider, provider_id)
    if provider is None:
        return _no_provider(page)
    try:
        rows = await bulk_import.listing(session, provider_id, shown.read(said))
    except Unreadable as unreadable:
        error, rows = error or unreadable.message, []
    every = await session.execute(
        select(ProviderService.category, ProviderService.type)
        .where(ProviderService.provider_id == provider_id, ProviderService.active.is_(True))
        .distinct()
    )
    pairs = [(row[0], row[1]) for row in every]
    return page.render(
        TEMPLATE,
        422 if error else 200,
        w=said,
        provider=provider,
        rows=rows,
        categories=sorted({category for category, _ in pairs}),
        types=sorted({kind for _, kind in pairs}),
        mapped=sorted({row.provider_service.category for row in rows if row.service_id is None}),
        shown=shown,
        action=_import_url(provider_id) + (f"?{shown.query()}" if shown.query() else ""),
        error=error,
        told=told,
        made=made,
        new_count=sum(1 for row in rows if row.new),
        sold_count=sum(1 for row in rows if row.service_id is not None),
        back=PROVIDERS,
    )
