"""The operator's import page over HTTP: a provider's synced services filtered, picked and
imported in one step (renamed and re-categorised on the way), never twice; fail-over routes
added from the same page; bad input said on the page with nothing written; nobody else let in."""

import re
from dataclasses import dataclass
from decimal import Decimal

import pytest
from httpx import AsyncClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from panel.accounts import service as accounts
from panel.catalogue import routes
from panel.catalogue import service as catalogue
from panel.models import AccountKind, OperatorAction, ProviderService, Route, Service
from tests.fixtures.factories import World
from tests.web.conftest import Visitor, csrf_of, give_password, sign_in

OPS_HOST = "ops.example"
OPERATOR_EMAIL = "ops@example.com"


@dataclass
class Stock:
    world: World
    provider_id: int
    services: dict[str, ProviderService]


SPECS: dict[str, dict[str, object]] = {
    "ig": {"category": "Instagram", "rate": "1.20", "refill": True},
    "ig_cheap": {"category": "Instagram", "rate": "0.40"},
    "tt": {"category": "TikTok", "rate": "2.50", "dripfeed": True, "type": "Package"},
    "yt": {"category": "YouTube", "rate": "9.00", "cancel": True},
}


@pytest.fixture
async def stock(world: World, session: AsyncSession) -> Stock:
    operator = await accounts.create(session, kind=AccountKind.operator, name="Ops")
    await give_password(session, operator, OPERATOR_EMAIL)
    provider = await catalogue.create_provider(
        session, name="Gudang", api_url="http://127.0.0.1:9/g", api_key="k", currency="USD"
    )
    made = {}
    for n, (key, spec) in enumerate(SPECS.items()):
        fields = dict(spec)
        rate = Decimal(str(fields.pop("rate")))
        made[key] = await catalogue.upsert_provider_service(
            session,
            provider.id,
            f"g{n}",
            panel_currency="USD",
            name=f"Gudang {key} followers",
            rate=rate,
            min_quantity=50,
            max_quantity=5000,
            **fields,
        )
    return Stock(world, provider.id, made)


@pytest.fixture
async def ops(visitor: Visitor, stock: Stock) -> AsyncClient:
    web = await visitor(OPS_HOST, english=True)
    assert (await sign_in(web, OPERATOR_EMAIL, OPS_HOST)).status_code == 303
    return web


def _shown(text: str) -> set[str]:
    return set(re.findall(r'<li id="ps-(\d+)"', text))


def _ids(stock: Stock, *keys: str) -> set[str]:
    return {str(stock.services[key].id) for key in keys}


async def _count(session: AsyncSession, model: type[Service] | type[OperatorAction]) -> int:
    return await session.scalar(select(func.count()).select_from(model)) or 0


async def test_filters(ops: AsyncClient, stock: Stock) -> None:
    url = f"/ops/providers/{stock.provider_id}/import"
    every = await ops.get(url)
    assert every.status_code == 200
    assert _shown(every.text) == _ids(stock, *SPECS)
    assert every.text.count('class="badge new"') == len(SPECS)
    assert 'id="select-all"' in every.text

    for query, keys in (
        ({"category": "Instagram"}, ("ig", "ig_cheap")),
        ({"refill": "1"}, ("ig",)),
        ({"cancel": "1"}, ("yt",)),
        ({"dripfeed": "1", "type": "Package"}, ("tt",)),
        ({"min_rate": "1", "max_rate": "3"}, ("ig", "tt")),
        ({"q": "CHEAP"}, ("ig_cheap",)),
    ):
        found = await ops.get(url, params=query)
        assert _shown(found.text) == _ids(stock, *keys), query

    bad = await ops.get(url, params={"min_rate": "lots"})
    assert bad.status_code == 422
    assert "A rate must be a number" in bad.text


async def test_import_in_one_step_and_never_twice(
    ops: AsyncClient, stock: Stock, session: AsyncSession
) -> None:
    url = f"/ops/providers/{stock.provider_id}/import"
    page = await ops.get(url, params={"category": "Instagram"})
    ig, cheap = stock.services["ig"], stock.services["ig_cheap"]
    form = {
        "csrf": csrf_of(page),
        "pick": [str(ig.id), str(cheap.id)],
        f"name_{ig.id}": "Followers IG Premium",
        f"name_{cheap.id}": "",
        "map_from": ["Instagram"],
        "map_to": ["IG Followers"],
    }
    done = await ops.post(url, params={"category": "Instagram"}, data=form)
    assert done.status_code == 200, done.text
    assert "2 services made and on sale, 0 were there already." in done.text
    made = (
        await session.scalars(
            select(Service)
            .join(Route, Route.service_id == Service.id)
            .where(Route.provider_service_id.in_([ig.id, cheap.id]))
        )
    ).all()
    by_route = {(await routes.of_service(session, s.id))[0].provider_service_id: s for s in made}
    assert by_route[ig.id].name == "Followers IG Premium"
    assert by_route[cheap.id].name == cheap.name
    assert {s.category for s in made} == {"IG Followers"}
    assert all(s.enabled and s.min_quantity == 50 for s in made)
    # Still filtered on Instagram, and both now sold: no box to tick.
    assert _shown(done.text) == _ids(stock, "ig", "ig_cheap")
    assert 'name="pick"' not in done.text
    assert f"Already sold: service #{by_route[ig.id].id}" in done.text

    count = await _count(session, Service)
    again = await ops.post(url, data=form)
    assert again.status_code == 200
    assert "0 services made and on sale, 2 were there already." in again.text
    assert await _count(session, Service) == count


async def test_bad_input_is_said_and_nothing_written(
    ops: AsyncClient, stock: Stock, session: AsyncSession
) -> None:
    url = f"/ops/providers/{stock.provider_id}/import"
    csrf = csrf_of(await ops.get(url))
    foreign = stock.world.services["followers"]
    foreign_route = (await routes.of_service(session, foreign.id))[0].provider_service_id
    before = (await _count(session, Service), await _count(session, OperatorAction))

    none = await ops.post(url, data={"csrf": csrf})
    assert none.status_code == 422
    assert "Select at least one service" in none.text
    mixed = await ops.post(
        url, data={"csrf": csrf, "pick": [str(stock.services["ig"].id), str(foreign_route)]}
    )
    assert mixed.status_code == 422
    assert "Nothing was saved" in mixed.text
    junk = await ops.post(url, data={"csrf": csrf, "pick": ["x1"]})
    assert junk.status_code == 422
    stale = await ops.post(url, data={"csrf": "stale", "pick": [str(stock.services["ig"].id)]})
    assert stale.status_code == 403

    failover = f"/ops/providers/{stock.provider_id}/failover"
    unread = await ops.post(failover, data={"csrf": csrf, "pairs": "12"})
    assert unread.status_code == 422
    assert "Line 1 cannot be read" in unread.text
    unknown = await ops.post(failover, data={"csrf": csrf, "pairs": f"{foreign.id} nope"})
    assert unknown.status_code == 422
    assert "no service nope" in unknown.text
    no_service = await ops.post(failover, data={"csrf": csrf, "pairs": "999999 g0"})
    assert no_service.status_code == 422
    assert "Nothing was saved" in no_service.text
    assert (await _count(session, Service), await _count(session, OperatorAction)) == before
    assert len(await routes.of_service(session, foreign.id)) == 2


async def test_failover_from_the_page(
    ops: AsyncClient, stock: Stock, session: AsyncSession
) -> None:
    likes = stock.world.services["likes"]
    chain = [r.provider_service_id for r in await routes.of_service(session, likes.id)]
    failover = f"/ops/providers/{stock.provider_id}/failover"
    csrf = csrf_of(await ops.get(f"/ops/providers/{stock.provider_id}/import"))
    added = await ops.post(failover, data={"csrf": csrf, "pairs": f"{likes.id} g3\n\n"})
    assert added.status_code == 200, added.text
    assert "1 fail-over routes added, 0 were there already." in added.text
    twice = await ops.post(failover, data={"csrf": csrf, "pairs": f"{likes.id}, g3"})
    assert "0 fail-over routes added, 1 were there already." in twice.text
    now = [r.provider_service_id for r in await routes.of_service(session, likes.id)]
    assert now == [*chain, stock.services["yt"].id]


async def test_linked_from_providers_and_closed_to_others(
    ops: AsyncClient, stock: Stock, visitor: Visitor, reseller_web: AsyncClient
) -> None:
    providers = await ops.get("/ops/providers")
    assert f'href="/ops/providers/{stock.provider_id}/import"' in providers.text
    missing = await ops.get("/ops/providers/99999/import")
    assert missing.status_code == 404

    url = f"/ops/providers/{stock.provider_id}/import"
    assert (await reseller_web.get(url)).status_code == 404
    stranger = await visitor(OPS_HOST, english=True)
    answer = await stranger.get(url)
    assert (answer.status_code, answer.headers["location"]) == (303, "/login")
