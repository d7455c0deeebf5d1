"""Catalogue sync against the sandbox over HTTP: prices follow the upstream within the rules,
vanished services are disabled, open orders are never touched."""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal

import pytest
from httpx import AsyncClient
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from panel.accounts import service as accounts
from panel.catalogue import routes
from panel.catalogue import service as catalogue
from panel.config import Settings
from panel.ledger import service as ledger
from panel.models import (
    Account,
    AccountKind,
    Order,
    OrderStatus,
    Provider,
    ProviderService,
    ProviderServiceCost,
    Service,
)
from panel.orders import service as orders
from panel.plumbing.runtime import Runtime
from panel.pricing import rule_book, tiers
from panel.pricing import service as pricing
from tests.conftest import Operator
from tests.fixtures.sandbox import SandboxHandle
from workers import catalogue_jobs

D = Decimal
LINK = "https://instagram.com/synced"


@dataclass
class Shop:
    provider: Provider
    reseller: Account
    followers: Service  # routed to sandbox service 1 only
    likes: Service  # routed to sandbox service 2, then 3


@pytest.fixture
async def runtime(
    settings: Settings, committed: async_sessionmaker[AsyncSession]
) -> AsyncIterator[Runtime]:
    runtime = await Runtime.start(settings)
    yield runtime
    await runtime.close()


@pytest.fixture
async def shop(runtime: Runtime, sandbox: SandboxHandle) -> Shop:
    async with runtime.transaction() as session:
        provider = await catalogue.create_provider(
            session, name="Sandbox", api_url=sandbox.url, api_key="any", currency="USD"
        )
    await catalogue_jobs.sync_provider(runtime, provider.id)  # the first import
    async with runtime.transaction() as session:
        by_id = {
            ps.external_id: ps
            for ps in await session.scalars(
                select(ProviderService).where(ProviderService.provider_id == provider.id)
            )
        }
        followers = await catalogue.create_service(
            session, name="Followers", min_quantity=10, max_quantity=10_000
        )
        likes = await catalogue.create_service(
            session, name="Likes", min_quantity=10, max_quantity=10_000
        )
        await routes.replace(session, followers.id, [by_id["1"].id])
        await routes.replace(session, likes.id, [by_id["2"].id, by_id["3"].id])
        tier = await tiers.create(session, name="Standard", min_spend_90d=D(0))
        # +20%, but never less than 0.50 over cost per 1000.
        await rule_book.create(
            session, tier_id=tier.id, markup_percent=D(20), floor_margin=D("0.50")
        )
        reseller = await accounts.create(
            session, kind=AccountKind.reseller, name="R", tier_id=tier.id
        )
        await ledger.top_up(session, reseller.id, D(100), "funds", None)
    return Shop(provider, reseller, followers, likes)


async def _rate(runtime: Runtime, shop: Shop, service: Service) -> Decimal:
    async with runtime.transaction() as session:
        return await pricing.rate_for(session, shop.reseller, service.id)


async def _open_order(runtime: Runtime, shop: Shop, service: Service) -> Order:
    async with runtime.transaction() as session:
        return await orders.accept(
            session, shop.reseller, service.id, {"link": LINK, "quantity": "1000"}
        )


def _put(sandbox: SandboxHandle, service_id: str, rate: str, name: str = "Followers") -> None:
    sandbox.put_service(service_id, name=name, rate=rate, min=10, max=100_000)


async def test_a_price_rise_moves_pasok_s_price_within_the_rules(
    runtime: Runtime, shop: Shop, sandbox: SandboxHandle
) -> None:
    # Cost 0.90: +20% would be 1.08, below the 0.50 floor, so the floor decides.
    assert await _rate(runtime, shop, shop.followers) == D("1.40")
    order = await _open_order(runtime, shop, shop.followers)

    _put(sandbox, "1", "2.00")
    report = await catalogue_jobs.sync_provider(runtime, shop.provider.id)
    assert [(c.external_id, c.old, c.new) for c in report.repriced] == [("1", D("0.9"), D("2"))]
    assert await _rate(runtime, shop, shop.followers) == D("2.50")  # the floor again
    _put(sandbox, "1", "5.00")
    await catalogue_jobs.sync_provider(runtime, shop.provider.id)
    assert await _rate(runtime, shop, shop.followers) == D("6.00")  # now the markup

    async with runtime.transaction() as session:
        kept = await session.get_one(Order, order.id)
        history = list(
            await session.scalars(
                select(ProviderServiceCost.rate)
                .join(ProviderService)
                .where(ProviderService.external_id == "1")
                .order_by(ProviderServiceCost.id)
            )
        )
    assert (kept.status, kept.rate, kept.charge) == (OrderStatus.pending, D("1.40"), D("1.40"))
    assert history == [D("0.90"), D("2.00"), D("5.00")]


async def test_a_vanished_upstream_service_disables_pasok_s_and_leaves_orders_alone(
    runtime: Runtime, shop: Shop, sandbox: SandboxHandle
) -> None:
    order = await _open_order(runtime, shop, shop.followers)
    before = await _rate(runtime, shop, shop.likes)
    sandbox.remove_service("1")
    sandbox.remove_service("2")

    report = await catalogue_jobs.sync_provider(runtime, shop.provider.id)
    assert sorted(report.gone) == ["1", "2"]
    assert report.disabled_services == [shop.followers.id]  # likes still has service 3
    async with runtime.transaction() as session:
        followers = await session.get_one(Service, shop.followers.id)
        likes = await session.get_one(Service, shop.likes.id)
        kept = await session.get_one(Order, order.id)
    assert (followers.enabled, likes.enabled) == (False, True)
    assert (kept.status, kept.charge) == (OrderStatus.pending, D("1.40"))
    # Likes now costs what its backup route costs, 1.50: +20% = 1.80, under the floor of 2.00.
    assert (before, await _rate(runtime, shop, shop.likes)) == (D("0.62"), D("2.00"))

    _put(sandbox, "1", "0.90")
    report = await catalogue_jobs.sync_provider(runtime, shop.provider.id)
    assert report.back == ["1"]  # listed again; the operator decides when to sell it again


async def test_an_empty_provider_balance_takes_it_out_of_routing(
    runtime: Runtime, shop: Shop, sandbox: SandboxHandle
) -> None:
    sandbox.set_balance("0")
    await catalogue_jobs.sync_provider(runtime, shop.provider.id)
    async with runtime.transaction() as session:
        assert (await session.get_one(Provider, shop.provider.id)).balance == 0
        assert await pricing.price_list(session, shop.reseller) == {}
    low = await runtime.redis.hget("pasok:providers:balance", str(shop.provider.id))  # type: ignore[misc]
    assert low == b"0 1"


async def test_what_a_provider_sends_is_kept_as_text(
    runtime: Runtime, shop: Shop, sandbox: SandboxHandle
) -> None:
    hostile = "<script>alert(1)</script>'; DROP TABLE account; --"
    _put(sandbox, "9", "1.00", name=hostile)
    report = await catalogue_jobs.sync_provider(runtime, shop.provider.id)
    assert report.added == ["9"]
    async with runtime.transaction() as session:
        stored = await session.scalar(
            select(ProviderService.name).where(ProviderService.external_id == "9")
        )
        accounts_left = await session.scalar(text("SELECT count(*) FROM account"))
    assert stored == hostile
    assert accounts_left == 1


async def test_an_operator_sees_the_diff_before_applying_it(
    client: AsyncClient, operator: Operator, sandbox: SandboxHandle
) -> None:
    made = await client.post(
        "/admin/v1/providers",
        json={"name": "Sandbox", "api_url": sandbox.url, "api_key": "any"},
        headers=operator.headers,
    )
    provider_id = made.json()["id"]
    path = f"/admin/v1/providers/{provider_id}/sync"
    dry = await client.post(path, params={"dry_run": "true"}, headers=operator.headers)
    assert dry.status_code == 200, dry.text
    assert (dry.json()["applied"], len(dry.json()["added"])) == (False, 7)
    listed = await client.get(
        f"/admin/v1/providers/{provider_id}/services", headers=operator.headers
    )
    assert listed.json() == []
    done = await client.post(path, headers=operator.headers)
    assert (done.json()["applied"], len(done.json()["added"])) == (True, 7)
    listed = await client.get(
        f"/admin/v1/providers/{provider_id}/services", headers=operator.headers
    )
    assert len(listed.json()) == 7
    again = await client.post(path, headers=operator.headers)
    assert again.json()["added"] == again.json()["repriced"] == []
