"""The operator's prices in the web console: every service with its cost, its sell rate in each
tier, the margin and the rule behind it; a bulk change (a category's or some services' markup
or floor, on a tier or panel-wide) previewed tier by tier, then saved; many services enabled or
disabled at once; and the exchange rates. Every figure and every write is the one
`/admin/v1` gives and makes (`panel.pricing.glance`, `panel.currencies.service`)."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from itertools import groupby
from typing import Annotated

from fastapi import Depends, Form, Query
from fastapi.responses import RedirectResponse, Response
from pydantic import TypeAdapter, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from panel.config import Settings
from panel.currencies import money_text
from panel.currencies import service as currencies
from panel.currencies.codes import is_known
from panel.errors import Conflict, Invalid, NotFound
from panel.plumbing.deps import RuntimeDep, SessionDep
from panel.pricing import glance
from panel.pricing.schemas import Percent
from panel.web import forms, price_texts
from panel.web.operator_pages import when
from panel.web.pages import OperatorDep, Page, PageDep, page_router

router = page_router()
PRICES = "/ops/prices"
TEMPLATE = "ops_prices.html"
_percent = TypeAdapter(Percent)
Ids = Annotated[list[str], Form(max_length=glance.MOST_SERVICES)]
Amount = Annotated[str, Form(max_length=40)]


class Refused(Exception):
    """A form the page will not act on: `message` says why, in the reader's language."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Typed:
    """The bulk form as typed, to show again beside a preview or a refusal."""

    target: str = "category"
    category: str = ""
    services: tuple[int, ...] = ()
    tier: str = ""
    markup_percent: str = ""
    markup_fixed: str = ""
    floor_margin: str = ""


def _typed(
    target: Annotated[str, Form(max_length=20)] = "",
    category: Annotated[str, Form(max_length=200)] = "",
    service: Ids = [],  # noqa: B006 (FastAPI copies form defaults)
    tier: Annotated[str, Form(max_length=20)] = "",
    markup_percent: Amount = "",
    markup_fixed: Amount = "",
    floor_margin: Amount = "",
) -> Typed:
    """The change as typed in the form, read the same for its preview and its saving."""
    ids = tuple(int(one) for one in service if one.isdigit() and len(one) < 11)
    return Typed(
        "selected" if target == "selected" else "category",
        category,
        ids,
        tier.strip(),
        markup_percent.strip(),
        markup_fixed.strip(),
        floor_margin.strip(),
    )


TypedDep = Annotated[Typed, Depends(_typed)]


@router.get(PRICES)
async def prices(
    page: PageDep,
    operator: OperatorDep,
    runtime: RuntimeDep,
    session: SessionDep,
    category: Annotated[str, Query(max_length=200)] = "",
    q: Annotated[str, Query(max_length=200)] = "",
    saved: Annotated[int, Query(ge=0, le=glance.MOST_SERVICES)] = -1,
    switched: Annotated[int, Query(ge=0, le=glance.MOST_SERVICES)] = -1,
) -> Response:
    said = price_texts.WORDS[page.lang]
    notice = None
    if saved >= 0:
        notice = said["saved"].format(count=saved)
    elif switched >= 0:
        notice = said["switched"].format(count=switched)
    return await _page(page, session, runtime.settings, category=category, q=q, notice=notice)


@router.post(PRICES + "/preview")
async def preview(
    page: PageDep,
    operator: OperatorDep,
    runtime: RuntimeDep,
    session: SessionDep,
    typed: TypedDep,
) -> Response:
    """What the change would make of every affected service's rate in every tier; nothing is
    saved."""
    try:
        change = _change_of(page, typed)
        shown = await glance.preview(session, change)
    except Refused as refused:
        return await _page(page, session, runtime.settings, typed=typed, error=refused.message)
    except (Invalid, NotFound, Conflict) as refused:
        why = price_texts.WORDS[page.lang]["error_saving"].format(why=refused.detail)
        return await _page(page, session, runtime.settings, typed=typed, error=why)
    return await _page(page, session, runtime.settings, typed=typed, shown=shown)


@router.post(PRICES + "/save")
async def save(
    page: PageDep,
    operator: OperatorDep,
    runtime: RuntimeDep,
    session: SessionDep,
    typed: TypedDep,
) -> Response:
    """Save the change previewed, through the same rule book as `/admin/v1`."""
    try:
        change = _change_of(page, typed)
        async with session.begin_nested():
            saved = await glance.apply(session, operator.id, change)
    except Refused as refused:
        return await _page(page, session, runtime.settings, typed=typed, error=refused.message)
    except (Invalid, NotFound, Conflict) as refused:
        why = price_texts.WORDS[page.lang]["error_saving"].format(why=refused.detail)
        return await _page(page, session, runtime.settings, typed=typed, error=why)
    count = sum(one.action != "unchanged" for one in saved)
    return page.keep(RedirectResponse(f"{PRICES}?saved={count}", status_code=303))


@router.post(PRICES + "/enabled")
async def switch(
    page: PageDep,
    operator: OperatorDep,
    runtime: RuntimeDep,
    session: SessionDep,
    service: Ids = [],  # noqa: B006 (FastAPI copies form defaults)
    enabled: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Enable or disable the services ticked, as `POST /admin/v1/services/enabled` does."""
    said = price_texts.WORDS[page.lang]
    typed = _typed("selected", "", service, "", "", "", "")
    try:
        ids = _ids(page, service)
        if not ids or enabled not in ("on", "off"):
            raise Refused(said["error_choose"])
        async with session.begin_nested():
            changed = await glance.set_enabled(session, operator.id, ids, enabled == "on")
    except Refused as refused:
        return await _page(page, session, runtime.settings, typed=typed, error=refused.message)
    except (Invalid, NotFound) as refused:
        why = said["error_saving"].format(why=refused.detail)
        return await _page(page, session, runtime.settings, typed=typed, error=why)
    return page.keep(RedirectResponse(f"{PRICES}?switched={len(changed)}", status_code=303))


@router.post(PRICES + "/rates")
async def set_rate(
    page: PageDep,
    operator: OperatorDep,
    runtime: RuntimeDep,
    session: SessionDep,
    currency: Annotated[str, Form(max_length=10)] = "",
    rate: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    """Put an exchange rate in force, as `POST /admin/v1/exchange-rates` does."""
    said = price_texts.WORDS[page.lang]
    code = currency.strip().upper()
    try:
        value = money_text.read_number(rate, page.lang)
    except money_text.Unreadable as unreadable:
        message = f"{unreadable.said(page.lang)} {said['error_rate']}"
        return await _page(page, session, runtime.settings, error=message)
    try:
        async with session.begin_nested():
            _, repriced = await currencies.set_rate(
                session,
                code,
                value,
                panel_currency=runtime.settings.currency,
                set_by_id=operator.id,
            )
    except Invalid as refused:
        message = said["error_saving"].format(why=refused.detail)
        if not is_known(code):
            message = said["error_currency"]
        return await _page(page, session, runtime.settings, error=message)
    notice = said["rate_saved"].format(currency=code, count=repriced)
    return await _page(page, session, runtime.settings, notice=notice)


def _ids(page: Page, service: list[str]) -> list[int]:
    said = price_texts.WORDS[page.lang]
    ids = []
    for one in service:
        if not (one.isdigit() and len(one) < 11 and forms.is_row_id(int(one))):
            raise Refused(said["error_services"])
        ids.append(int(one))
    return ids


def _change_of(page: Page, typed: Typed) -> glance.Change:
    """The change the form asks for, or Refused: nothing is read from the database here, the
    rule book and the glance check the rest."""
    said = price_texts.WORDS[page.lang]
    tier_id = None
    if typed.tier:
        if not (typed.tier.isdigit() and forms.is_row_id(int(typed.tier[:11]))):
            raise Refused(said["error_tier"])
        tier_id = int(typed.tier)
    if typed.target == "category" and not typed.category:
        raise Refused(said["error_target"])
    if typed.target == "selected" and not typed.services:
        raise Refused(said["error_choose"])
    percent = None
    if typed.markup_percent:
        try:
            read = money_text.read_number(typed.markup_percent, page.lang, zero=True, unit="%")
            percent = _percent.validate_python(read)
        except (money_text.Unreadable, ValidationError):
            raise Refused(said["error_percent"]) from None
    fixed = _amount(page, typed.markup_fixed, "markup_fixed")
    floor = _amount(page, typed.floor_margin, "floor_margin")
    if percent is None and fixed is None and floor is None:
        raise Refused(said["error_amounts"])
    return glance.Change(
        tier_id=tier_id,
        category=typed.category if typed.target == "category" else None,
        service_ids=typed.services if typed.target == "selected" else (),
        markup_percent=percent,
        markup_fixed=fixed,
        floor_margin=floor,
    )


def _amount(page: Page, text: str, field: str) -> Decimal | None:
    if not text:
        return None
    try:
        return money_text.read(text, page.runtime.settings.currency, page.lang, zero=True)
    except money_text.Unreadable as unreadable:
        label = price_texts.WORDS[page.lang][field]
        raise Refused(f"{label}: {unreadable.said(page.lang)}") from None


async def _page(
    page: Page,
    session: AsyncSession,
    settings: Settings,
    *,
    category: str = "",
    q: str = "",
    typed: Typed | None = None,
    shown: glance.Preview | None = None,
    error: str | None = None,
    notice: str | None = None,
) -> Response:
    said = price_texts.WORDS[page.lang]
    found = await glance.glance(session, category=category or None, name=q.strip() or None)
    rates = await currencies.in_force(
        session, settings.currency, settings.currencies.rate_max_age_s, datetime.now(UTC)
    )
    names = {level.tier_id: level.name or said["no_tier"] for level in found.levels}
    return page.render(
        TEMPLATE,
        422 if error else 200,
        w=said,
        glance=found,
        groups=[(name, list(rows)) for name, rows in groupby(found.rows, lambda r: r.category)],
        level_name=lambda tier_id: names.get(tier_id, "#" + str(tier_id)),
        rule_text=_rule_text(page, said, names),
        percent=lambda value: money_text.number(value, page.lang),
        shown_category=category,
        q=q,
        typed=typed or Typed(),
        preview=shown,
        rates=rates,
        currency=settings.currency,
        error=error,
        notice=notice,
        when=when,
        zip=zip,
    )


def _rule_text(
    page: Page, said: dict[str, str], names: dict[int | None, str]
) -> Callable[[glance.RuleShown | None], str]:
    def text(rule: glance.RuleShown | None) -> str:
        if rule is None:
            return said["at_cost"]
        where = said["everywhere"] if rule.tier_id is None else names.get(rule.tier_id, "")
        amounts = said["markup_line"].format(
            percent=money_text.number(rule.markup_percent, page.lang),
            fixed=page.money(rule.markup_fixed),
            floor=page.money(rule.floor_margin),
        )
        return f"{said['rule_' + rule.target]} #{rule.rule_id} · {where}: {amounts}"

    return text
