"""The reseller console's settings: the markup its agencies pay over its own price, and its
brand. Both go through the same rules as the operator's /admin/v1 (the rule book, `BrandIn`
and the brand book), so the web panel accepts nothing the API would refuse."""

from decimal import Decimal
from typing import Annotated

from fastapi import Form
from fastapi.responses import RedirectResponse, Response
from pydantic import Field, TypeAdapter, ValidationError
from pydantic_core import ErrorDetails
from sqlalchemy.ext.asyncio import AsyncSession

from panel.brands import brand_book, host_names
from panel.brands.schemas import BrandIn
from panel.currencies import money_text
from panel.errors import Conflict, PanelError
from panel.models import Account
from panel.plumbing.deps import RuntimeDep, SessionDep
from panel.pricing import rule_book
from panel.pricing import service as pricing
from panel.pricing.rule_choice import sell_rate
from panel.pricing.schemas import Percent
from panel.web.pages import Page, PageDep, ResellerDep, page_router

router = page_router()
# A markup below zero would not lower the agencies' price (it never goes below the
# reseller's own), so the form takes none rather than let it look as if it did.
_percent = TypeAdapter(Annotated[Percent, Field(ge=0)])
# Refusals about how a number is written, which a percent shares with an amount.
WRITING = ("spaces", "style", "ambiguous")


@router.get("/console/markup")
async def markup_form(
    page: PageDep, reseller: ResellerDep, runtime: RuntimeDep, session: SessionDep, saved: int = 0
) -> Response:
    return await _markup_page(page, reseller, runtime.settings.currency, session, saved=saved)


@router.post("/console/markup")
async def set_markup(
    page: PageDep,
    reseller: ResellerDep,
    runtime: RuntimeDep,
    session: SessionDep,
    markup_percent: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    currency = runtime.settings.currency
    try:
        typed = money_text.read_number(markup_percent, page.lang, zero=True, unit="%")
        percent: Decimal = _percent.validate_python(typed)
    except money_text.Unreadable as unreadable:
        # How a number is written is said as for an amount, then what a percent must be.
        wrong = page.t("console_bad_percent")
        if unreadable.reason in WRITING:
            wrong = f"{unreadable.said(page.lang)} {wrong}"
        return await _markup_page(page, reseller, currency, session, error=wrong)
    except ValidationError:
        wrong = page.t("console_bad_percent")
        return await _markup_page(page, reseller, currency, session, error=wrong)
    try:
        async with session.begin_nested():
            await rule_book.set_agency_markup(session, reseller, percent)
    except PanelError as refused:
        return await _markup_page(page, reseller, currency, session, error=refused.detail)
    return page.keep(RedirectResponse("/console/markup?saved=1", status_code=303))


async def _markup_page(
    page: Page,
    reseller: Account,
    currency: str,
    session: AsyncSession,
    *,
    saved: int = 0,
    error: str | None = None,
) -> Response:
    general, narrower = await rule_book.agency_markup(session, reseller)
    prices = await pricing.price_list(session, reseller)
    shown_example = None
    if prices:
        first = min(
            prices.values(), key=lambda p: (p.service.category, p.service.name, p.service.id)
        )
        own = first.rate
        shown_example = (first.service, own, sell_rate(own, general))
    return page.render(
        "console_markup.html",
        422 if error else 200,
        percent=money_text.number(general.markup_percent if general else Decimal(0), page.lang),
        narrower=narrower,
        example=shown_example,
        saved=saved,
        error=error,
        currency=currency,
    )


@router.get("/console/brand")
async def brand_form(
    page: PageDep, reseller: ResellerDep, session: SessionDep, saved: int = 0
) -> Response:
    found = await brand_book.brand_of(session, reseller)
    if found is None:
        values = {"name": reseller.name, "primary_color": "#1f6feb", "accent_color": "#0e1116"}
    else:
        brand, hosts = found
        values = {name: getattr(brand, name) or "" for name in brand_book.BRAND_FIELDS}
        values["hosts"] = "\n".join(hosts)
    return page.render("console_brand.html", values=values, saved=saved)


@router.post("/console/brand")
async def set_brand(
    page: PageDep,
    reseller: ResellerDep,
    runtime: RuntimeDep,
    session: SessionDep,
    name: Annotated[str, Form(max_length=1000)] = "",
    hosts: Annotated[str, Form(max_length=10_000)] = "",
    logo_url: Annotated[str, Form(max_length=5000)] = "",
    primary_color: Annotated[str, Form(max_length=100)] = "",
    accent_color: Annotated[str, Form(max_length=100)] = "",
    whatsapp_url: Annotated[str, Form(max_length=5000)] = "",
    payment_instructions: Annotated[str, Form(max_length=20_000)] = "",
) -> Response:
    """Set the reseller's brand whole, as the operator's PUT /admin/v1/accounts/{id}/brand
    does, from the same checks."""
    values = {
        "name": name,
        "hosts": hosts,
        "logo_url": logo_url,
        "primary_color": primary_color,
        "accent_color": accent_color,
        "whatsapp_url": whatsapp_url,
        "payment_instructions": payment_instructions,
    }
    try:
        body = BrandIn.model_validate(
            {
                "name": name.strip(),
                "hosts": [line.strip() for line in hosts.splitlines() if line.strip()],
                "logo_url": logo_url.strip() or None,
                "primary_color": primary_color.strip(),
                "accent_color": accent_color.strip(),
                "whatsapp_url": whatsapp_url.strip() or None,
                "payment_instructions": payment_instructions.strip(),
            }
        )
    except ValidationError as invalid:
        errors = [_brand_error(page, error) for error in invalid.errors()]
        return page.render("console_brand.html", 422, values=values, errors=errors)
    development = host_names.in_development(runtime.settings.environment)
    try:
        async with session.begin_nested():
            await brand_book.apply(session, reseller, body, development=development)
    except host_names.BadHost as bad:
        errors = [f"{page.t('console_brand_hosts')}: {bad.said(page.lang)}"]
        return page.render("console_brand.html", 422, values=values, errors=errors)
    except Conflict as clash:
        errors = [page.t("console_host_taken"), clash.detail]
        return page.render("console_brand.html", 409, values=values, errors=errors)
    return page.keep(RedirectResponse("/console/brand?saved=1", status_code=303))


def _brand_error(page: Page, error: ErrorDetails) -> str:
    """One refusal of `BrandIn`, under the label the form shows for its field. A pattern is
    no help to read, so a value that does not match one is quoted instead."""
    field = str(error["loc"][0]) if error["loc"] else ""
    said = error["msg"]
    if error["type"] == "string_pattern_mismatch":
        said = page.t("console_not_valid").format(value=error["input"])
    if field in (*brand_book.BRAND_FIELDS, "hosts"):
        return f"{page.t('console_brand_' + field)}: {said}"
    return said
