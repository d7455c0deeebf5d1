"""The service-updates feed: a price change at the sandbox provider, brought in by the sync over
HTTP, reaches the feed, `/v1/service-updates` and a signed `service.updated` webhook, each
buyer at its own price and once; operator edits are recorded as the changes buyers see."""

import json
import socket
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from httpx import ASGITransport, AsyncClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from panel.accounts import service as accounts
from panel.catalogue import routes
from panel.catalogue import service as catalogue
from panel.config import Settings, WebhookSettings
from panel.growth import update_feed
from panel.keys import service as keys
from panel.models import Account, AccountKind, ProviderService, ServiceChange, ServiceUpdate
from panel.plumbing.runtime import Runtime
from panel.pricing import rule_book, tiers
from panel.pricing import service as pricing
from panel.webhooks import service as webhooks
from panel.webhooks import signing
from tests.conftest import AppFor
from tests.fixtures.factories import build_world
from tests.fixtures.sandbox import SandboxHandle
from tests.webhooks.receiver import Receiver
from workers import catalogue_jobs, webhook_jobs
from workers.tasks import JobContext

D = Decimal
SECRET = "whsec_updates_secret_0123456789"


@pytest.fixture
def pipeline_settings(pipeline_settings: Settings) -> Settings:
    # The receiver listens on loopback.
    hooks = WebhookSettings(allow_private_hosts=True)
    return pipeline_settings.model_copy(update={"webhooks": hooks})


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    receiver = Receiver(port)
    receiver.up()
    yield receiver
    receiver.down()


@dataclass
class Shop:
    provider_id: int
    service_id: int  # routed to sandbox service 1 only
    reseller: Account  # tier +20%
    agency: Account  # its reseller adds 10%
    reseller_key: str
    agency_key: str


@pytest.fixture
async def shop(runtime: Runtime, sandbox: SandboxHandle, receiver: Receiver) -> Shop:
    async with runtime.transaction() as session:
        provider = await catalogue.create_provider(
            session, name="Sandbox", api_url=sandbox.url, api_key="any", currency="USD"
        )
    await catalogue_jobs.sync_provider(runtime, provider.id)  # the first import
    async with runtime.transaction() as session:
        upstream = await session.scalar(
            select(ProviderService).where(
                ProviderService.provider_id == provider.id, ProviderService.external_id == "1"
            )
        )
        assert upstream is not None
        service = await catalogue.create_service(
            session, name="Followers", category="Instagram", min_quantity=10, max_quantity=10_000
        )
        await routes.replace(session, service.id, [upstream.id])
        tier = await tiers.create(session, name="Gold", min_spend_90d=D(0))
        await rule_book.create(session, tier_id=tier.id, markup_percent=D(20))
        reseller = await accounts.create(
            session, kind=AccountKind.reseller, name="R", tier_id=tier.id
        )
        agency = await accounts.create(
            session, kind=AccountKind.agency, name="A", parent_id=reseller.id
        )
        await rule_book.create(session, owner_id=reseller.id, markup_percent=D(10))
        for owner in (reseller, agency):
            await webhooks.create_endpoint(
                session, owner, receiver.url, SECRET, runtime.settings.webhooks
            )
        reseller_key = (await keys.issue(session, reseller, "script")).plaintext
        agency_key = (await keys.issue(session, agency, "script")).plaintext
    return Shop(provider.id, service.id, reseller, agency, reseller_key, agency_key)


@pytest.fixture
async def client(
    app_for: AppFor, committed: async_sessionmaker[AsyncSession]
) -> AsyncIterator[AsyncClient]:
    app = app_for(committed)
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://pasok.test") as c:
        yield c


async def _rate(runtime: Runtime, account: Account, service_id: int) -> Decimal:
    async with runtime.transaction() as session:
        return await pricing.rate_for(session, account, service_id)


async def _fan_out(runtime: Runtime) -> int:
    async with runtime.transaction() as session:
        made: int = await webhook_jobs.fan_out_service_updates(JobContext(runtime, session))
    return made


def _received(receiver: Receiver, secret: str) -> list[dict[str, Any]]:
    """The events received, each signed with the endpoint's secret."""
    for hit in receiver.received:
        assert signing.verify(secret, hit.headers[signing.HEADER], hit.body, time.time())
    return [json.loads(hit.body) for hit in receiver.received]


async def test_a_price_change_at_the_provider_reaches_every_buyer_at_its_own_price_once(
    runtime: Runtime,
    shop: Shop,
    sandbox: SandboxHandle,
    receiver: Receiver,
    client: AsyncClient,
) -> None:
    # The service going on sale is news too: sent once, then the receiver starts afresh.
    assert await _fan_out(runtime) == 2
    assert await webhook_jobs.send_webhooks(runtime) == 2
    assert {e["data"]["update"]["change"] for e in _received(receiver, SECRET)} == {"added"}
    receiver.received.clear()

    before = {
        who.id: await _rate(runtime, who, shop.service_id) for who in (shop.reseller, shop.agency)
    }
    # Cost 0.90: the reseller pays +20%, its agency 10% over that.
    assert before == {shop.reseller.id: D("1.08"), shop.agency.id: D("1.188")}
    sandbox.put_service("1", name="Instagram Followers", rate="2.00", min=10, max=100_000)
    report = await catalogue_jobs.sync_provider(runtime, shop.provider_id)
    assert [(c.external_id, c.new) for c in report.repriced] == [("1", D("2"))]
    after = {
        who.id: await _rate(runtime, who, shop.service_id) for who in (shop.reseller, shop.agency)
    }
    assert after == {shop.reseller.id: D("2.40"), shop.agency.id: D("2.64")}

    # The feed, read as each buyer.
    async with runtime.transaction() as session:
        stored = list(
            await session.scalars(
                select(ServiceUpdate).where(ServiceUpdate.change == ServiceChange.price)
            )
        )
        agency_feed = await update_feed.feed(session, shop.agency)
    assert [(u.cost_before, u.cost_after) for u in stored] == [(D("0.9"), D("2"))]
    newest = agency_feed.entries[0]
    assert (newest.update.change, newest.rate_before, newest.rate_after) == (
        ServiceChange.price,
        before[shop.agency.id],
        after[shop.agency.id],
    )

    # /v1, with a cursor: the price change first, then the service going on sale.
    seen = {}
    for who, key in ((shop.reseller, shop.reseller_key), (shop.agency, shop.agency_key)):
        auth = {"Authorization": f"Bearer {key}"}
        first = await client.get("/v1/service-updates", params={"limit": 1}, headers=auth)
        assert first.status_code == 200, first.text
        [item] = first.json()["items"]
        seen[who.id] = item
        assert (item["change"], item["service_id"]) == ("price", shop.service_id)
        assert (D(item["rate_before"]), D(item["rate_after"])) == (before[who.id], after[who.id])
        cursor = first.json()["next_cursor"]
        rest = await client.get(
            "/v1/service-updates", params={"limit": 1, "cursor": cursor}, headers=auth
        )
        [older] = rest.json()["items"]
        assert (older["change"], D(older["rate_after"])) == ("added", before[who.id])
    bad = await client.get(
        "/v1/service-updates",
        params={"cursor": "１２"},
        headers={"Authorization": f"Bearer {shop.agency_key}"},
    )
    assert bad.status_code == 422
    assert bad.headers["content-type"].startswith("application/problem+json")

    # The webhook: once per buyer, signed, at its own new price, whatever runs again.
    assert await _fan_out(runtime) == 2
    assert await _fan_out(runtime) == 0
    assert await webhook_jobs.send_webhooks(runtime) == 2
    assert await webhook_jobs.send_webhooks(runtime) == 0
    events = _received(receiver, SECRET)
    assert len(events) == 2
    assert {e["type"] for e in events} == {"service.updated"}
    assert len({e["id"] for e in events}) == 1  # one change, one event id for every receiver
    got = sorted(D(e["data"]["update"]["rate_after"]) for e in events)
    assert got == sorted(after.values())
    # Each buyer's event says exactly what /v1 says to that buyer.
    assert sorted(json.dumps(e["data"]["update"], sort_keys=True) for e in events) == sorted(
        json.dumps(item, sort_keys=True) for item in seen.values()
    )


async def test_operator_edits_are_recorded_as_the_changes_buyers_see(
    session: AsyncSession,
) -> None:
    world = await build_world(session)
    followers = world.services["followers"].id
    added = list(await session.scalars(select(ServiceUpdate).order_by(ServiceUpdate.id)))
    assert {(u.service_id, u.change) for u in added} == {
        (service.id, ServiceChange.added) for service in world.services.values()
    }

    async def changes() -> list[tuple[Any, ...]]:
        rows = await session.scalars(
            select(ServiceUpdate).where(ServiceUpdate.id > added[-1].id).order_by(ServiceUpdate.id)
        )
        return [
            (u.change, u.min_before, u.min_after, u.allowed_before, u.allowed_after) for u in rows
        ]

    await catalogue.update_service(session, followers, name="Followers")  # nothing a buyer sees
    await catalogue.update_service(session, followers, min_quantity=50, refill=False)
    assert await changes() == [
        (ServiceChange.limits, 10, 50, None, None),
        (ServiceChange.refill, None, None, True, False),
    ]
    await catalogue.update_service(session, followers, enabled=False)
    await catalogue.update_service(session, followers, min_quantity=70)  # not on sale: no news
    await catalogue.update_service(session, followers, enabled=True)  # back, not new
    assert [change[0] for change in await changes()][2:] == [
        ServiceChange.disabled,
        ServiceChange.enabled,
    ]

    # A new upstream rate on the primary route moves the price; on the backup it does not.
    await catalogue.upsert_provider_service(
        session, world.backup.id, "1", panel_currency="USD", rate=D(5)
    )
    await catalogue.upsert_provider_service(
        session, world.provider.id, "1", panel_currency="USD", rate=D(2)
    )
    reseller_feed = await update_feed.feed(session, world.reseller, limit=1)
    agency_feed = await update_feed.feed(session, world.agency, limit=1)
    [price_for_reseller] = reseller_feed.entries
    [price_for_agency] = agency_feed.entries
    # The tier adds 50%, the reseller 20% for its agency: 1.5 -> 3 and 1.8 -> 3.6.
    assert (price_for_reseller.rate_before, price_for_reseller.rate_after) == (D("1.5"), D(3))
    assert (price_for_agency.rate_before, price_for_agency.rate_after) == (D("1.8"), D("3.6"))
    assert await pricing.rate_for(session, world.agency, followers) == D("3.6")

    # Taking the primary provider out leaves every service on its backup: only followers'
    # backup costs another amount (5), so only its price moves.
    await catalogue.update_provider(session, world.provider.id, enabled=False)
    newest = await update_feed.feed(session, world.reseller, limit=1)
    [moved] = newest.entries
    assert (moved.service.id, moved.update.change) == (followers, ServiceChange.price)
    assert (moved.rate_before, moved.rate_after) == (D(3), D("7.5"))
    assert newest.next_cursor == moved.update.id
