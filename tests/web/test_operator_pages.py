"""The operator's console over HTTP: the review queue with the admin API's three decisions,
the providers with their balance and a sync against the sandbox, and nobody else let in."""

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from httpx import ASGITransport, AsyncClient, Response
from pydantic import SecretStr
from redis.asyncio import Redis
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from panel.accounts import service as accounts
from panel.catalogue import service as catalogue
from panel.config import Settings, WebSettings
from panel.ledger import service as ledger
from panel.models import (
    Account,
    AccountKind,
    Brand,
    BrandHost,
    Order,
    OrderStatus,
    Provider,
    ProviderService,
)
from panel.orders import service as orders
from panel.web import passwords
from tests.conftest import AppFor
from tests.factories import World, build_world
from tests.fixtures_sandbox import SandboxHandle

PASSWORD = "correct horse battery"
OPS_HOST = "ops.example"  # no brand has it: the operator's own
BRAND_HOST = "a.example"
OPERATOR_EMAIL = "ops@example.com"
RESELLER_EMAIL = "reseller@example.com"
AGENCY_EMAIL = "agency@example.com"
REASON = "upstream answer unknown"


@dataclass
class Console:
    world: World
    operator: Account
    waiting: Order  # in review, sent to the primary provider
    charge: Decimal  # what the agency paid for it


@pytest.fixture
async def console(session: AsyncSession) -> Console:
    world = await build_world(session)
    brand = Brand(reseller_id=world.reseller.id, name="Toko Sosmed")
    session.add(brand)
    await session.flush()
    session.add(BrandHost(host=BRAND_HOST, brand_id=brand.id))
    operator = await accounts.create(session, kind=AccountKind.operator, name="Ops")
    for account, email in (
        (operator, OPERATOR_EMAIL),
        (world.reseller, RESELLER_EMAIL),
        (world.agency, AGENCY_EMAIL),
    ):
        account.email = email
        await passwords.set_password(session, account, PASSWORD)
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
async def browser(
    app_for: AppFor, sessionmaker: async_sessionmaker[AsyncSession], settings: Settings
) -> AsyncIterator[AsyncClient]:
    app = app_for(sessionmaker)
    web = WebSettings(secret=SecretStr("test-secret-" + "x" * 32))
    app.state.runtime.settings = settings.model_copy(update={"web": web})
    async with AsyncClient(
        transport=ASGITransport(app=app),
        base_url=f"http://{OPS_HOST}",
        headers={"Accept-Language": "en"},
    ) as client:
        yield client


def _csrf(page: Response) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found, page.text
    return found.group(1)


def _card(page: Response, element_id: str) -> str:
    """The HTML of the card with this id, up to its end."""
    start = page.text.index(f'id="{element_id}"')
    return page.text[start : page.text.index("</section>", start)]


async def _sign_in(
    browser: AsyncClient, email: str = OPERATOR_EMAIL, host: str = OPS_HOST
) -> Response:
    form = await browser.get(f"http://{host}/login")
    return await browser.post(
        f"http://{host}/login", data={"email": email, "password": PASSWORD, "csrf": _csrf(form)}
    )


async def _token(browser: AsyncClient) -> str:
    """A signed-in operator's CSRF token, as the review page carries it."""
    return _csrf(await browser.get("/ops/review"))


async def _order(session: AsyncSession, order_id: int) -> Order:
    return await session.get_one(Order, order_id, populate_existing=True)


async def _balance(sessionmaker: async_sessionmaker[AsyncSession], account_id: int) -> Decimal:
    # A session of its own: the test's has the wallet as it was before the request.
    async with sessionmaker() as fresh:
        return await ledger.balance(fresh, account_id)


async def test_an_operator_signs_in_and_lands_on_the_review_queue(
    console: Console, browser: AsyncClient, session: AsyncSession
) -> None:
    elsewhere = await orders.accept(
        session,
        console.world.agency,
        console.world.services["likes"].id,
        {"link": "https://instagram.com/not-in-review", "quantity": "100"},
    )
    signed_in = await _sign_in(browser)
    assert (signed_in.status_code, signed_in.headers["location"]) == (303, "/")
    home = await browser.get("/")
    assert (home.status_code, home.headers["location"]) == (303, "/ops/review")

    queue = await browser.get("/ops/review")
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
    console: Console, browser: AsyncClient, session: AsyncSession
) -> None:
    await _sign_in(browser)
    token = await _token(browser)
    path = f"/ops/review/{console.waiting.id}/attach"

    blank = await browser.post(path, data={"upstream_id": "  ", "csrf": token})
    assert (blank.status_code, "upstream_id is required" in blank.text) == (422, True)
    assert (await _order(session, console.waiting.id)).status is OrderStatus.needs_review

    attached = await browser.post(path, data={"upstream_id": " 77 ", "csrf": token})
    assert (attached.status_code, attached.headers["location"]) == (303, "/ops/review")
    order = await _order(session, console.waiting.id)
    assert (order.status, order.upstream_id, order.review_reason) == (
        OrderStatus.in_progress,
        "77",
        None,
    )
    assert order.next_poll_at is not None
    queue = await browser.get("/ops/review")
    assert f"order-{console.waiting.id}" not in queue.text
    assert "No orders are waiting for review." in queue.text


async def test_fail_refunds_the_buyer_in_full(
    console: Console,
    browser: AsyncClient,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    agency_id = console.world.agency.id
    assert await _balance(sessionmaker, agency_id) == Decimal(50) - console.charge
    await _sign_in(browser)
    token = await _token(browser)
    path = f"/ops/review/{console.waiting.id}/fail"

    no_reason = await browser.post(path, data={"reason": " ", "csrf": token})
    assert (no_reason.status_code, "Give a reason" in no_reason.text) == (422, True)

    failed = await browser.post(path, data={"reason": "provider has no such order", "csrf": token})
    assert (failed.status_code, failed.headers["location"]) == (303, "/ops/review")
    order = await _order(session, console.waiting.id)
    assert order.status is OrderStatus.failed
    assert await _balance(sessionmaker, agency_id) == Decimal(50)

    # Decided already: a second decision is refused and changes nothing.
    again = await browser.post(path, data={"reason": "twice", "csrf": token})
    assert again.status_code == 409
    assert "not waiting for review" in again.text
    assert await _balance(sessionmaker, agency_id) == Decimal(50)


async def test_resubmit_sends_the_order_again(
    console: Console, browser: AsyncClient, session: AsyncSession, redis: Redis
) -> None:
    await _sign_in(browser)
    token = await _token(browser)
    attempts = console.waiting.submit_attempts
    resubmitted = await browser.post(
        f"/ops/review/{console.waiting.id}/resubmit", data={"csrf": token}
    )
    assert (resubmitted.status_code, resubmitted.headers["location"]) == (303, "/ops/review")
    order = await _order(session, console.waiting.id)
    assert (order.status, order.review_reason) == (OrderStatus.pending, None)
    assert await redis.exists(f"arq:job:submit:{order.id}:{attempts}") == 1

    missing = await browser.post("/ops/review/999999999/resubmit", data={"csrf": token})
    assert (missing.status_code, "does not exist" in missing.text) == (404, True)


async def test_a_decision_without_the_csrf_token_changes_nothing(
    console: Console,
    browser: AsyncClient,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    agency_id = console.world.agency.id
    before = await _balance(sessionmaker, agency_id)
    await _sign_in(browser)
    for action, data in (
        ("fail", {"reason": "gone"}),
        ("attach", {"upstream_id": "77", "csrf": "forged"}),
        ("resubmit", {}),
    ):
        refused = await browser.post(f"/ops/review/{console.waiting.id}/{action}", data=data)
        assert refused.status_code == 403, action
        assert "This form has expired" in refused.text
    order = await _order(session, console.waiting.id)
    assert (order.status, order.upstream_id) == (OrderStatus.needs_review, None)
    assert await _balance(sessionmaker, agency_id) == before
    sync = await browser.post(f"/ops/providers/{console.world.provider.id}/sync", data={})
    assert sync.status_code == 403


async def test_resellers_and_agencies_find_no_console(
    console: Console,
    browser: AsyncClient,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    agency_id = console.world.agency.id
    before = await _balance(sessionmaker, agency_id)
    anonymous = await browser.get("/ops/review")
    assert (anonymous.status_code, anonymous.headers["location"]) == (303, "/login")

    for email, host in ((RESELLER_EMAIL, OPS_HOST), (AGENCY_EMAIL, BRAND_HOST)):
        signed_in = await _sign_in(browser, email, host)
        assert signed_in.status_code == 303, email
        token = _csrf(await browser.get(f"http://{host}/orders"))
        for path in ("/ops/review", "/ops/providers"):
            answer = await browser.get(f"http://{host}{path}")
            assert answer.status_code == 404, (email, path)
            assert "Page not found." in answer.text
            assert REASON not in answer.text
        for path, data in (
            (f"/ops/review/{console.waiting.id}/fail", {"reason": "mine now", "csrf": token}),
            (f"/ops/providers/{console.world.provider.id}/sync", {"csrf": token}),
        ):
            answer = await browser.post(f"http://{host}{path}", data=data)
            assert answer.status_code == 404, (email, path)
    assert (await _order(session, console.waiting.id)).status is OrderStatus.needs_review
    assert await _balance(sessionmaker, agency_id) == before


async def test_an_operator_cannot_sign_in_on_a_reseller_s_host(
    console: Console, browser: AsyncClient
) -> None:
    refused = await _sign_in(browser, OPERATOR_EMAIL, BRAND_HOST)
    assert refused.status_code == 401
    assert "Wrong email or password." in refused.text
    answer = await browser.get(f"http://{BRAND_HOST}/ops/review")
    assert (answer.status_code, answer.headers["location"]) == (303, "/login")


async def test_the_providers_page_shows_balances_and_the_low_ones(
    console: Console, browser: AsyncClient, session: AsyncSession
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
    await _sign_in(browser)

    page = await browser.get("/ops/providers")
    assert page.status_code == 200
    low = _card(page, f"provider-{primary.id}")
    for shown in (
        "<h2>Primary</h2>",
        "127.0.0.1",
        "Enabled",
        "3.5 USD",
        "Low balance",
        "10 USD",  # the alert level
        "2025-05-06 07:08 UTC",
        '<td class="listed">4</td>',
        f'action="/ops/providers/{primary.id}/sync"',
    ):
        assert shown in low, shown
    assert "primary-key" not in page.text
    fine = _card(page, f"provider-{backup.id}")
    assert "250 USD" in fine
    assert "Disabled" in fine
    assert "Low balance" not in fine
    assert "not checked yet" not in fine
    indonesian = await browser.get("/ops/providers", headers={"Accept-Language": "id"})
    assert "Saldo menipis" in _card(indonesian, f"provider-{primary.id}")


async def test_sync_now_imports_the_sandbox_catalogue_and_shows_what_changed(
    console: Console, browser: AsyncClient, session: AsyncSession, sandbox: SandboxHandle
) -> None:
    provider = await catalogue.create_provider(
        session, name="Sandbox", api_url=sandbox.url, api_key="any"
    )
    provider.low_balance = Decimal(50)
    await session.flush()
    provider_id = provider.id
    sandbox.set_balance("12.5")
    await _sign_in(browser)
    page = await browser.get("/ops/providers")
    assert "not checked yet" in _card(page, f"provider-{provider_id}")

    synced = await browser.post(f"/ops/providers/{provider_id}/sync", data={"csrf": _csrf(page)})
    assert synced.status_code == 200, synced.text
    result = _card(synced, "sync-result")
    assert "Sandbox synced: 7 added, 0 changed, 0 removed." in result
    assert "12.5" in result
    card = _card(synced, f"provider-{provider_id}")
    assert '<td class="listed">7</td>' in card
    assert "12.5 USD" in card
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
    again = await browser.post(f"/ops/providers/{provider_id}/sync", data={"csrf": _csrf(page)})
    assert "Sandbox synced: 0 added, 1 changed, 1 removed." in _card(again, "sync-result")
    assert '<td class="listed">6</td>' in _card(again, f"provider-{provider_id}")


async def test_a_failed_sync_says_so_and_changes_nothing(
    console: Console, browser: AsyncClient, session: AsyncSession
) -> None:
    primary_id = console.world.provider.id  # its API is a closed port
    await _sign_in(browser)
    token = await _token(browser)
    failed = await browser.post(f"/ops/providers/{primary_id}/sync", data={"csrf": token})
    assert failed.status_code == 502
    assert "Sync of Primary failed; nothing was changed." in _card(failed, "sync-result")
    assert "not checked yet" in _card(failed, f"provider-{primary_id}")
    stored = await session.get_one(Provider, primary_id, populate_existing=True)
    assert stored.balance_checked_at is None
