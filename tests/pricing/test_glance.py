"""Prices at a glance: the figures are the pricing service's own, a preview is what saving
then produces and writes nothing, every write lands in the action log, and the same through
`/admin/v1`."""

from dataclasses import dataclass
from decimal import Decimal

import pytest
from httpx import AsyncClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from panel import action_log
from panel.accounts import service as accounts
from panel.catalogue import routes
from panel.catalogue import service as catalogue
from panel.errors import Invalid, NotFound
from panel.models import Account, AccountKind, OperatorAction, PriceRule, Service, Tier
from panel.pricing import glance, rule_book, tiers
from panel.pricing.service import price_list
from tests.conftest import Operator
from tests.fixtures.factories import World, build_world

D = Decimal


@dataclass
class Priced:
    world: World
    standard: Tier  # +50% on everything (the world's tier)
    gold: Tier  # +30% on Instagram
    gold_reseller: Account
    tiktok: Service  # another category, cost 2
    actor: Account


@pytest.fixture
async def priced(session: AsyncSession) -> Priced:
    world = await build_world(session)
    standard_id = world.reseller.tier_id
    assert standard_id is not None
    standard = await tiers.get(session, standard_id)
    gold = await tiers.create(session, name="Gold", min_spend_90d=D(1000))
    await rule_book.create(session, tier_id=gold.id, category="Instagram", markup_percent=D(30))
    # Panel-wide, for one service: a tier's rules come first, so this prices only resellers
    # of no tier.
    await rule_book.create(session, service_id=world.services["likes"].id, markup_fixed=D("0.25"))
    gold_reseller = await accounts.create(
        session, kind=AccountKind.reseller, name="Gold Shop", tier_id=gold.id
    )
    upstream = await catalogue.upsert_provider_service(
        session,
        world.provider.id,
        "tt-1",
        panel_currency="USD",
        name="TikTok views",
        category="TikTok",
        rate=D(2),
        min_quantity=10,
        max_quantity=10_000,
    )
    tiktok = await catalogue.create_service(
        session, name="TikTok Views", category="TikTok", min_quantity=10, max_quantity=10_000
    )
    await routes.replace(session, tiktok.id, [upstream.id])
    actor = await accounts.create(session, kind=AccountKind.operator, name="Ops")
    return Priced(world, standard, gold, gold_reseller, tiktok, actor)


async def _rates(session: AsyncSession, tier_id: int | None) -> dict[int, Decimal]:
    """Each service's rate in one tier, as the glance shows it."""
    shown = await glance.glance(session)
    return {
        row.service_id: rate.rate
        for row in shown.rows
        for rate in row.rates
        if rate.tier_id == tier_id
    }


async def _written(session: AsyncSession) -> tuple[int, int, list[tuple[Decimal, ...]]]:
    rules = await session.execute(
        select(PriceRule.markup_percent, PriceRule.markup_fixed, PriceRule.floor_margin).order_by(
            PriceRule.id
        )
    )
    return (
        await session.scalar(select(func.count()).select_from(PriceRule)) or 0,
        await session.scalar(select(func.count()).select_from(OperatorAction)) or 0,
        [tuple(row) for row in rules],
    )


async def test_figures_are_what_the_pricing_service_quotes(
    session: AsyncSession, priced: Priced
) -> None:
    shown = await glance.glance(session)
    assert [level.name for level in shown.levels] == ["", "Standard", "Gold"]
    assert shown.categories == ["Instagram", "TikTok"]
    for reseller, tier in (
        (priced.world.reseller, priced.standard),
        (priced.gold_reseller, priced.gold),
    ):
        quoted = await price_list(session, reseller)
        rates = await _rates(session, tier.id)
        assert rates == {service_id: price.rate for service_id, price in quoted.items()}
    rows = {row.service_id: row for row in shown.rows}
    likes, tiktok = rows[priced.world.services["likes"].id], rows[priced.tiktok.id]
    assert (likes.cost, tiktok.cost) == (D("1.00"), D(2))
    none, standard, gold = likes.rates
    # No tier: the panel-wide rule for the service; Standard: its tier rule; Gold: its category.
    assert (none.rate, none.margin, none.rule and none.rule.target) == (
        D("1.25"),
        D("0.25"),
        "service",
    )
    assert (standard.rate, standard.rule and standard.rule.target) == (D("1.5"), "all")
    assert (gold.rate, gold.margin, gold.rule and gold.rule.category) == (
        D("1.3"),
        D("0.3"),
        "Instagram",
    )
    # TikTok has no Gold rule for its category, and nothing panel-wide: sold at cost.
    assert (tiktok.rates[2].rate, tiktok.rates[2].rule) == (D(2), None)
    assert (tiktok.rates[0].rate, tiktok.rates[0].margin) == (D(2), D(0))


async def test_filters_by_category_and_name(session: AsyncSession, priced: Priced) -> None:
    assert [row.name for row in (await glance.glance(session, category="TikTok")).rows] == [
        "TikTok Views"
    ]
    found = await glance.glance(session, name="LIK")
    assert [row.name for row in found.rows] == ["Likes"]


async def test_a_disabled_service_is_listed_without_rates(
    session: AsyncSession, priced: Priced
) -> None:
    await catalogue.update_service(session, priced.tiktok.id, enabled=False)
    row = next(r for r in (await glance.glance(session)).rows if r.service_id == priced.tiktok.id)
    assert (row.enabled, row.cost, row.rates) == (False, None, ())


async def test_preview_is_what_saving_produces_and_writes_nothing(
    session: AsyncSession, priced: Priced
) -> None:
    change = glance.Change(tier_id=priced.gold.id, category="Instagram", markup_percent=D(80))
    written = await _written(session)
    shown = await glance.preview(session, change)
    assert await _written(session) == written
    assert [saved.action for saved in shown.rules] == ["update"]
    instagram = {s.id for s in priced.world.services.values()}
    assert {row.service_id for row in shown.rows} == instagram
    for row in shown.rows:
        # Only Gold moves: 1.00 + 80%; the others keep their rate.
        assert row.changed() == [priced.gold.id]
        assert [rate.rate for rate in row.after][2] == D("1.8")
        assert [r.rate for r in row.before][:2] == [r.rate for r in row.after][:2]

    await glance.apply(session, priced.actor.id, change)
    after = await glance.glance(session, service_ids=sorted(instagram))
    assert {row.service_id: row.rates for row in after.rows} == {
        row.service_id: row.after for row in shown.rows
    }
    quoted = await price_list(session, priced.gold_reseller)
    assert {sid: quoted[sid].rate for sid in instagram} == {sid: D("1.8") for sid in instagram}


async def test_a_new_panel_wide_floor_is_previewed_then_created(
    session: AsyncSession, priced: Priced
) -> None:
    change = glance.Change(category="TikTok", floor_margin=D("0.75"))
    shown = await glance.preview(session, change)
    assert [(saved.action, saved.rule_id) for saved in shown.rules] == [("create", None)]
    (row,) = shown.rows
    # No tier and Gold have no TikTok rule of their own; Standard's +50% is above the floor.
    assert [rate.rate for rate in row.after] == [D("2.75"), D(3), D("2.75")]
    assert row.changed() == [None, priced.gold.id]
    assert (
        await session.scalar(
            select(func.count()).select_from(PriceRule).where(PriceRule.category == "TikTok")
        )
        == 0
    )

    saved = await glance.apply(session, priced.actor.id, change)
    assert [one.action for one in saved] == ["create"]
    after = await glance.glance(session, service_ids=[priced.tiktok.id])
    assert [(r.tier_id, r.rate, r.margin) for r in after.rows[0].rates] == [
        (r.tier_id, r.rate, r.margin) for r in row.after
    ]
    entries = await action_log.search(session, action_log.Filter(action="price_rule."))
    assert [(e.action, e.subject_id, e.before) for e in entries] == [
        ("price_rule.create", saved[0].rule_id, None)
    ]
    assert entries[0].after == {
        "tier_id": None,
        "service_id": None,
        "category": "TikTok",
        "markup_percent": "0",
        "markup_fixed": "0",
        "floor_margin": "0.75",
    }
    assert entries[0].actor_id == priced.actor.id


async def test_an_update_is_logged_with_before_and_after_and_keeps_what_is_not_given(
    session: AsyncSession, priced: Priced
) -> None:
    likes = priced.world.services["likes"].id
    change = glance.Change(service_ids=(likes,), floor_margin=D(1))
    (saved,) = await glance.apply(session, priced.actor.id, change)
    rule = await session.get_one(PriceRule, saved.rule_id)
    assert (rule.markup_fixed, rule.floor_margin) == (D("0.25"), D(1))
    (entry,) = await action_log.search(session, action_log.Filter(subject_type="price_rule"))
    assert entry.action == "price_rule.update"
    assert (entry.before or {})["floor_margin"] == "0"
    assert (entry.after or {})["floor_margin"] == "1"
    assert (entry.after or {})["markup_fixed"] == "0.25"
    # The same again changes nothing and records nothing.
    (again,) = await glance.apply(session, priced.actor.id, change)
    assert again.action == "unchanged"
    assert len(await action_log.search(session, action_log.Filter(action="price_rule."))) == 1


BAD_CHANGES: list[tuple[glance.Change, type[Exception]]] = [
    (glance.Change(markup_percent=D(5)), Invalid),
    (glance.Change(category="Instagram", service_ids=(1,), markup_percent=D(5)), Invalid),
    (glance.Change(category="Instagram"), Invalid),
    (glance.Change(category="Nowhere", markup_percent=D(5)), Invalid),
    (glance.Change(category="Instagram", floor_margin=D(-1)), Invalid),
    (glance.Change(category="Instagram", markup_percent=D(-101)), Invalid),
    (glance.Change(service_ids=(999_999,), markup_percent=D(5)), NotFound),
    (glance.Change(tier_id=999_999, category="Instagram", markup_percent=D(5)), NotFound),
]


async def test_bad_changes_are_refused_and_write_nothing(
    session: AsyncSession, priced: Priced
) -> None:
    written = await _written(session)
    for change, error in BAD_CHANGES:
        with pytest.raises(error):
            async with session.begin_nested():
                await glance.preview(session, change)
        with pytest.raises(error):
            async with session.begin_nested():
                await glance.apply(session, priced.actor.id, change)
    assert await _written(session) == written


async def test_many_services_switched_at_once_each_logged(
    session: AsyncSession, priced: Priced
) -> None:
    ids = [priced.world.services["likes"].id, priced.tiktok.id]
    assert await glance.set_enabled(session, priced.actor.id, ids, False) == sorted(ids)
    assert await glance.set_enabled(session, priced.actor.id, ids, False) == []
    entries = await action_log.search(session, action_log.Filter(action="service."))
    assert sorted((e.action, e.subject_id, e.before, e.after) for e in entries) == sorted(
        ("service.disable", sid, {"enabled": True}, {"enabled": False}) for sid in ids
    )
    with pytest.raises(NotFound):
        async with session.begin_nested():
            await glance.set_enabled(session, priced.actor.id, [ids[0], 999_999], True)
    assert (await session.get_one(Service, ids[0])).enabled is False
    assert await glance.set_enabled(session, priced.actor.id, [ids[0]], True) == [ids[0]]


async def test_admin_api_previews_applies_and_switches(
    client: AsyncClient, operator: Operator, session: AsyncSession, priced: Priced
) -> None:
    body = {"tier_id": priced.gold.id, "category": "Instagram", "markup_percent": "80"}
    previewed = await client.post(
        "/admin/v1/price-rules/preview", json=body, headers=operator.headers
    )
    assert previewed.status_code == 200, previewed.text
    services = previewed.json()["services"]
    assert len(services) == len(priced.world.services)
    assert {s["after"][2]["rate"] for s in services} == {"1.8"}
    assert previewed.json()["rules"][0]["action"] == "update"
    assert await session.scalar(select(func.count()).select_from(OperatorAction)) == 0

    applied = await client.post("/admin/v1/price-rules/apply", json=body, headers=operator.headers)
    assert applied.status_code == 200, applied.text
    assert [one["action"] for one in applied.json()] == ["update"]
    quoted = await price_list(session, priced.gold_reseller)
    assert {quoted[s["service_id"]].rate for s in services} == {D("1.8")}

    switched = await client.post(
        "/admin/v1/services/enabled",
        json={"service_ids": [priced.tiktok.id], "enabled": False},
        headers=operator.headers,
    )
    assert switched.json() == {"changed": [priced.tiktok.id]}
    entries = await action_log.search(session, action_log.Filter(actor_id=operator.account.id))
    assert sorted(e.action for e in entries) == ["price_rule.update", "service.disable"]

    refused = await client.post(
        "/admin/v1/services/enabled",
        json={"service_ids": [priced.tiktok.id, 999_999], "enabled": True},
        headers=operator.headers,
    )
    assert refused.status_code == 404
    refused = await client.post(
        "/admin/v1/price-rules/preview", json={"category": "Instagram"}, headers=operator.headers
    )
    assert refused.status_code == 422
