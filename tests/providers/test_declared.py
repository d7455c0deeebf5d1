"""The declared adapter speaking each shipped dialect document to the sandbox over real HTTP:
one sandbox server for the module, its orders progressing as API v2 ones do."""

from collections.abc import AsyncIterator, Iterator
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from panel.catalogue import service as catalogue
from panel.config import HttpSettings, Settings
from panel.models import ProviderService
from panel.plumbing.runtime import Runtime
from panel.plumbing.upstream_http import build_client
from panel.providers import dialect_doc
from panel.providers.adapter import (
    OrderState,
    Outcome,
    RefillState,
    RejectReason,
    UpstreamRefused,
    UpstreamUnavailable,
)
from panel.providers.declared import DeclaredAdapter
from sandbox import create_app
from tests.fixtures.app_server import AppServer
from tests.fixtures.sandbox import SandboxHandle
from workers import catalogue_jobs

KEY = "good-k3y-51c0"
SECRET = "s3cret-9a1f"
DIALECTS = ("medanpedia", "irvankede")
LINK = "https://instagram.com/pasok"


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[AppServer, SandboxHandle]]:
    app_server = AppServer(create_app(seed=1, api_key=KEY, currency="IDR"), lifespan="off").start()
    with httpx.Client(timeout=10) as http:
        yield app_server, SandboxHandle(app_server.base_url, http)
        http.post(f"{app_server.base_url}/sandbox/reset")
    app_server.stop()


@pytest.fixture
def box(server: tuple[AppServer, SandboxHandle]) -> SandboxHandle:
    server[1].reset(seed=1)
    return server[1]


@pytest.fixture
async def quick() -> AsyncIterator[httpx.AsyncClient]:
    """A client that gives up on an answer soon, for the answers the sandbox holds back."""
    client = build_client(HttpSettings(read_timeout_s=0.3, connect_timeout_s=1.0))
    yield client
    await client.aclose()


def adapter(
    client: httpx.AsyncClient, box: SandboxHandle, name: str, key: str = KEY, url: str = ""
) -> DeclaredAdapter:
    doc = dialect_doc.load(dialect_doc.shipped(name) or "")
    base = url or f"{box.base_url}/dialect/{name}"
    return DeclaredAdapter(client, base, doc, key, api_id="1234", api_secret=SECRET)


@pytest.mark.parametrize("name", DIALECTS)
async def test_order_life(http: httpx.AsyncClient, box: SandboxHandle, name: str) -> None:
    upstream = adapter(http, box, name)
    services = await upstream.services()
    by_id = {service.external_id: service for service in services}
    assert set(by_id) == {row["id"] for row in box._call("GET", "/services")}
    assert by_id["1"].rate == Decimal("0.90")
    assert by_id["1"].min_quantity >= 1
    assert (await upstream.balance()).currency == "IDR"

    added = await upstream.add({"service": "1", "link": LINK, "quantity": 100})
    other = await upstream.add({"service": "1", "link": LINK + "2", "quantity": 100})
    assert added.outcome is Outcome.accepted
    assert other.outcome is Outcome.accepted
    assert added.upstream_id
    assert other.upstream_id
    logged = box.requests("add")[0]
    assert logged["link"] == LINK
    assert logged["quantity"] == 100
    assert (await upstream.status([added.upstream_id]))[added.upstream_id].state is (
        OrderState.in_progress
    )
    box.advance(3600)
    statuses = await upstream.status([added.upstream_id, other.upstream_id, "999999"])
    assert {statuses[i].state for i in (added.upstream_id, other.upstream_id)} == {
        OrderState.completed
    }
    assert statuses[added.upstream_id].remains == 0
    if name == "medanpedia":  # asked one by one: an unknown id says so
        assert statuses["999999"].state is OrderState.unknown_upstream_id
    else:  # the many-ids answer leaves it out
        assert "999999" not in statuses
        assert box.counts()["status"] == 2

    refill = await upstream.refill(added.upstream_id)
    assert refill.outcome is Outcome.accepted
    assert refill.upstream_id
    states = await upstream.refill_status([refill.upstream_id, "777"])
    assert states == {
        refill.upstream_id: RefillState.pending,
        "777": RefillState.unknown_upstream_id,
    }

    fresh = await upstream.add({"service": "1", "link": LINK + "3", "quantity": 100})
    assert fresh.upstream_id
    canceled = await upstream.cancel([fresh.upstream_id])
    expected = Outcome.accepted if name == "irvankede" else Outcome.rejected
    assert canceled[fresh.upstream_id].outcome is expected


ANSWERS = [
    # (case, change to the sandbox, order, outcome, reason)
    ("funds", {"balance": "0"}, {}, Outcome.rejected, RejectReason.provider_funds),
    ("service", {}, {"service": "404"}, Outcome.rejected, RejectReason.service),
    ("target", {}, {"link": "not a link"}, Outcome.rejected, RejectReason.link),
    ("quantity", {}, {"quantity": 1}, Outcome.rejected, RejectReason.quantity),
    ("busy", {"exclusive_link": True}, {}, Outcome.rejected, RejectReason.link_busy),
    ("http_502", {"fault": "http_502"}, {}, Outcome.ambiguous, None),
    ("html", {"fault": "html"}, {}, Outcome.ambiguous, None),
    ("empty", {"fault": "empty"}, {}, Outcome.ambiguous, None),
    ("rate_limit", {"fault": "rate_limit"}, {}, Outcome.transient, None),
    ("lost", {"fault": "timeout_after_accept", "hang_s": 2}, {}, Outcome.ambiguous, None),
    ("wrong_key", {"key": "wrong"}, {}, Outcome.rejected, RejectReason.other),
    ("unreachable", {"url": "http://127.0.0.1:9"}, {}, Outcome.transient, None),
]


@pytest.mark.parametrize("name", DIALECTS)
@pytest.mark.parametrize(
    ("case", "change", "order", "outcome", "reason"), ANSWERS, ids=[a[0] for a in ANSWERS]
)
async def test_add_answers(
    quick: httpx.AsyncClient,
    box: SandboxHandle,
    name: str,
    case: str,
    change: dict[str, object],
    order: dict[str, str | int],
    outcome: Outcome,
    reason: RejectReason | None,
) -> None:
    change = dict(change)
    if "balance" in change:
        box.set_balance(str(change.pop("balance")))
    key, url = str(change.pop("key", KEY)), str(change.pop("url", ""))
    if change:
        box.set_behaviour("1", **change)
    upstream = adapter(quick, box, name, key=key, url=url)
    if case == "busy":
        first = await upstream.add({"service": "1", "link": LINK, "quantity": 100})
        assert first.outcome is Outcome.accepted
    params: dict[str, str | int | None] = {"service": "1", "link": LINK, "quantity": 100}
    result = await upstream.add(params | order)
    assert (result.outcome, result.reason) == (outcome, reason), result.detail
    assert KEY not in result.detail
    assert SECRET not in result.detail
    if outcome is Outcome.rejected and case != "wrong_key":
        assert result.detail  # the provider's own words, for operators
    if case == "lost":  # it reached the provider: the order exists there
        assert box.requests("add")[-1]["order"] is not None


@pytest.mark.parametrize("name", DIALECTS)
async def test_queries_fail_classified(
    http: httpx.AsyncClient, quick: httpx.AsyncClient, box: SandboxHandle, name: str
) -> None:
    with pytest.raises(UpstreamRefused) as refused:
        await adapter(quick, box, name, key="wrong").balance()
    assert "API Key salah" in refused.value.detail
    assert "wrong" not in refused.value.detail
    with pytest.raises(UpstreamUnavailable):
        await adapter(quick, box, name, url="http://127.0.0.1:9").services()
    added = await adapter(http, box, name).add({"service": "1", "link": LINK, "quantity": 100})
    assert added.upstream_id
    box.set_behaviour("1", latency_s=1.0)
    with pytest.raises(UpstreamUnavailable):  # the answer never came in time
        await adapter(quick, box, name).status([added.upstream_id])


@pytest.mark.parametrize("name", DIALECTS)
async def test_catalogue_sync_imports_services(
    settings: Settings,
    committed: async_sessionmaker[AsyncSession],
    box: SandboxHandle,
    name: str,
) -> None:
    runtime = await Runtime.start(settings)
    try:
        async with runtime.transaction() as session:
            provider = await catalogue.create_provider(
                session,
                name=f"Lokal {name}",
                api_url=f"{box.base_url}/dialect/{name}",
                api_key=KEY,
                currency="IDR",
                adapter="dialect",
                dialect=name,  # a shipped document, by name
                api_id="1234",
                api_secret=SECRET,
            )
        assert provider.dialect
        assert "[status.words]" in provider.dialect
        await catalogue_jobs.sync_provider(runtime, provider.id)
        async with runtime.transaction() as session:
            rows = list(
                await session.scalars(
                    select(ProviderService).where(ProviderService.provider_id == provider.id)
                )
            )
        assert {row.external_id for row in rows} >= {"1", "2", "3"}
        assert box.counts().get("services") == 1
    finally:
        await runtime.close()
