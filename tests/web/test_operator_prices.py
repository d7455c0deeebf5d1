"""The operator's prices page over HTTP: every service with its cost and its rate per tier, a
category markup previewed then saved, many services switched at once, the exchange rates, bad
input refused with nothing written, and nobody but operators let in."""

import re
from decimal import Decimal

import pytest
from httpx import AsyncClient, Response
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from panel import action_log
from panel.accounts import service as accounts
from panel.models import (
    Account,
    AccountKind,
    ExchangeRate,
    OperatorAction,
    PriceRule,
    Service,
)
from panel.pricing.service import price_list
from tests.fixtures.factories import World
from tests.web.conftest import RESELLER_EMAIL, Visitor, csrf_of, give_password, sign_in

OPS_HOST = "ops.example"
OPERATOR_EMAIL = "ops@example.com"
PRICES = "/ops/prices"


@pytest.fixture
async def operator(world: World, session: AsyncSession) -> Account:
    operator = await accounts.create(session, kind=AccountKind.operator, name="Ops")
    await give_password(session, operator, OPERATOR_EMAIL)
    return operator


@pytest.fixture
async def ops(operator: Account, visitor: Visitor) -> AsyncClient:
    """The operator, signed in on its own host, reading Indonesian pages."""
    web = await visitor(OPS_HOST)
    assert (await sign_in(web, OPERATOR_EMAIL, OPS_HOST)).status_code == 303
    return web


def _card(page: Response, element_id: str) -> str:
    start = page.text.index(f'id="{element_id}"')
    return page.text[start : page.text.index("</li>", start)]


def _after_rates(page: Response, service_id: int) -> list[str]:
    return re.findall(r'class="after amount[^"]*">([^<]+)<', _card(page, f"preview-{service_id}"))


async def _counts(session: AsyncSession) -> tuple[int, int, list[Decimal]]:
    percents = await session.scalars(select(PriceRule.markup_percent).order_by(PriceRule.id))
    return (
        await session.scalar(select(func.count()).select_from(PriceRule)) or 0,
        await session.scalar(select(func.count()).select_from(OperatorAction)) or 0,
        list(percents),
    )


def _form(page: Response, **fields: str | list[str]) -> dict[str, str | list[str]]:
    return {"csrf": csrf_of(page), **fields}


async def test_the_page_shows_cost_rate_per_tier_margin_and_rule(
    ops: AsyncClient, world: World
) -> None:
    page = await ops.get(PRICES)
    assert page.status_code == 200, page.text
    assert 'href="/ops/prices" aria-current="page"' in page.text
    followers = _card(page, f"service-{world.services['followers'].id}")
    assert 'class="cost">US$1,00<' in followers
    # No tier: sold at cost; Standard: +50%, margin 0,50, by the general rule of the tier.
    rates = re.findall(r'class="rate amount">([^<]+)<', followers)
    margins = re.findall(r'class="sub margin">([^<]+)<', followers)
    assert (rates, margins) == (["US$1,00", "US$1,50"], ["US$0,00", "US$0,50"])
    assert "tanpa aturan (harga modal)" in followers
    assert "aturan semua layanan #" in followers
    assert "+50%" in followers
    assert "Kurs" in page.text  # the exchange rates share the page

    filtered = await ops.get(PRICES, params={"category": "Instagram", "q": "lik"})
    assert re.findall(r'id="service-(\d+)"', filtered.text) == [str(world.services["likes"].id)]
    empty = await ops.get(PRICES, params={"category": "Nowhere"})
    assert "Tidak ada layanan yang cocok." in empty.text


async def test_a_category_markup_is_previewed_then_saved(
    ops: AsyncClient, world: World, session: AsyncSession, operator: Account
) -> None:
    page = await ops.get(PRICES)
    before = await _counts(session)
    change = {"target": "category", "category": "Instagram", "tier": "", "markup_percent": "20"}
    shown = await ops.post(f"{PRICES}/preview", data=_form(page, **change))
    assert shown.status_code == 200, shown.text
    assert await _counts(session) == before
    followers = world.services["followers"].id
    # No tier moves to +20%; Standard keeps its own tier rule, more specific than panel-wide.
    assert _after_rates(shown, followers) == ["US$1,20", "US$1,50"]
    assert "moved" in _card(shown, f"preview-{followers}").split("US$1,20")[0][-40:]
    assert "Aturan baru: 1" in shown.text
    save = re.search(r'<form method="post" action="/ops/prices/save".*?</form>', shown.text, re.S)
    assert save
    assert 'name="markup_percent" value="20"' in save.group(0)

    saved = await ops.post(f"{PRICES}/save", data=_form(shown, **change))
    assert (saved.status_code, saved.headers["location"]) == (303, f"{PRICES}?saved=1")
    after = await ops.get(saved.headers["location"])
    assert "Tersimpan: 1 aturan" in after.text
    rates = re.findall(r'class="rate amount">([^<]+)<', _card(after, f"service-{followers}"))
    assert rates == _after_rates(shown, followers)
    (entry,) = await action_log.search(session, action_log.Filter(action="price_rule."))
    assert (entry.action, entry.actor_id) == ("price_rule.create", operator.id)
    assert (entry.after or {})["category"] == "Instagram"
    # What the page saved is what a reseller is quoted (its tier rule still wins for it).
    assert {p.rate for p in (await price_list(session, world.reseller)).values()} == {
        Decimal("1.5")
    }


async def test_selected_services_on_a_tier(
    ops: AsyncClient, world: World, session: AsyncSession
) -> None:
    page = await ops.get(PRICES)
    tier = str(world.reseller.tier_id)
    likes = world.services["likes"].id
    change: dict[str, str | list[str]] = {
        "target": "selected",
        "service": [str(likes)],
        "tier": tier,
        "floor_margin": "2",
    }
    shown = await ops.post(f"{PRICES}/preview", data=_form(page, **change))
    assert _after_rates(shown, likes) == ["US$1,00", "US$3,00"]
    assert re.findall(r'id="preview-(\d+)"', shown.text) == [str(likes)]
    saved = await ops.post(f"{PRICES}/save", data=_form(shown, **change))
    assert saved.status_code == 303
    quoted = await price_list(session, world.reseller, [likes])
    assert quoted[likes].rate == Decimal(3)


BAD_CHANGES: list[tuple[dict[str, str], str]] = [
    ({"target": "category", "category": "", "markup_percent": "5"}, "Pilih satu kategori"),
    ({"target": "selected", "markup_percent": "5"}, "Centang minimal satu layanan"),
    ({"target": "category", "category": "Instagram"}, "Isi markup"),
    ({"target": "category", "category": "Instagram", "markup_percent": "abc"}, "Markup harus"),
    ({"target": "category", "category": "Instagram", "floor_margin": "-1"}, "Margin minimum"),
    ({"target": "category", "category": "Nowhere", "markup_percent": "5"}, "Tidak tersimpan"),
    (
        {"target": "category", "category": "Instagram", "tier": "x", "markup_percent": "5"},
        "Tier tidak ditemukan",
    ),
]


async def test_bad_input_is_refused_with_a_message_and_nothing_written(
    ops: AsyncClient, session: AsyncSession
) -> None:
    page = await ops.get(PRICES)
    before = await _counts(session)
    for fields, said in BAD_CHANGES:
        for path in ("preview", "save"):
            refused = await ops.post(f"{PRICES}/{path}", data=_form(page, **fields))
            assert refused.status_code == 422, (fields, refused.text)
            assert said in refused.text, fields
            assert 'role="alert"' in refused.text
    assert await _counts(session) == before


async def test_a_stale_form_changes_nothing(ops: AsyncClient, session: AsyncSession) -> None:
    before = await _counts(session)
    change = {"target": "category", "category": "Instagram", "markup_percent": "5"}
    refused = await ops.post(f"{PRICES}/save", data={"csrf": "forged", **change})
    assert refused.status_code == 403
    assert await _counts(session) == before


async def test_many_services_disabled_and_enabled_at_once(
    ops: AsyncClient, world: World, session: AsyncSession
) -> None:
    page = await ops.get(PRICES)
    ids = [str(world.services[name].id) for name in ("likes", "comments")]
    off = await ops.post(f"{PRICES}/enabled", data=_form(page, service=ids, enabled="off"))
    assert (off.status_code, off.headers["location"]) == (303, f"{PRICES}?switched=2")
    enabled = await session.scalars(select(Service.enabled).where(Service.id.in_(map(int, ids))))
    assert set(enabled) == {False}
    shown = await ops.get(off.headers["location"])
    assert "Nonaktif" in _card(shown, f"service-{ids[0]}")
    entries = await action_log.search(session, action_log.Filter(action="service.disable"))
    assert sorted(str(e.subject_id) for e in entries) == sorted(ids)

    refused = await ops.post(f"{PRICES}/enabled", data=_form(page, enabled="on"))
    assert refused.status_code == 422
    assert "Centang minimal satu layanan" in refused.text
    missing = await ops.post(
        f"{PRICES}/enabled", data=_form(page, service=[ids[0], "999999"], enabled="on")
    )
    assert missing.status_code == 422
    assert (await session.get_one(Service, int(ids[0]), populate_existing=True)).enabled is False
    back = await ops.post(f"{PRICES}/enabled", data=_form(page, service=ids, enabled="on"))
    assert back.headers["location"] == f"{PRICES}?switched=2"


async def test_exchange_rates_are_shown_and_set(
    ops: AsyncClient, world: World, session: AsyncSession, operator: Account
) -> None:
    world.backup.currency = "EUR"
    await session.flush()
    page = await ops.get(PRICES)
    assert "belum ada kurs" in page.text
    bad = await ops.post(f"{PRICES}/rates", data=_form(page, currency="EUR", rate="abc"))
    assert bad.status_code == 422
    assert "Kurs harus angka di atas nol" in bad.text
    unknown = await ops.post(f"{PRICES}/rates", data=_form(page, currency="XYZ", rate="2"))
    assert unknown.status_code == 422
    assert "Mata uang tidak dikenal" in unknown.text
    assert await session.scalar(select(func.count()).select_from(ExchangeRate)) == 0

    done = await ops.post(f"{PRICES}/rates", data=_form(page, currency="eur", rate="1,1"))
    assert done.status_code == 200, done.text
    assert "Kurs EUR tersimpan; 4 layanan penyedia dihitung ulang." in done.text
    assert 'class="amount exchange-rate">1,1<' in done.text
    (row,) = await session.scalars(select(ExchangeRate))
    assert (row.currency, row.rate, row.set_by_id) == ("EUR", Decimal("1.1"), operator.id)
    (entry,) = await action_log.search(session, action_log.Filter(action="exchange_rate."))
    assert (entry.after or {})["rate"] == "1.1"


async def test_non_operators_are_refused(
    visitor: Visitor, world: World, session: AsyncSession
) -> None:
    anonymous = await visitor(OPS_HOST)
    answer = await anonymous.get(PRICES)
    assert (answer.status_code, answer.headers["location"]) == (303, "/login")
    await give_password(session, world.reseller, RESELLER_EMAIL)
    reseller = await visitor()
    assert (await sign_in(reseller, RESELLER_EMAIL)).status_code == 303
    assert (await reseller.get(PRICES)).status_code == 404
    form = await reseller.get("/orders")
    before = await _counts(session)
    change = {"target": "category", "category": "Instagram", "markup_percent": "5"}
    for path in ("preview", "save", "enabled", "rates"):
        refused = await reseller.post(f"{PRICES}/{path}", data=_form(form, **change))
        assert refused.status_code == 404, path
    assert await _counts(session) == before
