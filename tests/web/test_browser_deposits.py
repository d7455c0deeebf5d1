"""A QRIS deposit end to end on a phone, in headless Chromium: the agency opens "Tambah
saldo", picks QRIS and an amount, sees the QR code drawn inline, pays at the sandbox Tripay,
whose signed callback reaches the panel over HTTP, and its page turns to paid by itself. The
wallet is credited once, from its reseller's, and the journal balances."""

from collections.abc import Iterator
from decimal import Decimal

import pytest
from playwright.async_api import BrowserContext, ConsoleMessage, expect
from sqlalchemy import func, select

from panel.accounts import passwords
from panel.app import create_app
from panel.config import PaymentSettings, Settings
from panel.ledger import service as ledger
from panel.ledger.audit import audit
from panel.models import Deposit, DepositStatus, FeePayer, GatewayKind, Journal, JournalKind
from panel.payments import methods
from panel.payments.tripay import TripayAdapter
from panel.plumbing.runtime import Runtime
from tests.fixtures.app_server import AppServer
from tests.fixtures.factories import World, build_world
from tests.fixtures.gateway import GatewayHandle
from tests.web.browsing import Site, screenshot, sign_in, toko_sosmed

pytestmark = pytest.mark.slow

PASSWORD = "correct horse battery"
MERCHANT = ("T0042", "api-key-42", "private-key-42")


@pytest.fixture
def web_settings(web_settings: Settings, gateway: GatewayHandle) -> Settings:
    """A rupiah panel whose Tripay sandbox is the test gateway."""
    payments = PaymentSettings(tripay_sandbox_url=gateway.base_url)
    return web_settings.model_copy(update={"currency": "IDR", "payments": payments})


@pytest.fixture
def site(web_settings: Settings) -> Iterator[Site]:
    """The app served over HTTP, telling gateways to call back at its own address: the brand's
    host name only resolves inside Chromium."""
    server = AppServer(create_app(web_settings), lifespan="on")
    web_settings.payments.public_url = server.base_url
    server.start()
    yield Site(server.port)
    server.stop()


async def _world(runtime: Runtime, gateway: GatewayHandle) -> tuple[World, int]:
    """The reseller holds Rp 1.250.000 and takes its agencies' deposits through Tripay; its
    agency holds Rp 5.000. Answers the world and the id of the QRIS method."""
    gateway.register_merchant(*MERCHANT)
    async with runtime.transaction() as session:
        world = await build_world(
            session, reseller_balance=Decimal(1_250_000), agency_balance=Decimal(5_000)
        )
        await toko_sosmed(
            session, world.reseller, payment_instructions="BCA 123 456 7890 a.n. Toko Sosmed"
        )
        world.agency.email = "a1@example.com"
        await passwords.set_password(session, world.agency, PASSWORD)
        made = await methods.add_gateway(
            session,
            None,
            world.reseller.id,
            GatewayKind.tripay,
            "Tripay",
            methods.GatewayKeys(*MERCHANT),
            "IDR",
        )
        adapter = TripayAdapter(runtime.http, gateway.base_url, *MERCHANT)
        offered = await methods.import_channels(session, None, made, adapter, FeePayer.buyer)
    return world, next(method.id for method in offered if method.code == "QRIS")


async def test_a_qris_deposit_is_paid_and_its_page_turns_paid_by_itself(
    phone: BrowserContext, site: Site, runtime: Runtime, gateway: GatewayHandle
) -> None:
    world, qris = await _world(runtime, gateway)
    page = await phone.new_page()
    refused: list[str] = []

    def watch(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or message.type == "error":
            refused.append(message.text)

    page.on("console", watch)
    await sign_in(page, site, "a.example", "a1@example.com", PASSWORD)
    await page.click("nav.tabs >> text=Saldo & deposit")
    await page.click("#add-funds-link")
    await expect(page.locator("h1")).to_have_text("Tambah saldo")
    await expect(page.locator(f"#method-{qris}")).to_be_checked()
    await expect(page.locator("main")).to_contain_text("biaya Rp 750 + 0,7% ditanggung pembeli")
    await page.fill("#amount", "10.000")
    await screenshot(page, "deposit_new")
    await page.click("#deposit-form button[type=submit]")

    await expect(page.locator("#qr svg.qr")).to_be_visible()
    await expect(page.locator("#deposit-status")).to_have_text("Menunggu pembayaran")
    await expect(page.locator("#total")).to_have_text("Rp 10.820")  # 10.000 + 750 + 0,7%
    await expect(page.locator("button.copy").first).to_be_visible()
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
    await screenshot(page, "deposit_qris")

    async with runtime.transaction() as session:
        deposit = await session.scalar(select(Deposit))
    assert deposit is not None
    assert deposit.gateway_reference is not None
    paid = gateway.pay(deposit.gateway_reference)
    assert paid["callbacks"], paid

    # Nobody reloads: the page sees the deposit paid and shows it.
    await expect(page.locator("#deposit-status")).to_have_text(
        "Berhasil, saldo masuk", timeout=8_000
    )
    await expect(page.locator("#paid-note")).to_contain_text("Rp 10.000")
    await expect(page.locator("#qr")).to_have_count(0)
    await screenshot(page, "deposit_paid")
    assert refused == []

    async with runtime.transaction() as session:
        found = await session.get_one(Deposit, deposit.id)
        assert found.status is DepositStatus.paid
        journals = await session.scalar(
            select(func.count()).select_from(Journal).where(Journal.kind == JournalKind.deposit)
        )
        assert journals == 1
        balances = await ledger.balances(session, [world.agency.id, world.reseller.id])
        assert balances == {
            world.agency.id: Decimal(15_000),
            world.reseller.id: Decimal(1_240_000),
        }
        assert await audit(session) == []
