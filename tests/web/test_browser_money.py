"""A rupiah panel on a phone, in headless Chromium: balances, prices per 1000 and the charge
as it is typed, in rupiah's own style (`Rp 10.000`, `Rp 812,5`); amounts typed that way are
read exactly, and one that could be read two ways is refused on the form, moving nothing."""

from dataclasses import dataclass
from decimal import Decimal

import pytest
from playwright.async_api import BrowserContext, Page, expect
from sqlalchemy import func, select

from panel.accounts import passwords
from panel.config import Settings
from panel.ledger import service as ledger
from panel.models import Account, TopUpRequest
from panel.plumbing.runtime import Runtime
from panel.pricing import rule_book
from tests.fixtures.factories import World, build_world
from tests.web.browsing import Site, screenshot, sign_in, toko_sosmed

pytestmark = pytest.mark.slow

PASSWORD = "correct horse battery"


@pytest.fixture
def web_settings(web_settings: Settings) -> Settings:
    """The panel keeps rupiah, as most operators' do."""
    return web_settings.model_copy(update={"currency": "IDR"})


@dataclass
class Rupiah:
    world: World
    agency: Account


@pytest.fixture
async def rupiah(runtime: Runtime) -> Rupiah:
    """The reseller pays Rp 650 per 1000 followers and charges its agency a quarter more
    (Rp 812,5); the agency holds Rp 10.000, the reseller Rp 1.250.000."""
    async with runtime.transaction() as session:
        world = await build_world(
            session, reseller_balance=Decimal(1_250_000), agency_balance=Decimal(10_000)
        )
        await toko_sosmed(
            session,
            world.reseller,
            primary_color="#c2410c",
            payment_instructions="BCA 123 456 7890 a.n. Toko Sosmed",
        )
        # Cost 1 x 1.5 (the tier) + 648.5 fixed: Rp 650 for the reseller.
        await rule_book.create(
            session,
            account_id=world.reseller.id,
            markup_percent=Decimal(50),
            markup_fixed=Decimal("648.5"),
        )
        await rule_book.create(
            session,
            owner_id=world.reseller.id,
            account_id=world.agency.id,
            markup_percent=Decimal(25),
        )
        for account, email in ((world.agency, "a1@example.com"), (world.reseller, "r@example.com")):
            account.email = email
            await passwords.set_password(session, account, PASSWORD)
    return Rupiah(world, world.agency)


async def _wallets(runtime: Runtime, *accounts: Account) -> list[Decimal]:
    async with runtime.transaction() as session:
        found = await ledger.balances(session, [account.id for account in accounts])
    return [found[account.id] for account in accounts]


async def _requests(runtime: Runtime) -> list[Decimal]:
    async with runtime.transaction() as session:
        return list(await session.scalars(select(TopUpRequest.amount).order_by(TopUpRequest.id)))


async def _ask_top_up(page: Page, typed: str) -> None:
    await page.fill("#amount", typed)
    await page.fill("#reference", "BCA 0923")
    await page.click("form[action='/funds/requests'] button[type=submit]")


async def test_an_agency_sees_and_types_rupiah_as_it_writes_them(
    phone: BrowserContext, site: Site, rupiah: Rupiah, runtime: Runtime
) -> None:
    page = await phone.new_page()
    await sign_in(page, site, "a.example", "a1@example.com", PASSWORD)
    await expect(page.locator("#balance")).to_have_text("Rp 10.000")
    await screenshot(page, "rupiah_dashboard")

    await page.click("nav.tabs >> text=Layanan")
    followers = rupiah.world.services["followers"]
    await expect(page.locator("main")).to_contain_text("Rp 812,5 per 1000")
    await screenshot(page, "rupiah_services")

    await page.click(f"a[href='/orders/new?service={followers.id}']")
    await expect(page.locator("#rate")).to_have_text("Rp 812,5")
    await expect(page.locator("#charge")).to_have_text("Rp 0")
    # The charge as the agency types: a whole rupiah amount, grouped; a fraction shows sen.
    await page.fill("#quantity", "2000")
    await expect(page.locator("#charge")).to_have_text("Rp 1.625")
    await page.fill("#quantity", "1000")
    await expect(page.locator("#charge")).to_have_text("Rp 812,50")
    await page.fill("#quantity", "10000")
    await expect(page.locator("#charge")).to_have_text("Rp 8.125")
    await screenshot(page, "rupiah_new_order")

    # A top-up of two hundred and fifty thousand rupiah, typed with a dot for the thousands.
    await page.click("nav.tabs >> text=Saldo & deposit")
    await _ask_top_up(page, "250.000")
    await expect(page.locator("[role=status]")).to_contain_text("Permintaan terkirim")
    await expect(page.locator("#top-ups .amount")).to_have_text(["Rp 250.000"])
    assert await _requests(runtime) == [Decimal(250_000)]

    # "250,000": two hundred and fifty, or as English writes a quarter million? Refused,
    # on the form, with what was typed kept; nothing is asked for.
    await _ask_top_up(page, "250,000")
    await expect(page.locator("[role=alert]")).to_have_text(
        "“250,000” bisa dibaca dua cara. Tulis ribuan dengan titik atau tanpa pemisah "
        "(1.000 atau 1000), desimal setelah koma (1,5)."
    )
    await expect(page.locator("#amount")).to_have_value("250,000")
    await screenshot(page, "rupiah_funds_refused")
    # Rupiah is sent whole: a top-up with sen is refused as well.
    await _ask_top_up(page, "10.000,50")
    await expect(page.locator("[role=alert]")).to_have_text(
        "Masukkan jumlah di atas nol, tanpa angka desimal."
    )
    assert await _requests(runtime) == [Decimal(250_000)]

    # The same page in English: the same rupiah, grouped the English way.
    await page.goto(site.url("a.example", "/funds"))
    await page.click("footer >> text=English")
    await expect(page.locator("#balance")).to_have_text("Rp 10,000")
    await expect(page.locator("#top-ups .amount")).to_have_text(["Rp 250,000"])
    await _ask_top_up(page, "1.000")
    await expect(page.locator("[role=alert]")).to_contain_text("“1.000” could be read two ways")
    await _ask_top_up(page, "5,000")
    await expect(page.locator("#top-ups .amount")).to_have_text(
        ["Rp 5,000", "Rp 250,000"]
    )  # newest first
    assert await _requests(runtime) == [Decimal(250_000), Decimal(5000)]
    await screenshot(page, "rupiah_funds_english")


async def test_a_reseller_funds_its_agency_to_the_rupiah_and_sees_the_balances(
    phone: BrowserContext, site: Site, rupiah: Rupiah, runtime: Runtime
) -> None:
    page = await phone.new_page()
    await sign_in(page, site, "a.example", "r@example.com", PASSWORD)
    await page.goto(site.url("a.example", "/console/agencies"))
    await expect(page.locator("#balance")).to_have_text("Rp 1.250.000")
    row = page.locator(f"#agency-{rupiah.agency.id}")
    await expect(row.locator(".balance")).to_have_text("Rp 10.000")
    amount = row.locator("input[name=amount]")
    await expect(amount).to_have_attribute("placeholder", "10.000")

    # Refused on the form, under this agency, with what was typed kept; no money moves.
    await amount.fill("1.5")
    await row.locator("form[action$='/fund'] button").click()
    await expect(row.locator("[role=alert]")).to_contain_text("bisa dibaca dua cara")
    await expect(row.locator("input[name=amount]")).to_have_value("1.5")
    await screenshot(page, "rupiah_console_refused")
    before = await _wallets(runtime, rupiah.world.reseller, rupiah.agency)
    assert before == [Decimal(1_250_000), Decimal(10_000)]

    # Funding moves ledger money, to the millionth if need be: sen are allowed here.
    await row.locator("input[name=amount]").fill("2.500,75")
    await row.locator("form[action$='/fund'] button").click()
    await expect(page.locator("[role=status]")).to_contain_text("Saldo terkirim")
    await expect(page.locator("#balance")).to_have_text("Rp 1.247.499,25")
    await expect(row.locator(".balance")).to_have_text("Rp 12.500,75")
    assert await _wallets(runtime, rupiah.world.reseller, rupiah.agency) == [
        Decimal("1247499.25"),
        Decimal("12500.75"),
    ]
    await screenshot(page, "rupiah_console_agencies")

    await page.goto(site.url("a.example", "/console/markup"))
    await expect(page.locator("#own-rate")).to_have_text("Rp 650")
    await expect(page.locator("#agency-rate")).to_have_text("Rp 780")
    await screenshot(page, "rupiah_console_markup")
    async with runtime.transaction() as session:
        count = await session.scalar(select(func.count()).select_from(TopUpRequest))
    assert count == 0
