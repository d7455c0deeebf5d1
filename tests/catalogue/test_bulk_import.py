"""Importing a provider's catalogue in bulk, in the service and over /admin/v1: one routed
service per pick, never twice (not even for two submissions at once), fail-over routes added
once, bad input writing nothing, and an action-log entry per call."""

import asyncio
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from httpx import AsyncClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from panel import action_log
from panel.accounts import service as accounts
from panel.catalogue import bulk_import, routes
from panel.catalogue import service as catalogue
from panel.errors import Invalid, NotFound
from panel.models import Account, AccountKind, OperatorAction, Provider, ProviderService, Service
from tests.conftest import Operator

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


async def _provider(session: AsyncSession, name: str, count: int) -> list[ProviderService]:
    provider = await catalogue.create_provider(
        session, name=name, api_url=f"http://127.0.0.1:9/{name}", api_key="k", currency="USD"
    )
    return [
        await catalogue.upsert_provider_service(
            session,
            provider.id,
            str(100 + n),
            panel_currency="USD",
            name=f"{name} followers {n}",
            category="Instagram" if n % 2 else "TikTok",
            rate=Decimal("1.5") + n,
            min_quantity=10,
            max_quantity=10_000,
            refill=n % 2 == 0,
            description=f"about {n}",
        )
        for n in range(count)
    ]


async def _count(session: AsyncSession, model: type[Service] | type[OperatorAction]) -> int:
    return await session.scalar(select(func.count()).select_from(model)) or 0


@pytest.fixture
async def actor(session: AsyncSession) -> Account:
    return await accounts.create(session, kind=AccountKind.operator, name="Ops")


async def test_import_makes_routed_services_once(session: AsyncSession, actor: Account) -> None:
    listed = await _provider(session, "Alpha", 4)
    first, second = listed[0], listed[1]
    picks = [
        bulk_import.Pick(first.id, name="  IG Followers Murah  ", category="Pengikut"),
        bulk_import.Pick(second.id),
    ]
    done = await bulk_import.import_services(
        session, actor.id, first.provider_id, picks, NOW, {"Instagram": "IG"}
    )
    assert [m.provider_service_id for m in done.made] == [first.id, second.id]
    assert done.already == []
    one = await session.get_one(Service, done.made[0].service_id)
    two = await session.get_one(Service, done.made[1].service_id)
    assert (one.name, one.category, one.description) == (
        "IG Followers Murah",
        "Pengikut",
        "about 0",
    )
    assert (two.name, two.category) == ("Alpha followers 1", "IG")  # mapped
    assert (one.min_quantity, one.max_quantity, one.refill) == (10, 10_000, True)
    assert [r.provider_service_id for r in await routes.of_service(session, one.id)] == [first.id]
    # Sellable: its primary live route gives it a cost.
    priced = await routes.priced_services(session, [one.id, two.id])
    assert [cost for _, cost in priced] == [first.cost, second.cost]

    services = await _count(session, Service)
    again = await bulk_import.import_services(session, actor.id, first.provider_id, picks, NOW)
    assert again.made == []
    assert again.already == done.made
    assert await _count(session, Service) == services


async def test_the_action_log_has_one_entry_per_call(session: AsyncSession, actor: Account) -> None:
    listed = await _provider(session, "Beta", 3)
    provider_id = listed[0].provider_id
    done = await bulk_import.import_services(
        session, actor.id, provider_id, [bulk_import.Pick(ps.id) for ps in listed], NOW
    )
    entries = await action_log.search(session, action_log.Filter(action="catalogue.import"))
    assert len(entries) == 1
    entry = entries[0]
    assert (entry.actor_id, entry.subject_type, entry.subject_id) == (
        actor.id,
        "provider",
        provider_id,
    )
    assert entry.after is not None
    assert entry.after["made"] == 3
    assert entry.after["already"] == 0
    assert entry.after["service_ids"] == [m.service_id for m in done.made]


async def test_bad_input_writes_nothing(session: AsyncSession, actor: Account) -> None:
    listed = await _provider(session, "Gamma", 2)
    other = await _provider(session, "Delta", 1)
    provider_id = listed[0].provider_id
    before = (await _count(session, Service), await _count(session, OperatorAction))
    for picks in (
        [bulk_import.Pick(listed[0].id), bulk_import.Pick(other[0].id)],  # another provider's
        [bulk_import.Pick(listed[0].id), bulk_import.Pick(listed[0].id)],  # twice
        [bulk_import.Pick(listed[0].id, name=" ")],
        [],
    ):
        with pytest.raises(Invalid):
            async with session.begin_nested():
                await bulk_import.import_services(session, actor.id, provider_id, picks, NOW)
    listed[1].active = False
    with pytest.raises(Invalid, match="no longer listed"):
        await bulk_import.import_services(
            session, actor.id, provider_id, [bulk_import.Pick(listed[1].id)], NOW
        )
    with pytest.raises(NotFound):
        await bulk_import.import_services(
            session, actor.id, 10**9, [bulk_import.Pick(listed[0].id)], NOW
        )
    assert (await _count(session, Service), await _count(session, OperatorAction)) == before


async def test_listing_filters_and_marks_new(session: AsyncSession, actor: Account) -> None:
    listed = await _provider(session, "Eps", 4)
    provider_id = listed[0].provider_id
    rows = await bulk_import.listing(session, provider_id)
    assert all(row.new for row in rows)
    assert len(rows) == 4
    shown = bulk_import.Filter(category="Instagram", refill=False, max_rate=Decimal("3"))
    assert [
        r.provider_service.id for r in await bulk_import.listing(session, provider_id, shown)
    ] == [listed[1].id]
    refill = bulk_import.Filter(refill=True)
    assert {
        r.provider_service.id for r in await bulk_import.listing(session, provider_id, refill)
    } == {
        listed[0].id,
        listed[2].id,
    }
    named = bulk_import.Filter(name="FOLLOWERS 3")
    assert [
        r.provider_service.id for r in await bulk_import.listing(session, provider_id, named)
    ] == [listed[3].id]
    done = await bulk_import.import_matching(
        session, actor.id, provider_id, bulk_import.Filter(category="TikTok"), NOW
    )
    assert {m.provider_service_id for m in done.made} == {listed[0].id, listed[2].id}
    after = {r.provider_service.id: r for r in await bulk_import.listing(session, provider_id)}
    assert after[listed[0].id].service_id == done.made[0].service_id
    # Everything here arrived in this test's transaction, before the import: none is new now.
    assert not any(row.new for row in after.values())


async def test_failover_is_added_once(session: AsyncSession, actor: Account) -> None:
    primary = await _provider(session, "Zeta", 2)
    backup = await _provider(session, "Eta", 2)
    done = await bulk_import.import_services(
        session, actor.id, primary[0].provider_id, [bulk_import.Pick(ps.id) for ps in primary], NOW
    )
    first, second = (m.service_id for m in done.made)
    pairs = [bulk_import.Pair(first, backup[0].id), bulk_import.Pair(second, backup[1].id)]
    added = await bulk_import.add_failover(session, actor.id, pairs)
    assert added.added == pairs
    assert added.already == []
    again = await bulk_import.add_failover(session, actor.id, pairs)
    assert again.added == []
    assert again.already == pairs
    chain = [r.provider_service_id for r in await routes.of_service(session, first)]
    assert chain == [primary[0].id, backup[0].id]
    entries = await action_log.search(session, action_log.Filter(action="catalogue.failover"))
    assert sorted(e.subject_id or 0 for e in entries) == [first, second]
    assert entries[0].after is not None
    assert len(entries[0].after["routes"]) == 2
    # The fail-over route does not make its provider service "imported".
    assert await bulk_import.imported(session, [backup[0].id]) == {}

    with pytest.raises(NotFound):
        await bulk_import.add_failover(session, actor.id, [bulk_import.Pair(10**9, backup[0].id)])
    with pytest.raises(Invalid):
        await bulk_import.add_failover(session, actor.id, [bulk_import.Pair(first, 10**9)])
    assert [r.provider_service_id for r in await routes.of_service(session, first)] == chain


async def test_concurrent_submissions_create_once(
    committed: async_sessionmaker[AsyncSession],
) -> None:
    async with committed.begin() as session:
        listed = await _provider(session, "Theta", 30)
        actor = await accounts.create(session, kind=AccountKind.operator, name="Ops")
    picks = [bulk_import.Pick(ps.id) for ps in listed]
    provider_id = listed[0].provider_id

    async def submit() -> bulk_import.Imported:
        async with committed.begin() as session:
            return await bulk_import.import_services(session, actor.id, provider_id, picks, NOW)

    results = await asyncio.gather(*(submit() for _ in range(3)))
    assert sorted(len(r.made) for r in results) == [0, 0, 30]
    async with committed() as session:
        assert await _count(session, Service) == 30
        assert await session.scalar(select(func.count()).select_from(Provider)) == 1


async def test_admin_import_and_failover(
    client: AsyncClient, operator: Operator, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    async with sessionmaker.begin() as session:
        listed = await _provider(session, "Iota", 3)
        backup = await _provider(session, "Kappa", 1)
    provider_id = listed[0].provider_id
    url = f"/admin/v1/providers/{provider_id}/import"
    body = {
        "picks": [{"provider_service_id": listed[0].id, "name": "Pengikut IG"}],
        "category_map": {"TikTok": "TT"},
    }
    made = await client.post(url, json=body, headers=operator.headers)
    assert made.status_code == 200, made.text
    service_id = made.json()["made"][0]["service_id"]
    assert made.json()["already"] == []

    every = await client.post(
        url,
        json={"all": True, "filters": {"category": "TikTok"}, "category_map": {"TikTok": "TT"}},
        headers=operator.headers,
    )
    assert every.status_code == 200, every.text
    assert [m["provider_service_id"] for m in every.json()["made"]] == [listed[2].id]
    assert every.json()["already"] == made.json()["made"]
    async with sessionmaker() as session:
        mapped = await session.get_one(Service, every.json()["made"][0]["service_id"])
        assert mapped.category == "TT"

    rest = await client.post(url, json={"all": True}, headers=operator.headers)
    assert [m["provider_service_id"] for m in rest.json()["made"]] == [listed[1].id]

    bad = await client.post(
        url,
        json={"picks": [{"provider_service_id": backup[0].id}], "all": True},
        headers=operator.headers,
    )
    assert bad.status_code == 422
    foreign = await client.post(
        url, json={"picks": [{"provider_service_id": backup[0].id}]}, headers=operator.headers
    )
    assert foreign.status_code == 422
    refused = await client.post(url, json={"all": True})
    assert refused.status_code == 401

    pair = {"service_id": service_id, "provider_service_id": backup[0].id}
    failover = await client.post(
        "/admin/v1/services/failover", json={"pairs": [pair]}, headers=operator.headers
    )
    assert failover.status_code == 200, failover.text
    assert failover.json() == {"added": [pair], "already": []}
    twice = await client.post(
        "/admin/v1/services/failover", json={"pairs": [pair]}, headers=operator.headers
    )
    assert twice.json() == {"added": [], "already": [pair]}
    shown = await client.get(f"/admin/v1/services/{service_id}/routes", headers=operator.headers)
    assert [r["provider_service_id"] for r in shown.json()] == [listed[0].id, backup[0].id]
    async with sessionmaker() as session:
        entries = await action_log.search(
            session, action_log.Filter(action="catalogue.", actor_id=operator.account.id)
        )
        assert [e.action for e in entries] == ["catalogue.failover"] + ["catalogue.import"] * 3
