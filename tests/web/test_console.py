"""The reseller console's agencies over HTTP: balances, funding from the reseller's wallet,
suspension; and who may open the console at all."""

from decimal import Decimal

from httpx import AsyncClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from panel.keys import service as keys
from panel.models import Account, AccountStatus, ApiKeyKind, Entry, Journal, JournalKind
from tests.fixtures.factories import World
from tests.web.conftest import (
    HOST,
    OTHER_HOST,
    Visitor,
    give_password,
    row,
    shown,
    sign_in,
    token,
    wallets,
)

D = Decimal
PAGES = (
    "/console/agencies",
    "/console/orders",
    "/console/margin",
    "/console/markup",
    "/console/brand",
)
OTHER_RESELLER_EMAIL = "r2@example.com"


def _forms(world: World) -> tuple[tuple[str, dict[str, str]], ...]:
    """Each console form with what it would change, were it let through."""
    return (
        (f"/console/agencies/{world.agency.id}/fund", {"amount": "1"}),
        (f"/console/agencies/{world.agency.id}/status", {"status": "suspended"}),
        ("/console/markup", {"markup_percent": "90"}),
        ("/console/brand", {"name": "Forged", "hosts": HOST}),
    )


async def _money(session: AsyncSession, world: World) -> tuple[list[Decimal], tuple[int, int]]:
    """The reseller's and its agency's wallets and the size of the ledger: what a refused form
    must leave as it was."""
    journals = await session.scalar(select(func.count()).select_from(Journal))
    entries = await session.scalar(select(func.count()).select_from(Entry))
    return await wallets(session, world.reseller, world.agency), (journals or 0, entries or 0)


async def _status(session: AsyncSession, account: Account) -> AccountStatus:
    found = await session.scalar(select(Account.status).where(Account.id == account.id))
    assert found is not None
    return found


async def test_the_agencies_page_lists_this_reseller_s_agencies_with_their_balances(
    world: World, other_agency: Account, reseller_web: AsyncClient
) -> None:
    page = await reseller_web.get("/console/agencies")
    assert page.status_code == 200
    assert 'action="/console/invitations"' in page.text
    assert 'name="note"' in page.text
    assert "Foreign Agency" not in page.text
    assert f'id="agency-{other_agency.id}"' not in page.text
    mine = row(page, f"agency-{world.agency.id}")
    assert "a1@example.com" in mine
    assert shown(mine, "balance") == "US$50,00"  # dollars, on a page in Indonesian
    assert f"/console/agencies/{world.agency.id}/fund" in mine
    assert 'value="suspended"' in mine
    assert ">US$100,00<" in page.text  # the reseller's own wallet, what it can send


async def test_funding_moves_the_exact_amount_and_over_funding_changes_nothing(
    world: World, other_agency: Account, reseller_web: AsyncClient, session: AsyncSession
) -> None:
    client = reseller_web
    csrf = await token(client, "/console/agencies")
    fund = f"/console/agencies/{world.agency.id}/fund"

    # Any amount the ledger holds, to the millionth, written as Indonesian writes it.
    sent = await client.post(fund, data={"amount": "12,345678", "csrf": csrf})
    assert (sent.status_code, sent.headers["location"]) == (303, "/console/agencies?done=funded")
    assert await wallets(session, world.reseller, world.agency) == [
        D(100) - D("12.345678"),
        D(50) + D("12.345678"),
    ]
    journal = await session.scalar(
        select(Journal)
        .where(Journal.kind == JournalKind.agency_funding)
        .order_by(Journal.id.desc())
    )
    assert journal is not None
    assert journal.actor_id == world.reseller.id
    page = await client.get(sent.headers["location"])
    assert "Saldo terkirim ke dompet agen" in page.text

    before = await _money(session, world)
    for amount, status, says in (
        ("87,654323", 422, "tidak cukup"),  # one millionth more than the reseller holds
        ("0", 422, "di atas nol"),
        ("-5", 422, "di atas nol"),
        ("1,1234567", 422, "6 angka desimal"),
        ("lots", 422, "angka 0–9"),
        ("12.5", 422, "dua cara"),  # a decimal point is English's, not read as twelve and a half
        ("1,000", 422, "dua cara"),  # one, or one thousand?
    ):
        refused = await client.post(fund, data={"amount": amount, "csrf": csrf})
        assert (refused.status_code, says in refused.text) == (status, True), amount
    # Another reseller's agency does not exist for this one.
    foreign = await client.post(
        f"/console/agencies/{other_agency.id}/fund", data={"amount": "1", "csrf": csrf}
    )
    assert foreign.status_code == 404
    assert await _money(session, world) == before
    assert await wallets(session, other_agency) == [D(20)]

    everything = await client.post(fund, data={"amount": "87,654322", "csrf": csrf})
    assert everything.status_code == 303
    assert await wallets(session, world.reseller) == [D(0)]


async def test_suspending_stops_the_agency_s_sign_in_and_keys_and_reactivating_restores_them(
    world: World,
    other_agency: Account,
    reseller_web: AsyncClient,
    visitor: Visitor,
    session: AsyncSession,
) -> None:
    issued = await keys.issue(session, world.agency, "script")
    agency = await visitor()
    assert (await sign_in(agency)).status_code == 303
    assert (await agency.get("/")).status_code == 200
    client = reseller_web
    csrf = await token(client, "/console/agencies")
    status = f"/console/agencies/{world.agency.id}/status"

    suspended = await client.post(status, data={"status": "suspended", "csrf": csrf})
    assert (suspended.status_code, suspended.headers["location"]) == (
        303,
        "/console/agencies?done=suspended",
    )
    assert await _status(session, world.agency) is AccountStatus.suspended
    assert (await agency.get("/")).headers["location"] == "/login"
    assert (await sign_in(agency)).status_code == 401
    assert await keys.authenticate(session, issued.plaintext, ApiKeyKind.api) is None
    shown_row = row(await client.get("/console/agencies"), f"agency-{world.agency.id}")
    assert 'value="active"' in shown_row

    reactivated = await client.post(status, data={"status": "active", "csrf": csrf})
    assert reactivated.status_code == 303
    assert await _status(session, world.agency) is AccountStatus.active
    assert (await sign_in(agency)).status_code == 303
    assert (await agency.get("/")).status_code == 200
    assert await keys.authenticate(session, issued.plaintext, ApiKeyKind.api) is not None

    for refused_status, agency_id, value in (
        (422, world.agency.id, "closed"),
        (404, other_agency.id, "suspended"),
        (404, world.reseller.id, "suspended"),
    ):
        refused = await client.post(
            f"/console/agencies/{agency_id}/status", data={"status": value, "csrf": csrf}
        )
        assert refused.status_code == refused_status
    assert await _status(session, other_agency) is AccountStatus.active
    assert await _status(session, world.reseller) is AccountStatus.active


async def test_an_agency_and_another_reseller_get_nothing_of_this_console(
    world: World,
    other_agency: Account,
    web: AsyncClient,
    visitor: Visitor,
    session: AsyncSession,
) -> None:
    agency = web
    await sign_in(agency)
    csrf = await token(agency, "/")
    for path in PAGES:
        answer = await agency.get(path)
        assert (answer.status_code, "tidak ditemukan" in answer.text) == (404, True), path
    before = await _money(session, world)
    for path, data in _forms(world):
        assert (await agency.post(path, data={**data, "csrf": csrf})).status_code == 404, path

    # The other reseller has a console of its own, where this reseller's agency is unknown.
    await give_password(session, world.other_reseller, OTHER_RESELLER_EMAIL)
    other = await visitor()
    assert (await sign_in(other, OTHER_RESELLER_EMAIL, OTHER_HOST)).status_code == 303
    csrf = await token(other, f"http://{OTHER_HOST}/console/agencies")
    own = await other.get(f"http://{OTHER_HOST}/console/agencies")
    assert "Foreign Agency" in own.text
    assert f'id="agency-{world.agency.id}"' not in own.text
    for path, data in _forms(world)[:2]:  # the forms that name this reseller's agency
        answer = await other.post(f"http://{OTHER_HOST}{path}", data={**data, "csrf": csrf})
        assert answer.status_code == 404, path
    # Nor can it open this reseller's host with its session.
    assert (await other.get("/console/agencies")).headers["location"] == "/login"
    assert await _money(session, world) == before
    assert await _status(session, world.agency) is AccountStatus.active

    stranger = await visitor()
    assert (await stranger.get("/console/agencies")).headers["location"] == "/login"


async def test_a_console_form_without_its_csrf_token_is_refused(
    world: World, reseller_web: AsyncClient, session: AsyncSession
) -> None:
    before = await _money(session, world)
    for path, data in _forms(world):
        for forged in ({}, {"csrf": "forged"}):
            answer = await reseller_web.post(path, data={**data, **forged})
            assert answer.status_code == 403, path
    assert await _money(session, world) == before
    assert await _status(session, world.agency) is AccountStatus.active
    markup = await reseller_web.get("/console/markup")
    assert 'id="percent">20%' in markup.text
    brand = await reseller_web.get("/console/brand")
    assert "<strong>Toko Sosmed</strong>" in brand.text
