"""Invitation links and top-up requests over HTTP: a reseller invites an agency, which joins on
the reseller's host only, once; an agency asks for a top-up, and its reseller's approval pays
it from the reseller's wallet exactly once."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from httpx import AsyncClient
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from panel.ledger import service as ledger
from panel.ledger import top_up_requests
from panel.models import Account, AccountKind, Invitation, Journal, TopUpRequest, TopUpStatus
from tests.conftest import Operator
from tests.fixtures.factories import World
from tests.web.conftest import PASSWORD, RESELLER_EMAIL, csrf_of, give_password, sign_in


async def _count(session: AsyncSession, model: type[Invitation] | type[TopUpRequest]) -> int:
    return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def _invite(web: AsyncClient) -> str:
    """The path of a new invitation link, as the reseller's page shows it."""
    console = await web.get("/")
    made = await web.post(
        "/console/invitations", data={"note": "Budi, Solo", "csrf": csrf_of(console)}
    )
    assert made.status_code == 200, made.text
    assert "Budi, Solo" in made.text
    link = made.text.split('id="invitation-link" value="', 1)[1].split('"', 1)[0]
    assert link.startswith("http://a.example/join/")
    assert "wa.me/?text=" in made.text  # ready to share on WhatsApp
    return link.removeprefix("http://a.example")


async def test_an_invited_agency_joins_its_reseller_once(
    world: World, reseller_web: AsyncClient, session: AsyncSession
) -> None:
    web = reseller_web
    path = await _invite(web)
    await web.post("/logout", data={"csrf": csrf_of(await web.get("/"))})

    # Another brand's host does not know the link.
    assert (await web.get(f"http://b.example{path}")).status_code == 404
    form = await web.get(path)
    assert form.status_code == 200
    assert "Toko Sosmed" in form.text
    accounts_before = await session.scalar(select(func.count()).select_from(Account))
    joined = await web.post(
        path,
        data={
            "name": "Budi Digital",
            "email": "Budi@Example.com",
            "password": "budi's password",
            "csrf": csrf_of(form),
        },
    )
    assert (joined.status_code, joined.headers["location"]) == (303, "/")
    budi = await session.scalar(select(Account).where(Account.email == "budi@example.com"))
    assert budi is not None
    assert (budi.kind, budi.parent_id, budi.name) == (
        AccountKind.agency,
        world.reseller.id,
        "Budi Digital",
    )
    dashboard = await web.get("/")
    assert dashboard.status_code == 200
    assert 'id="balance">US$0,00' in dashboard.text
    # Used once: the same link opens nothing now, and cannot make a second account.
    again = await web.get(path)
    assert again.status_code == 404
    assert await session.scalar(select(func.count()).select_from(Account)) == accounts_before + 1


async def test_a_join_with_a_short_password_or_a_taken_email_changes_nothing(
    world: World, reseller_web: AsyncClient, session: AsyncSession
) -> None:
    path = await _invite(reseller_web)
    form = await reseller_web.get(path)
    accounts_before = await session.scalar(select(func.count()).select_from(Account))
    for email, password in (("new@example.com", "short"), ("a1@example.com", PASSWORD)):
        refused = await reseller_web.post(
            path,
            data={"name": "X", "email": email, "password": password, "csrf": csrf_of(form)},
        )
        assert refused.status_code == 422
        assert 'role="alert"' in refused.text
    assert await session.scalar(select(func.count()).select_from(Account)) == accounts_before
    # Still unused: the invited agency can try again.
    assert (await reseller_web.get(path)).status_code == 200


async def test_expired_links_and_forged_forms_open_nothing(
    world: World, reseller_web: AsyncClient, session: AsyncSession
) -> None:
    refused = await reseller_web.post("/console/invitations", data={"note": "x"})
    assert refused.status_code == 403
    assert await _count(session, Invitation) == 0
    path = await _invite(reseller_web)
    await session.execute(
        update(Invitation).values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
    )
    assert (await reseller_web.get(path)).status_code == 404
    assert (await reseller_web.get("/join/not-a-token")).status_code == 404


async def test_only_a_reseller_invites(
    world: World, web: AsyncClient, session: AsyncSession
) -> None:
    await sign_in(web)
    refused = await web.post(
        "/console/invitations", data={"note": "x", "csrf": csrf_of(await web.get("/"))}
    )
    assert refused.status_code == 404
    assert await _count(session, Invitation) == 0


async def test_the_operator_gives_a_reseller_a_link_to_choose_its_password(
    world: World,
    web: AsyncClient,
    client: AsyncClient,
    operator: Operator,
    session: AsyncSession,
) -> None:
    world.reseller.email = RESELLER_EMAIL
    await session.flush()
    made = await client.post(
        f"/admin/v1/accounts/{world.reseller.id}/sign-in-link", headers=operator.headers
    )
    assert made.status_code == 201, made.text
    path = made.json()["path"]
    # Where the reseller does not sign in, the link is nothing.
    assert (await web.get(f"http://b.example{path}")).status_code == 404
    form = await web.get(path)
    assert form.status_code == 200
    assert 'name="email"' not in form.text
    chosen = await web.post(path, data={"password": "a new password", "csrf": csrf_of(form)})
    assert chosen.status_code == 303
    await web.post("/logout", data={"csrf": csrf_of(await web.get("/"))})
    assert (await sign_in(web, RESELLER_EMAIL, password="a new password")).status_code == 303


async def _ask(web: AsyncClient, amount: str, reference: str = "BCA 0923") -> int:
    funds = await web.get("/funds")
    asked = await web.post(
        "/funds/requests",
        data={"amount": amount, "reference": reference, "csrf": csrf_of(funds)},
    )
    return asked.status_code


async def test_an_approved_top_up_pays_the_agency_once(
    world: World, web: AsyncClient, session: AsyncSession
) -> None:
    await sign_in(web)
    funds = await web.get("/funds")
    assert "Transfer to Toko Sosmed&#39;s bank account" in funds.text
    assert await _ask(web, "12,5") == 303  # twelve and a half, as Indonesian writes it
    request = (await session.scalars(select(TopUpRequest))).one()
    assert (request.amount, request.status, request.reference) == (
        Decimal("12.5"),
        TopUpStatus.pending,
        "BCA 0923",
    )
    assert "BCA 0923" in (await web.get("/funds")).text

    await web.post("/logout", data={"csrf": csrf_of(await web.get("/"))})
    await give_password(session, world.reseller, RESELLER_EMAIL)
    await sign_in(web, RESELLER_EMAIL)
    console = await web.get("/console/top-ups")
    assert "Agency" in console.text
    assert "US$12,50" in console.text
    before = await ledger.balances(session, [world.reseller.id, world.agency.id])
    approved = await web.post(
        f"/console/top-ups/{request.id}/approve", data={"csrf": csrf_of(console)}
    )
    assert approved.status_code == 303
    after = await ledger.balances(session, [world.reseller.id, world.agency.id])
    assert after[world.reseller.id] == before[world.reseller.id] - Decimal("12.5")
    assert after[world.agency.id] == before[world.agency.id] + Decimal("12.5")
    await session.refresh(request)
    assert request.status is TopUpStatus.approved
    assert request.journal_id is not None
    assert await session.get(Journal, request.journal_id) is not None

    # A second approval (a double tap) pays nothing more.
    twice = await web.post(
        f"/console/top-ups/{request.id}/approve", data={"csrf": csrf_of(console)}
    )
    assert twice.status_code == 409
    assert await ledger.balances(session, [world.reseller.id, world.agency.id]) == after


async def test_a_rejected_or_unaffordable_top_up_moves_no_money(
    world: World, web: AsyncClient, session: AsyncSession
) -> None:
    small = await top_up_requests.ask(session, world.agency, Decimal(1), "")
    huge = await top_up_requests.ask(session, world.agency, Decimal(10_000), "")
    await give_password(session, world.reseller, RESELLER_EMAIL)
    await sign_in(web, RESELLER_EMAIL)
    token = csrf_of(await web.get("/console/top-ups"))
    before = await ledger.balances(session, [world.reseller.id, world.agency.id])

    unaffordable = await web.post(f"/console/top-ups/{huge.id}/approve", data={"csrf": token})
    assert unaffordable.status_code == 402
    rejected = await web.post(f"/console/top-ups/{small.id}/reject", data={"csrf": token})
    assert rejected.status_code == 303
    forged = await web.post(f"/console/top-ups/{huge.id}/reject", data={})
    assert forged.status_code == 403

    assert await ledger.balances(session, [world.reseller.id, world.agency.id]) == before
    await session.refresh(small)
    await session.refresh(huge)
    assert (small.status, huge.status) == (TopUpStatus.rejected, TopUpStatus.pending)


async def test_top_up_requests_belong_to_their_reseller_and_agency(
    world: World, web: AsyncClient, session: AsyncSession
) -> None:
    request = await top_up_requests.ask(session, world.agency, Decimal(1), "")
    await give_password(session, world.other_reseller, "other@example.com")
    await sign_in(web, "other@example.com", host="b.example")
    token = csrf_of(await web.get("http://b.example/console/top-ups"))
    theirs = await web.get("http://b.example/console/top-ups")
    assert "Agency" not in theirs.text
    stolen = await web.post(
        f"http://b.example/console/top-ups/{request.id}/approve", data={"csrf": token}
    )
    assert stolen.status_code == 404
    for bad in (f"/console/top-ups/{request.id}/pay", f"/console/top-ups/{2**63}/approve"):
        assert (await web.post(f"http://b.example{bad}", data={"csrf": token})).status_code == 404
    await session.refresh(request)
    assert request.status is TopUpStatus.pending
    # A reseller has no funds page, an agency no top-up console.
    assert (await web.get("http://b.example/funds")).status_code == 404
    await sign_in(web)
    assert (await web.get("/console/top-ups")).status_code == 404


async def test_bad_amounts_and_too_many_waiting_requests_are_refused(
    world: World, web: AsyncClient, session: AsyncSession
) -> None:
    await sign_in(web)
    # A top-up is what was transferred: in dollars, to the cent.
    for amount in ("", "abc", "0", "-5", "1,1234567", "1,125", "12.5", "NaN", "Infinity"):
        assert await _ask(web, amount) == 422, amount
    assert await _count(session, TopUpRequest) == 0
    for _ in range(top_up_requests.MAX_PENDING):
        assert await _ask(web, "1") == 303
    assert await _ask(web, "1") == 422
    assert await _count(session, TopUpRequest) == top_up_requests.MAX_PENDING
