"""The operator's console over HTTP: the review queue with the admin API's three decisions,
the providers with their balance and a sync against the sandbox, and nobody else let in."""

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from httpx import AsyncClient, Response
from redis.asyncio import Redis
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from panel.accounts import service as accounts
from panel.catalogue import service as catalogue
from panel.models import Account, AccountKind, Order, OrderStatus, Provider, ProviderService
from panel.orders import service as orders
from tests.fixtures.factories import World
from tests.fixtures.sandbox import SandboxHandle
from tests.web.conftest import (
    AGENCY_EMAIL,
    HOST,
    RESELLER_EMAIL,
    Visitor,
    csrf_of,
    give_password,
    sign_in,
    token,
    wallets,
)

OPS_HOST = "ops.example"  # no brand has it: the operator's own
OPERATOR_EMAIL = "ops@example.com"
REASON = "upstream answer unknown"


@dataclass
class Console:
    world: World
    operator: Account
    waiting: Order  # in review, sent to the primary provider
    charge: Decimal  # what the agency paid for it


@pytest.fixture
async def console(world: World, session: AsyncSession) -> Console:
    operator = await accounts.create(session, kind=AccountKind.operator, name="Ops")
    await give_password(session, operator, OPERATOR_EMAIL)
    await give_password(session, world.reseller, RESELLER_EMAIL)
    order = await orders.accept(
        session,
        world.agency,
        world.services["followers"].id,
        {"link": "https://instagram.com/in-review", "quantity": "100"},
    )
    order.status = OrderStatus.needs_review
    order.provider_id = world.provider.id
    order.review_reason = REASON
    order.submitted_at = datetime(2025, 3, 4, 5, 6, tzinfo=UTC)
    await session.flush()
    return Console(world, operator, order, order.charge)


@pytest.fixture
async def ops_web(visitor: Visitor) -> AsyncClient:
    """A visitor of the operator's host, reading English pages, not yet signed in."""
    return await visitor(OPS_HOST, english=True)


@pytest.fixture
async def operator_web(console: Console, ops_web: AsyncClient) -> AsyncClient:
    """`ops_web`, signed in as the operator."""
    assert (await sign_in(ops_web, OPERATOR_EMAIL, OPS_HOST)).status_code == 303
    return ops_web


def _card(page: Response, element_id: str) -> str:
    """The HTML of the card with this id, up to its end."""
    start = page.text.index(f'id="{element_id}"')
    return page.text[start : page.text.index("</section>", start)]


async def _order(session: AsyncSession, order_id: int) -> Order:
    return await session.get_one(Order, order_id, populate_existing=True)


async def test_an_operator_signs_in_and_lands_on_the_review_queue(
    console: Console, ops_web: AsyncClient, session: AsyncSession
) -> None:
    elsewhere = await orders.accept(
        session,
        console.world.agency,
        console.world.services["likes"].id,
        {"link": "https://instagram.com/not-in-review", "quantity": "100"},
    )
    signed_in = await sign_in(ops_web, OPERATOR_EMAIL, OPS_HOST)
    assert (signed_in.status_code, signed_in.headers["location"]) == (303, "/")
    home = await ops_web.get("/")
    assert (home.status_code, home.headers["location"]) == (303, "/ops")  # the dashboard

    queue = await ops_web.get("/ops/review")
    assert queue.status_code == 200
    card = _card(queue, f"order-{console.waiting.id}")
    for shown in (
        f"#{console.waiting.id} Followers",
        "<td>Agency</td>",
        "https://instagram.com/in-review",
        "<td>100</td>",
        "<td>Primary</td>",
        REASON,
        "2025-03-04 05:06 UTC",
        f'action="/ops/review/{console.waiting.id}/attach"',
        f'action="/ops/review/{console.waiting.id}/fail"',
        f'action="/ops/review/{console.waiting.id}/resubmit"',
    ):
        assert shown in card, shown
    assert f"order-{elsewhere.id}" not in queue.text
    assert "not-in-review" not in queue.text
    assert 'href="/ops/review" aria-current="page"' in queue.text


async def test_attach_tracks_the_order_under_its_upstream_id(
    console: Console, operator_web: AsyncClient, session: AsyncSession
) -> None:
    csrf = await token(operator_web, "/ops/review")
    path = f"/ops/review/{console.waiting.id}/attach"

    blank = await operator_web.post(path, data={"upstream_id": "  ", "csrf": csrf})
    assert (blank.status_code, "upstream_id is required" in blank.text) == (422, True)
    assert (await _order(session, console.waiting.id)).status is OrderStatus.needs_review

    attached = await operator_web.post(path, data={"upstream_id": " 77 ", "csrf": csrf})
    assert (attached.status_code, attached.headers["location"]) == (303, "/ops/review")
    order = await _order(session, console.waiting.id)
    assert (order.status, order.upstream_id, order.review_reason) == (
        OrderStatus.in_progress,
        "77",
        None,
    )
    assert order.next_poll_at is not None
    queue = await operator_web.get("/ops/review")
    assert f"order-{console.waiting.id}" not in queue.text
    assert "No orders are waiting for review." in queue.text


async def test_fail_refunds_the_buyer_in_full(
    console: Console,
    operator_web: AsyncClient,
    session: AsyncSession,
) -> None:
    agency = console.world.agency
    assert await wallets(session, agency) == [Decimal(50) - console.charge]
    csrf = await token(operator_web, "/ops/review")
    path = f"/ops/review/{console.waiting.id}/fail"

    no_reason = await operator_web.post(path, data={"reason": " ", "csrf": csrf})
    assert (no_reason.status_code, "Give a reason" in no_reason.text) == (422, True)

    failed = await operator_web.post(
        path, data={"reason": "provider has no such order", "csrf": csrf}
    )
    assert (failed.status_code, failed.headers["location"]) == (303, "/ops/review")
    order = await _order(session, console.waiting.id)
    assert order.status is OrderStatus.failed
    assert await wallets(session, agency) == [Decimal(50)]

    # Decided already: a second decision is refused and changes nothing.
    again = await operator_web.post(path, data={"reason": "twice", "csrf": csrf})
    assert again.status_code == 409
    assert "not waiting for review" in again.text
    assert await wallets(session, agency) == [Decimal(50)]


async def test_resubmit_sends_the_order_again(
    console: Console, operator_web: AsyncClient, session: AsyncSession, redis: Redis
) -> None:
    csrf = await token(operator_web, "/ops/review")
    attempts = console.waiting.submit_attempts
    resubmitted = await operator_web.post(
        f"/ops/review/{console.waiting.id}/resubmit", data={"csrf": csrf, "confirmed": "yes"}
    )
    assert (resubmitted.status_code, resubmitted.headers["location"]) == (303, "/ops/review")
    order = await _order(session, console.waiting.id)
    assert (order.status, order.review_reason) == (OrderStatus.pending, None)
    assert await redis.exists(f"arq:job:submit:{order.id}:{attempts}") == 1

    missing = await operator_web.post(
        "/ops/review/999999999/resubmit", data={"csrf": csrf, "confirmed": "yes"}
    )
    assert (missing.status_code, "does not exist" in missing.text) == (404, True)


async def test_a_decision_without_the_csrf_token_changes_nothing(
    console: Console,
    operator_web: AsyncClient,
    session: AsyncSession,
) -> None:
    before = await wallets(session, console.world.agency)
    for action, data in (
        ("fail", {"reason": "gone"}),
        ("attach", {"upstream_id": "77", "csrf": "forged"}),
        ("resubmit", {}),
    ):
        refused = await operator_web.post(f"/ops/review/{console.waiting.id}/{action}", data=data)
        assert refused.status_code == 403, action
        assert "This form has expired" in refused.text
    order = await _order(session, console.waiting.id)
    assert (order.status, order.upstream_id) == (OrderStatus.needs_review, None)
    assert await wallets(session, console.world.agency) == before
    sync = await operator_web.post(f"/ops/providers/{console.world.provider.id}/sync", data={})
    assert sync.status_code == 403


async def test_resellers_and_agencies_find_no_console(
    console: Console,
    ops_web: AsyncClient,
    session: AsyncSession,
) -> None:
    before = await wallets(session, console.world.agency)
    anonymous = await ops_web.get("/ops/review")
    assert (anonymous.status_code, anonymous.headers["location"]) == (303, "/login")

    for email, host in ((RESELLER_EMAIL, OPS_HOST), (AGENCY_EMAIL, HOST)):
        signed_in = await sign_in(ops_web, email, host)
        assert signed_in.status_code == 303, email
        csrf = await token(ops_web, f"http://{host}/orders")
        for path in ("/ops/review", "/ops/providers"):
            answer = await ops_web.get(f"http://{host}{path}")
            assert answer.status_code == 404, (email, path)
            assert "Page not found." in answer.text
            assert REASON not in answer.text
        for path, data in (
            (f"/ops/review/{console.waiting.id}/fail", {"reason": "mine now", "csrf": csrf}),
            (f"/ops/providers/{console.world.provider.id}/sync", {"csrf": csrf}),
        ):
            answer = await ops_web.post(f"http://{host}{path}", data=data)
            assert answer.status_code == 404, (email, path)
    assert (await _order(session, console.waiting.id)).status is OrderStatus.needs_review
    assert await wallets(session, console.world.agency) == before


async def test_an_operator_cannot_sign_in_on_a_reseller_s_host(
    console: Console, ops_web: AsyncClient
) -> None:
    refused = await sign_in(ops_web, OPERATOR_EMAIL, HOST)
    assert refused.status_code == 401
    assert "Wrong email or password." in refused.text
    answer = await ops_web.get(f"http://{HOST}/ops/review")
    assert (answer.status_code, answer.headers["location"]) == (303, "/login")


async def test_the_providers_page_shows_balances_and_the_low_ones(
    console: Console, operator_web: AsyncClient, session: AsyncSession
) -> None:
    checked = datetime(2025, 5, 6, 7, 8, tzinfo=UTC)
    primary, backup = console.world.provider, console.world.backup
    primary.balance, primary.low_balance, primary.balance_checked_at = (
        Decimal("3.5"),
        Decimal(10),
        checked,
    )
    backup.balance, backup.low_balance, backup.enabled = Decimal(250), Decimal(10), False
    await session.flush()

    page = await operator_web.get("/ops/providers")
    assert page.status_code == 200
    low = _card(page, f"provider-{primary.id}")
    for shown in (
        "<h2>Primary</h2>",
        "127.0.0.1",
        "Enabled",
        '<span class="balance">$3.50</span>',
        "Low balance",
        '<td class="alert-below">$10.00</td>',  # the alert level
        "2025-05-06 07:08 UTC",
        '<td class="listed">4</td>',
        f'action="/ops/providers/{primary.id}/sync"',
    ):
        assert shown in low, shown
    assert "primary-key" not in page.text
    fine = _card(page, f"provider-{backup.id}")
    assert "$250.00" in fine
    assert "Disabled" in fine
    assert "Low balance" not in fine
    assert "not checked yet" not in fine
    indonesian = await operator_web.get("/ops/providers", headers={"Accept-Language": "id"})
    assert "Saldo menipis" in _card(indonesian, f"provider-{primary.id}")


async def test_sync_now_imports_the_sandbox_catalogue_and_shows_what_changed(
    console: Console, operator_web: AsyncClient, session: AsyncSession, sandbox: SandboxHandle
) -> None:
    provider = await catalogue.create_provider(
        session, name="Sandbox", api_url=sandbox.url, api_key="any", currency="USD"
    )
    provider.low_balance = Decimal(50)
    await session.flush()
    provider_id = provider.id
    sandbox.set_balance("12.5")
    page = await operator_web.get("/ops/providers")
    assert "not checked yet" in _card(page, f"provider-{provider_id}")

    synced = await operator_web.post(
        f"/ops/providers/{provider_id}/sync", data={"csrf": csrf_of(page)}
    )
    assert synced.status_code == 200, synced.text
    result = _card(synced, "sync-result")
    assert "Sandbox synced: 7 added, 0 changed, 0 removed." in result
    assert "$12.50" in result
    card = _card(synced, f"provider-{provider_id}")
    assert '<td class="listed">7</td>' in card
    assert "$12.50" in card
    assert "Low balance" in card
    listed = await session.scalar(
        select(func.count())
        .select_from(ProviderService)
        .where(ProviderService.provider_id == provider_id)
    )
    assert listed == 7
    stored = await session.get_one(Provider, provider_id, populate_existing=True)
    assert (stored.balance, stored.balance_checked_at is not None) == (Decimal("12.5"), True)

    sandbox.put_service("1", name="Followers", rate="3.00", min=10, max=100_000)
    sandbox.remove_service("2")
    again = await operator_web.post(
        f"/ops/providers/{provider_id}/sync", data={"csrf": csrf_of(page)}
    )
    assert "Sandbox synced: 0 added, 1 changed, 1 removed." in _card(again, "sync-result")
    assert '<td class="listed">6</td>' in _card(again, f"provider-{provider_id}")


async def test_a_failed_sync_says_so_and_changes_nothing(
    console: Console, operator_web: AsyncClient, session: AsyncSession
) -> None:
    primary_id = console.world.provider.id  # its API is a closed port
    csrf = await token(operator_web, "/ops/review")
    failed = await operator_web.post(f"/ops/providers/{primary_id}/sync", data={"csrf": csrf})
    assert failed.status_code == 502
    assert "Sync of Primary failed; nothing was changed." in _card(failed, "sync-result")
    assert "not checked yet" in _card(failed, f"provider-{primary_id}")
    stored = await session.get_one(Provider, primary_id, populate_existing=True)
    assert stored.balance_checked_at is None
