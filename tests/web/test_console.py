"""The reseller console's agencies over HTTP: balances, funding from the reseller's wallet,
suspension; and who may open the console at all."""

from collections.abc import AsyncIterator, Awaitable, Callable
from decimal import Decimal

import pytest
from httpx import AsyncClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from panel.config import Settings
from panel.keys import service as keys
from panel.models import Account, AccountStatus, ApiKeyKind, Journal, JournalKind
from tests.conftest import AppFor
from tests.web.console_world import (
    HOST,
    OTHER_HOST,
    Console,
    browsers,
    build_console,
    ledger_size,
    row,
    shown,
    sign_in,
    token,
    wallets,
)

D = Decimal
Browser = Callable[[], Awaitable[AsyncClient]]
PAGES = (
    "/console/agencies",
    "/console/orders",
    "/console/margin",
    "/console/markup",
    "/console/brand",
)


@pytest.fixture
async def console(session: AsyncSession) -> Console:
    return await build_console(session)


@pytest.fixture
async def browser(
    app_for: AppFor, sessionmaker: async_sessionmaker[AsyncSession], settings: Settings
) -> AsyncIterator[Browser]:
    async with browsers(app_for(sessionmaker), settings) as make:
        yield make


async def _reseller(browser: Browser) -> AsyncClient:
    client = await browser()
    signed_in = await sign_in(client, "r1@example.com")
    assert (signed_in.status_code, signed_in.headers["location"]) == (303, "/")
    return client


async def _status(session: AsyncSession, account: Account) -> AccountStatus:
    found = await session.scalar(select(Account.status).where(Account.id == account.id))
    assert found is not None
    return found


async def test_the_agencies_page_lists_this_reseller_s_agencies_with_their_balances(
    console: Console, browser: Browser, session: AsyncSession
) -> None:
    client = await _reseller(browser)
    page = await client.get("/console/agencies")
    assert page.status_code == 200
    assert 'action="/console/invitations"' in page.text
    assert 'name="note"' in page.text
    assert "Foreign Agency" not in page.text
    assert f'id="agency-{console.other_agency.id}"' not in page.text
    mine = row(page, f"agency-{console.agency.id}")
    assert "a1@example.com" in mine
    assert shown(mine, "balance") == "50 USD"
    assert f"/console/agencies/{console.agency.id}/fund" in mine
    assert 'value="suspended"' in mine
    assert ">100 USD<" in page.text  # the reseller's own wallet, what it can send


async def test_funding_moves_the_exact_amount_and_over_funding_changes_nothing(
    console: Console, browser: Browser, session: AsyncSession
) -> None:
    client = await _reseller(browser)
    csrf = await token(client)
    fund = f"/console/agencies/{console.agency.id}/fund"

    sent = await client.post(fund, data={"amount": "12.345678", "csrf": csrf})
    assert (sent.status_code, sent.headers["location"]) == (303, "/console/agencies?done=funded")
    assert await wallets(session, console.reseller, console.agency) == [
        D(100) - D("12.345678"),
        D(50) + D("12.345678"),
    ]
    journal = await session.scalar(
        select(Journal)
        .where(Journal.kind == JournalKind.agency_funding)
        .order_by(Journal.id.desc())
    )
    assert journal is not None
    assert journal.actor_id == console.reseller.id
    page = await client.get(sent.headers["location"])
    assert "Saldo terkirim ke dompet agen" in page.text

    before = (await wallets(session, console.reseller, console.agency), await ledger_size(session))
    for amount, status, says in (
        ("87.654323", 422, "tidak cukup"),  # one millionth more than the reseller holds
        ("0", 422, "di atas nol"),
        ("-5", 422, "di atas nol"),
        ("1.1234567", 422, "6 angka desimal"),
        ("lots", 422, "di atas nol"),
    ):
        refused = await client.post(fund, data={"amount": amount, "csrf": csrf})
        assert (refused.status_code, says in refused.text) == (status, True), amount
    # Another reseller's agency does not exist for this one.
    foreign = await client.post(
        f"/console/agencies/{console.other_agency.id}/fund", data={"amount": "1", "csrf": csrf}
    )
    assert foreign.status_code == 404
    after = (await wallets(session, console.reseller, console.agency), await ledger_size(session))
    assert after == before
    assert await wallets(session, console.other_agency) == [D(20)]

    everything = await client.post(fund, data={"amount": "87.654322", "csrf": csrf})
    assert everything.status_code == 303
    assert await wallets(session, console.reseller) == [D(0)]


async def test_suspending_stops_the_agency_s_sign_in_and_keys_and_reactivating_restores_them(
    console: Console, browser: Browser, session: AsyncSession
) -> None:
    issued = await keys.issue(session, console.agency, "script")
    agency = await browser()
    assert (await sign_in(agency, "a1@example.com")).status_code == 303
    assert (await agency.get("/")).status_code == 200
    client = await _reseller(browser)
    csrf = await token(client)
    status = f"/console/agencies/{console.agency.id}/status"

    suspended = await client.post(status, data={"status": "suspended", "csrf": csrf})
    assert (suspended.status_code, suspended.headers["location"]) == (
        303,
        "/console/agencies?done=suspended",
    )
    assert await _status(session, console.agency) is AccountStatus.suspended
    assert (await agency.get("/")).headers["location"] == "/login"
    assert (await sign_in(agency, "a1@example.com")).status_code == 401
    assert await keys.authenticate(session, issued.plaintext, ApiKeyKind.api) is None
    shown_row = row(await client.get("/console/agencies"), f"agency-{console.agency.id}")
    assert 'value="active"' in shown_row

    reactivated = await client.post(status, data={"status": "active", "csrf": csrf})
    assert reactivated.status_code == 303
    assert await _status(session, console.agency) is AccountStatus.active
    assert (await sign_in(agency, "a1@example.com")).status_code == 303
    assert (await agency.get("/")).status_code == 200
    assert await keys.authenticate(session, issued.plaintext, ApiKeyKind.api) is not None

    for refused_status, agency_id, value in (
        (422, console.agency.id, "closed"),
        (404, console.other_agency.id, "suspended"),
        (404, console.reseller.id, "suspended"),
    ):
        refused = await client.post(
            f"/console/agencies/{agency_id}/status", data={"status": value, "csrf": csrf}
        )
        assert refused.status_code == refused_status
    assert await _status(session, console.other_agency) is AccountStatus.active
    assert await _status(session, console.reseller) is AccountStatus.active


async def test_an_agency_and_another_reseller_get_nothing_of_this_console(
    console: Console, browser: Browser, session: AsyncSession
) -> None:
    agency = await browser()
    await sign_in(agency, "a1@example.com")
    csrf = await token(agency, "/")
    for path in PAGES:
        answer = await agency.get(path)
        assert (answer.status_code, "tidak ditemukan" in answer.text) == (404, True), path
    before = (await wallets(session, console.reseller, console.agency), await ledger_size(session))
    for path, data in (
        (f"/console/agencies/{console.agency.id}/fund", {"amount": "1"}),
        (f"/console/agencies/{console.agency.id}/status", {"status": "suspended"}),
        ("/console/markup", {"markup_percent": "90"}),
        ("/console/brand", {"name": "Mine now", "hosts": HOST}),
    ):
        assert (await agency.post(path, data={**data, "csrf": csrf})).status_code == 404, path

    # The other reseller has a console of its own, where this reseller's agency is unknown.
    other = await browser()
    assert (await sign_in(other, "r2@example.com", OTHER_HOST)).status_code == 303
    csrf = await token(other, f"http://{OTHER_HOST}/console/agencies")
    own = await other.get(f"http://{OTHER_HOST}/console/agencies")
    assert "Foreign Agency" in own.text
    assert f'id="agency-{console.agency.id}"' not in own.text
    for path, data in (
        (f"/console/agencies/{console.agency.id}/fund", {"amount": "1"}),
        (f"/console/agencies/{console.agency.id}/status", {"status": "suspended"}),
    ):
        answer = await other.post(f"http://{OTHER_HOST}{path}", data={**data, "csrf": csrf})
        assert answer.status_code == 404, path
    # Nor can it open this reseller's host with its session.
    assert (await other.get("/console/agencies")).headers["location"] == "/login"
    after = (await wallets(session, console.reseller, console.agency), await ledger_size(session))
    assert after == before
    assert await _status(session, console.agency) is AccountStatus.active

    stranger = await browser()
    assert (await stranger.get("/console/agencies")).headers["location"] == "/login"


async def test_a_console_form_without_its_csrf_token_is_refused(
    console: Console, browser: Browser, session: AsyncSession
) -> None:
    client = await _reseller(browser)
    before = (await wallets(session, console.reseller, console.agency), await ledger_size(session))
    for path, data in (
        (f"/console/agencies/{console.agency.id}/fund", {"amount": "1"}),
        (f"/console/agencies/{console.agency.id}/status", {"status": "suspended"}),
        ("/console/markup", {"markup_percent": "90"}),
        ("/console/brand", {"name": "Forged", "hosts": HOST}),
    ):
        for forged in ({}, {"csrf": "forged"}):
            answer = await client.post(path, data={**data, **forged})
            assert answer.status_code == 403, path
    after = (await wallets(session, console.reseller, console.agency), await ledger_size(session))
    assert after == before
    assert await _status(session, console.agency) is AccountStatus.active
    markup = await client.get("/console/markup")
    assert 'id="percent">20%' in markup.text
    brand = await client.get("/console/brand")
    assert "<strong>Toko Sosmed</strong>" in brand.text
