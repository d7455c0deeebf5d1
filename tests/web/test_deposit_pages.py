"""Deposits in the web panel over HTTP, in a rupiah panel: "Tambah saldo" for agencies and
resellers (a transfer by hand with its unique code, QRIS through the sandbox Tripay drawn as an
inline SVG), every refusal of the form shown in Indonesian with nothing written, the history
and receipts, the reseller console (its agencies' deposits, confirming and rejecting transfers,
the alert when its wallet is short, setting up its own methods) and the operator's pages."""

import re
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from decimal import Decimal

import httpx
import pytest
from httpx import ASGITransport, AsyncClient
from pydantic import SecretStr
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from panel.accounts import service as accounts
from panel.config import PaymentSettings, Settings, WebSettings
from panel.ledger import service as ledger
from panel.ledger.audit import audit
from panel.models import (
    Account,
    AccountKind,
    Deposit,
    DepositStatus,
    FeePayer,
    GatewayKind,
    MethodKind,
    PaymentGateway,
    PaymentMethod,
    PaymentReview,
    ReviewReason,
)
from panel.payments import crediting, methods
from panel.payments.tripay import TripayAdapter
from tests.conftest import AppFor
from tests.fixtures.factories import World
from tests.fixtures.gateway import GatewayHandle
from tests.web.conftest import (
    LOGIN_ATTEMPTS,
    RESELLER_EMAIL,
    Visitor,
    csrf_of,
    give_password,
    sign_in,
    token,
    wallets,
)

OPS_HOST = "ops.example"
OPERATOR_EMAIL = "ops@example.com"
MERCHANT = ("T0001", "api-key-1", "private-key-1")
INSTRUCTIONS = "BCA\n123 456 7890\na.n. Toko Sosmed"


@pytest.fixture
async def visitor(
    app_for: AppFor,
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    gateway: GatewayHandle,
) -> AsyncIterator[Visitor]:
    """The web fixtures' visitors, on a panel that counts rupiah, its Tripay sandbox the test
    gateway and its production address a port nobody answers on."""
    app = app_for(sessionmaker)
    web = WebSettings(secret=SecretStr("test-secret-" + "x" * 32), login_attempts=LOGIN_ATTEMPTS)
    payments = PaymentSettings(
        tripay_sandbox_url=gateway.base_url, tripay_production_url="http://127.0.0.1:9/tripay"
    )
    app.state.runtime.settings = settings.model_copy(
        update={"web": web, "currency": "IDR", "payments": payments}
    )
    async with AsyncExitStack() as stack:

        async def visit(host: str = "a.example", *, english: bool = False) -> AsyncClient:
            client = AsyncClient(
                transport=ASGITransport(app=app),
                base_url=f"http://{host}",
                headers={"Accept-Language": "en"} if english else {},
            )
            return await stack.enter_async_context(client)

        yield visit


@pytest.fixture
async def agency_web(world: World, visitor: Visitor) -> AsyncClient:
    """The first reseller's agency, signed in on its reseller's host."""
    web = await visitor()
    assert (await sign_in(web)).status_code == 303
    return web


async def _transfer_method(
    session: AsyncSession, owner_id: int | None, minimum: int = 10_000
) -> PaymentMethod:
    gateway = await methods.add_gateway(
        session,
        None,
        owner_id,
        GatewayKind.manual,
        "BCA",
        methods.GatewayKeys(private_key="statement-secret"),
        "IDR",
    )
    terms = methods.MethodTerms(
        code="TRANSFER",
        name="BCA",
        kind=MethodKind.transfer,
        min_amount=Decimal(minimum),
        max_amount=Decimal(5_000_000),
        fee_paid_by=FeePayer.receiver,
        instructions=INSTRUCTIONS,
    )
    return await methods.put_method(session, None, gateway, terms)


async def _tripay_methods(
    session: AsyncSession, gateway: GatewayHandle, http: httpx.AsyncClient, owner_id: int | None
) -> dict[str, PaymentMethod]:
    gateway.register_merchant(*MERCHANT)
    made = await methods.add_gateway(
        session, None, owner_id, GatewayKind.tripay, "Tripay", methods.GatewayKeys(*MERCHANT), "IDR"
    )
    adapter = TripayAdapter(http, gateway.base_url, *MERCHANT)
    imported = await methods.import_channels(session, None, made, adapter, FeePayer.buyer)
    return {method.code: method for method in imported}


async def _deposits(session: AsyncSession) -> list[Deposit]:
    found = await session.scalars(
        select(Deposit).order_by(Deposit.id).execution_options(populate_existing=True)
    )
    return list(found)


async def _count(session: AsyncSession, model: type[PaymentGateway] | type[PaymentMethod]) -> int:
    return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def _open(web: AsyncClient, method_id: int, amount: str) -> httpx.Response:
    csrf = await token(web, "/deposits/new")
    return await web.post(
        "/deposits/new", data={"method_id": str(method_id), "amount": amount, "csrf": csrf}
    )


def _error(page: httpx.Response) -> str:
    found = re.search(r'id="deposit-error">([^<]*)<', page.text)
    assert found, page.text
    return found.group(1)


# --- Tambah saldo ------------------------------------------------------------------------------


async def test_an_agency_pays_by_transfer_the_exact_total_with_its_unique_code(
    world: World, agency_web: AsyncClient, session: AsyncSession
) -> None:
    method = await _transfer_method(session, world.reseller.id)
    form = await agency_web.get("/deposits/new")
    assert form.status_code == 200
    assert f'id="method-{method.id}"' in form.text
    assert "gratis biaya" in form.text
    assert "min. Rp 10.000 · maks. Rp 5.000.000" in form.text

    opened = await _open(agency_web, method.id, "50.000")
    assert opened.status_code == 303, opened.text
    [deposit] = await _deposits(session)
    assert opened.headers["location"] == f"/deposits/{deposit.id}"
    assert (deposit.account_id, deposit.receiver_id) == (world.agency.id, world.reseller.id)
    assert deposit.unique_code is not None
    assert 1 <= deposit.unique_code <= 999
    assert deposit.total == deposit.amount == 50_000 + deposit.unique_code

    shown = await agency_web.get(opened.headers["location"])
    assert shown.status_code == 200
    digits = f"{deposit.total:.0f}"
    grouped = f"Rp {digits[:-3]}.<mark>{digits[-3:]}</mark>"
    assert grouped in shown.text
    assert f'data-value="{digits}"' in shown.text
    assert "123 456 7890" in shown.text
    assert "Menunggu pembayaran" in shown.text
    assert f'data-poll="/deposits/{deposit.id}/status"' in shown.text
    assert '<meta http-equiv="refresh"' in shown.text  # inside <noscript>, for no script
    csp = shown.headers["content-security-policy"]
    nonce = re.search(r"'nonce-([^']+)'", csp)
    assert nonce
    assert f'<script nonce="{nonce.group(1)}">' in shown.text
    assert "onclick" not in shown.text

    status = await agency_web.get(f"/deposits/{deposit.id}/status")
    assert status.json() == {"status": "pending"}

    history = await agency_web.get("/deposits")
    assert f'id="deposit-{deposit.id}"' in history.text
    receipt = await agency_web.get(f"/deposits/{deposit.id}/receipt")
    assert receipt.status_code == 200
    assert "Toko Sosmed" in receipt.text
    assert deposit.merchant_ref in receipt.text


async def test_qris_through_tripay_shows_its_fee_and_a_qr_code_drawn_inline(
    world: World,
    agency_web: AsyncClient,
    session: AsyncSession,
    gateway: GatewayHandle,
    http: httpx.AsyncClient,
) -> None:
    offered = await _tripay_methods(session, gateway, http, world.reseller.id)
    qris = offered["QRIS"]
    form = await agency_web.get("/deposits/new")
    # QRIS first; its fee is the gateway's, paid by the buyer as the reseller chose.
    assert form.text.index(f'id="method-{qris.id}"') < form.text.index(
        f'id="method-{offered["BRIVA"].id}"'
    )
    assert "biaya Rp 750 + 0,7% ditanggung pembeli" in form.text
    assert "biaya Rp 4.250 ditanggung pembeli" in form.text

    opened = await _open(agency_web, qris.id, "50000")
    assert opened.status_code == 303, opened.text
    [deposit] = await _deposits(session)
    assert deposit.qr_string
    assert deposit.gateway_reference
    assert deposit.total == 50_000 + 750 + 350
    shown = await agency_web.get(opened.headers["location"])
    assert re.search(r'<div class="qr-box" id="qr"><svg viewBox="[^"]+" class="qr">', shown.text)
    assert "<img" not in shown.text.split('id="qr"', 1)[1].split("</div>", 1)[0]
    assert "Rp 51.100" in shown.text

    # Back from the gateway's pages with its reference: the deposit's own page.
    back = await agency_web.get(f"/deposits?ref={deposit.merchant_ref}")
    assert (back.status_code, back.headers["location"]) == (303, f"/deposits/{deposit.id}")
    unknown = await agency_web.get("/deposits?ref=PSKNOPE")
    assert unknown.status_code == 200


async def test_a_reseller_pays_into_the_panel_and_the_operator_confirms(
    world: World,
    reseller_web: AsyncClient,
    visitor: Visitor,
    session: AsyncSession,
) -> None:
    method = await _transfer_method(session, None)
    operator = await accounts.create(session, kind=AccountKind.operator, name="Ops")
    await give_password(session, operator, OPERATOR_EMAIL)
    # The reseller's deposits are paid to the panel: the operator's methods, not its own.
    assert f'id="method-{method.id}"' in (await reseller_web.get("/deposits/new")).text
    opened = await _open(reseller_web, method.id, "100.000")
    assert opened.status_code == 303, opened.text
    [deposit] = await _deposits(session)
    assert deposit.receiver_id is None
    [before] = await wallets(session, world.reseller)

    ops = await visitor(OPS_HOST)
    assert (await sign_in(ops, OPERATOR_EMAIL, OPS_HOST)).status_code == 303
    listed = await ops.get(f"/ops/deposits?reference={deposit.merchant_ref}")
    assert f'id="deposit-{deposit.id}"' in listed.text
    confirmed = await ops.post(
        f"/ops/deposits/{deposit.id}/confirm", data={"csrf": csrf_of(listed)}
    )
    assert confirmed.status_code == 303
    assert await wallets(session, world.reseller) == [before + deposit.amount]
    assert await audit(session) == []
    paid = await reseller_web.get(f"/deposits/{deposit.id}")
    assert "Berhasil, saldo masuk" in paid.text
    # Confirmed twice, credited once.
    again = await ops.post(f"/ops/deposits/{deposit.id}/confirm", data={"csrf": csrf_of(listed)})
    assert again.status_code == 409
    assert await wallets(session, world.reseller) == [before + deposit.amount]


# --- refusals ----------------------------------------------------------------------------------


async def test_every_refusal_is_said_on_the_form_and_writes_nothing(
    world: World, agency_web: AsyncClient, session: AsyncSession
) -> None:
    method = await _transfer_method(session, world.reseller.id)
    other = await _transfer_method(session, world.other_reseller.id)
    cases = [
        (method.id, "5.000", 422, "BCA menerima pembayaran Rp 10.000 sampai Rp 5.000.000"),
        (method.id, "dua puluh", 422, ""),
        (method.id, "0", 422, ""),
        (other.id, "50.000", 404, "Cara bayar ini tidak tersedia"),
        (999_999, "50.000", 404, "Cara bayar ini tidak tersedia"),
    ]
    for method_id, amount, status, said in cases:
        refused = await _open(agency_web, method_id, amount)
        assert refused.status_code == status, (amount, refused.text)
        error = _error(refused)
        assert said in error
        assert error.strip()
        assert f'value="{amount}"' in refused.text  # what was typed is kept
    assert await _deposits(session) == []

    for amount in ("20.000", "30.000", "40.000"):
        assert (await _open(agency_web, method.id, amount)).status_code == 303
    too_many = await _open(agency_web, method.id, "50.000")
    assert too_many.status_code == 409
    assert "Masih ada deposit yang menunggu pembayaran" in _error(too_many)
    assert len(await _deposits(session)) == 3


async def test_a_gateway_that_does_not_answer_makes_no_deposit(
    world: World,
    agency_web: AsyncClient,
    session: AsyncSession,
    gateway: GatewayHandle,
    http: httpx.AsyncClient,
) -> None:
    offered = await _tripay_methods(session, gateway, http, world.reseller.id)
    made = await session.get_one(PaymentGateway, offered["QRIS"].gateway_id)
    made.production = True  # its production address: nobody answers there
    await session.flush()
    refused = await _open(agency_web, offered["QRIS"].id, "50.000")
    assert refused.status_code == 503
    assert "Gateway pembayaran sedang tidak bisa dihubungi" in _error(refused)
    assert await _deposits(session) == []


async def test_a_form_without_its_token_is_refused(
    world: World, agency_web: AsyncClient, session: AsyncSession
) -> None:
    method = await _transfer_method(session, world.reseller.id)
    refused = await agency_web.post(
        "/deposits/new", data={"method_id": str(method.id), "amount": "50.000", "csrf": "x"}
    )
    assert refused.status_code == 403
    assert await _deposits(session) == []


async def test_deposits_are_their_payers_own(
    world: World,
    agency_web: AsyncClient,
    session: AsyncSession,
    other_agency: Account,
    visitor: Visitor,
) -> None:
    theirs = await _transfer_method(session, world.other_reseller.id)
    await give_password(session, other_agency, "foreign@example.com")
    foreign = await visitor("b.example")
    assert (await sign_in(foreign, "foreign@example.com", "b.example")).status_code == 303
    assert (await _open(foreign, theirs.id, "50.000")).status_code == 303
    [deposit] = await _deposits(session)
    for path in ("", "/status", "/receipt"):
        assert (await agency_web.get(f"/deposits/{deposit.id}{path}")).status_code == 404
    assert deposit.merchant_ref not in (await agency_web.get("/deposits")).text
    assert (await agency_web.get(f"/deposits?ref={deposit.merchant_ref}")).status_code == 200
    # An agency has no console, nor the operator's pages.
    for path in (
        "/console/deposits",
        "/console/payment-methods",
        "/ops/deposits",
        "/ops/payment-reviews",
        "/ops/payment-methods",
    ):
        assert (await agency_web.get(path)).status_code == 404, path
    csrf = await token(agency_web, "/deposits")
    decided = await agency_web.post(f"/console/deposits/{deposit.id}/confirm", data={"csrf": csrf})
    assert decided.status_code == 404
    [still] = await _deposits(session)
    assert still.status is DepositStatus.pending


# --- the reseller console ----------------------------------------------------------------------


async def test_the_reseller_confirms_and_rejects_its_agencies_transfers(
    world: World,
    agency_web: AsyncClient,
    visitor: Visitor,
    session: AsyncSession,
) -> None:
    method = await _transfer_method(session, world.reseller.id)
    await give_password(session, world.reseller, RESELLER_EMAIL)
    assert (await _open(agency_web, method.id, "10.000")).status_code == 303
    assert (await _open(agency_web, method.id, "20.000")).status_code == 303
    first, second = await _deposits(session)
    reseller = await visitor()
    assert (await sign_in(reseller, RESELLER_EMAIL)).status_code == 303
    listed = await reseller.get("/console/deposits")
    assert f'id="deposit-{first.id}"' in listed.text
    assert "Konfirmasi diterima" in listed.text
    csrf = csrf_of(listed)

    no_reason = await reseller.post(
        f"/console/deposits/{second.id}/reject", data={"reason": " ", "csrf": csrf}
    )
    assert no_reason.status_code == 422
    rejected = await reseller.post(
        f"/console/deposits/{second.id}/reject",
        data={"reason": "tidak ada di mutasi", "csrf": csrf},
    )
    assert rejected.status_code == 303
    shown = await agency_web.get(f"/deposits/{second.id}")
    assert "Transfer ditolak: tidak ada di mutasi" in shown.text

    # The reseller's wallet (100) cannot fund 10.000 and more: paid, and waiting for it.
    [reseller_before, agency_before] = await wallets(session, world.reseller, world.agency)
    confirmed = await reseller.post(f"/console/deposits/{first.id}/confirm", data={"csrf": csrf})
    assert confirmed.status_code == 303
    first, second = await _deposits(session)
    assert (first.status, second.status) == (DepositStatus.held, DepositStatus.rejected)
    assert await wallets(session, world.reseller, world.agency) == [reseller_before, agency_before]
    alert = await reseller.get("/console/deposits")
    short = first.amount - reseller_before
    held = re.search(r'id="held-alert">(.*?)</section>', alert.text, re.S)
    assert held, alert.text
    assert "1 deposit agen sudah dibayar tetapi menunggu saldo Anda: kurang" in held.group(1)
    assert f"Rp {short:,.0f}".replace(",", ".") in held.group(1)
    assert 'href="/deposits/new"' in held.group(1)
    waiting = await agency_web.get(f"/deposits/{first.id}")
    assert "Pembayaran Anda sudah diterima" in waiting.text

    # Funded, the held deposit is credited once, from the reseller's wallet.
    await funded_reseller(session, world.reseller, Decimal(1_000_000))
    assert await crediting.retry_held(session, first.updated_at) == 1
    [reseller_after, agency_after] = await wallets(session, world.reseller, world.agency)
    assert agency_after == agency_before + first.amount
    assert reseller_after == reseller_before + Decimal(1_000_000) - first.amount
    assert await audit(session) == []
    assert 'id="held-alert"' not in (await reseller.get("/console/deposits")).text


async def funded_reseller(session: AsyncSession, reseller: Account, amount: Decimal) -> None:
    await ledger.top_up(session, reseller.id, amount, "float", None)


async def test_a_reseller_sets_up_its_own_methods(
    world: World,
    reseller_web: AsyncClient,
    agency_web: AsyncClient,
    session: AsyncSession,
    gateway: GatewayHandle,
) -> None:
    web = reseller_web
    page = await web.get("/console/payment-methods")
    assert page.status_code == 200
    assert 'id="no-gateways"' in page.text
    csrf = csrf_of(page)
    transfer = {
        "bank": "BCA",
        "number": "123 456 7890",
        "holder": "Toko Sosmed",
        "kind": "transfer",
        "min_amount": "10.000",
        "max_amount": "5.000.000",
        "secret": "moota-secret",
        "csrf": csrf,
    }
    for broken, said in (
        ({"holder": ""}, "Isi nama bank, nomor rekening dan atas nama."),
        ({"min_amount": "sepuluh"}, ""),
        ({"min_amount": "6.000.000"}, "Minimal harus lebih dari nol"),
    ):
        refused = await web.post("/console/payment-methods/transfer", data=transfer | broken)
        assert refused.status_code == 422, broken
        assert said in refused.text
    assert await _count(session, PaymentGateway) == 0
    made = await web.post("/console/payment-methods/transfer", data=transfer)
    assert made.status_code == 303
    listed = await web.get(made.headers["location"])
    [bca] = await methods.gateways_of(session, world.reseller.id)
    assert f"http://a.example/payments/transfers/{bca.id}/statement" in listed.text
    assert "moota-secret" not in listed.text

    # Tripay: keys the gateway does not know are refused, and nothing is kept.
    gateway.register_merchant(*MERCHANT)
    tripay = {
        "name": "Tripay",
        "merchant_code": MERCHANT[0],
        "api_key": "wrong-key",
        "private_key": MERCHANT[2],
        "fee_paid_by": "receiver",
        "csrf": csrf,
    }
    refused = await web.post("/console/payment-methods/tripay", data=tripay)
    assert refused.status_code == 502
    assert "Tripay tidak menerima kunci ini" in refused.text
    missing = await web.post("/console/payment-methods/tripay", data=tripay | {"api_key": ""})
    assert missing.status_code == 422
    assert "wajib diisi" in missing.text
    assert await _count(session, PaymentGateway) == 1
    made = await web.post("/console/payment-methods/tripay", data=tripay | {"api_key": MERCHANT[1]})
    assert made.status_code == 303, made.text
    listed = await web.get("/console/payment-methods")
    tripay_gateway = (await methods.gateways_of(session, world.reseller.id))[1]
    assert f"http://a.example/payments/tripay/{tripay_gateway.id}/callback" in listed.text
    assert MERCHANT[1] not in listed.text
    assert MERCHANT[2] not in listed.text
    offered = {m.code: m for m in await methods.methods_of(session, tripay_gateway)}
    assert offered["QRIS"].fee_paid_by is FeePayer.receiver
    assert "gratis biaya" in (await agency_web.get("/deposits/new")).text

    # The buyer pays QRIS's fee from now on; BRIVA is switched off.
    qris, briva = offered["QRIS"], offered["BRIVA"]
    base = f"/console/payment-methods/{tripay_gateway.id}/methods"
    changed = await web.post(
        f"{base}/{qris.id}", data={"fee_paid_by": "buyer", "enabled": "on", "csrf": csrf}
    )
    assert changed.status_code == 303
    assert (await web.post(f"{base}/{briva.id}", data={"csrf": csrf})).status_code == 303
    form = await agency_web.get("/deposits/new")
    assert "biaya Rp 750 + 0,7% ditanggung pembeli" in form.text
    assert f'id="method-{briva.id}"' not in form.text
    # Another reseller's gateway does not exist for this one.
    foreign = await _transfer_method(session, world.other_reseller.id)
    elsewhere = await web.post(
        f"/console/payment-methods/{foreign.gateway_id}/methods/{foreign.id}",
        data={"enabled": "", "csrf": csrf},
    )
    assert elsewhere.status_code == 404
    assert (await session.get_one(PaymentMethod, foreign.id, populate_existing=True)).enabled
    # The channels fetched again from Tripay; never another reseller's gateway's.
    again = await web.post(
        f"/console/payment-methods/{tripay_gateway.id}/import", data={"csrf": csrf}
    )
    assert (again.status_code, again.headers["location"]) == (
        303,
        "/console/payment-methods?done=1",
    )
    for missing_id in (foreign.gateway_id, 10**6):
        gone = await web.post(f"/console/payment-methods/{missing_id}/import", data={"csrf": csrf})
        assert gone.status_code == 404


# --- the operator ------------------------------------------------------------------------------


async def test_the_operator_resolves_the_payment_reviews(
    world: World, visitor: Visitor, session: AsyncSession, reseller_web: AsyncClient
) -> None:
    method = await _transfer_method(session, None)
    gateway = await session.get_one(PaymentGateway, method.gateway_id)
    found = await crediting.review(
        session,
        gateway,
        None,
        ReviewReason.unmatched_transfer,
        "no open deposit asks for 50.137",
        '{"amount": 50137, "description": "TRF <b>BUDI</b>"}',
        Decimal(50_137),
    )
    operator = await accounts.create(session, kind=AccountKind.operator, name="Ops")
    await give_password(session, operator, OPERATOR_EMAIL)
    ops = await visitor(OPS_HOST)
    assert (await sign_in(ops, OPERATOR_EMAIL, OPS_HOST)).status_code == 303
    listed = await ops.get("/ops/payment-reviews")
    card = listed.text.split(f'id="review-{found.id}"', 1)[1]
    assert "Transfer tidak cocok dengan deposit" in card
    assert (
        '<pre class="body">{&#34;amount&#34;: 50137, &#34;description&#34;: &#34;TRF &lt;b&gt;'
        in card
    )
    csrf = csrf_of(listed)
    no_note = await ops.post(
        f"/ops/payment-reviews/{found.id}/resolve",
        data={"outcome": "dismissed", "note": "", "csrf": csrf},
    )
    assert no_note.status_code == 422
    done = await ops.post(
        f"/ops/payment-reviews/{found.id}/resolve",
        data={"outcome": "dismissed", "note": "dikembalikan ke pengirim", "csrf": csrf},
    )
    assert done.status_code == 303
    kept = await session.get_one(PaymentReview, found.id, populate_existing=True)
    assert kept.resolution == "dikembalikan ke pengirim"
    assert kept.resolved_at is not None
    assert 'id="no-payment-reviews"' in (await ops.get("/ops/payment-reviews")).text
    # A reseller has no operator's pages.
    assert (await reseller_web.get("/ops/payment-reviews")).status_code == 404

    setup = await ops.get("/ops/payment-methods")
    assert f"/payments/transfers/{gateway.id}/statement" in setup.text
    assert "statement-secret" not in setup.text


async def test_deposits_made_too_fast_are_refused(
    world: World, agency_web: AsyncClient, session: AsyncSession
) -> None:
    method = await _transfer_method(session, world.reseller.id)
    # A minute's worth, let expire at once so the limit on open deposits stays out of the way.
    for _ in range(PaymentSettings().create_per_minute):
        assert (await _open(agency_web, method.id, "50.000")).status_code == 303
        await session.execute(
            update(Deposit)
            .where(Deposit.status == DepositStatus.pending)
            .values(status=DepositStatus.expired)
        )
    made = len(await _deposits(session))
    refused = await _open(agency_web, method.id, "50.000")
    assert refused.status_code == 429
    assert "Terlalu banyak deposit dibuat dalam semenit" in _error(refused)
    assert len(await _deposits(session)) == made
