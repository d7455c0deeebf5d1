"""The voucher pages over HTTP: a reseller issues a voucher for its agencies in its console
(in Indonesian, a percentage with a comma), switches it off; what the voucher book refuses
writes nothing; the operator issues the panel's from its own console, in the action log;
neither reaches the other's page or vouchers."""

from decimal import Decimal

from httpx import AsyncClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from panel.growth import voucher_book
from panel.models import OperatorAction, Voucher, VoucherKind
from tests.fixtures.factories import World
from tests.web.conftest import csrf_of
from tests.web.test_operator_pages import Console, console, operator_web, ops_web  # noqa: F401  # noqa: F401

D = Decimal


async def _vouchers(session: AsyncSession) -> list[Voucher]:
    return list(await session.scalars(select(Voucher).order_by(Voucher.id)))


async def test_a_reseller_issues_and_switches_off_a_voucher_for_its_agencies(
    world: World, reseller_web: AsyncClient, session: AsyncSession
) -> None:
    page = await reseller_web.get("/console/vouchers")
    assert page.status_code == 200
    assert "Belum ada voucher." in page.text
    assert f'<option value="{world.agency.id}">' in page.text  # its agency may be chosen
    csrf = csrf_of(page)
    form = {
        "code": "hemat12",
        "kind": "percent",
        "value": "12,5",
        "category": "Instagram",
        "max_uses": "100",
        "expires_on": "2099-12-31",
        "csrf": csrf,
    }
    issued = await reseller_web.post("/console/vouchers", data=form)
    assert (issued.status_code, issued.headers["location"]) == (303, "/console/vouchers?saved=1")
    [voucher] = await _vouchers(session)
    assert (voucher.issuer_id, voucher.code, voucher.kind, voucher.value) == (
        world.reseller.id,
        "HEMAT12",
        VoucherKind.percent,
        D("12.5"),
    )
    assert (voucher.category, voucher.max_uses) == ("Instagram", 100)
    assert voucher.expires_at is not None
    assert voucher.expires_at.date().isoformat() == "2099-12-31"
    listed = await reseller_web.get("/console/vouchers")
    assert "HEMAT12" in listed.text
    assert "12.5%" in listed.text

    # The same code again, a percentage over 100, a count that is not one: nothing written.
    for wrong in ({}, {"code": "X-200", "value": "200"}, {"code": "X-1", "max_uses": "lots"}):
        refused = await reseller_web.post("/console/vouchers", data={**form, **wrong})
        assert refused.status_code == 400, wrong
        assert 'role="alert"' in refused.text
    assert len(await _vouchers(session)) == 1

    off = await reseller_web.post(
        f"/console/vouchers/{voucher.id}/switch", data={"active": "0", "csrf": csrf}
    )
    assert off.status_code == 303
    await session.refresh(voucher)
    assert voucher.active is False
    # Another reseller's voucher cannot be switched from here, nor the operator's page seen.
    theirs = await voucher_book.issue(
        session,
        world.other_reseller,
        voucher_book.Terms(code="MURAH", kind=VoucherKind.fixed, value=D(1)),
        voucher.created_at,
    )
    stolen = await reseller_web.post(
        f"/console/vouchers/{theirs.id}/switch", data={"active": "0", "csrf": csrf}
    )
    assert stolen.status_code == 400
    await session.refresh(theirs)
    assert theirs.active is True
    assert (await reseller_web.get("/ops/vouchers")).status_code == 404


async def test_the_operator_issues_the_panels_voucher_in_the_action_log(
    console: Console,  # noqa: F811
    operator_web: AsyncClient,  # noqa: F811
    session: AsyncSession,
) -> None:
    page = await operator_web.get("/ops/vouchers")
    assert page.status_code == 200
    assert "Discount codes for resellers" in page.text
    assert f'<option value="{console.world.reseller.id}">' in page.text
    issued = await operator_web.post(
        "/ops/vouchers",
        data={"code": "PASOK5", "kind": "fixed", "value": "5", "csrf": csrf_of(page)},
    )
    assert issued.status_code == 303
    [voucher] = await _vouchers(session)
    assert (voucher.issuer_id, voucher.kind, voucher.value) == (None, VoucherKind.fixed, D(5))
    logged = await session.scalars(
        select(OperatorAction.action).where(OperatorAction.subject_type == "voucher")
    )
    assert list(logged) == ["voucher.issue"]
    assert (await operator_web.get("/console/vouchers")).status_code == 404
