"""Agencies on their phones, in headless Chromium: each brand host shows its own brand and its
own agencies' orders only; an order placed on the page goes through a real worker to the
sandbox and back, and a refill is asked for from the order list."""

from dataclasses import dataclass
from decimal import Decimal

import pytest
from playwright.async_api import BrowserContext, expect
from sqlalchemy import func, select

from panel.accounts import passwords
from panel.accounts import service as accounts
from panel.brands import brand_book
from panel.ledger import service as ledger
from panel.models import Account, AccountKind, Order, OrderStatus, Refill
from panel.orders import service as orders
from panel.plumbing.runtime import Runtime
from tests.fixtures.factories import AGENCY_RATE, World, build_world
from tests.fixtures.pipeline import RunJobs
from tests.fixtures.sandbox import SandboxHandle
from tests.web.browsing import LOGIN_ATTEMPTS, Site, screenshot, sign_in
from workers import order_jobs

pytestmark = pytest.mark.slow

PASSWORD = "correct horse battery"
A1_LINK = "https://instagram.com/toko-a1-secret"


@dataclass
class Shop:
    world: World
    a1: Account  # agency of brand A ("Toko Sosmed" on a.example)
    a2: Account  # its sibling under the same reseller
    b1: Account  # agency of brand B ("Panel Murah" on b.example)


@pytest.fixture
async def shop(runtime: Runtime, sandbox: SandboxHandle) -> Shop:
    async with runtime.transaction() as session:
        world = await build_world(session, provider_url=sandbox.url, backup_url=sandbox.url)
        for reseller, name, host, color in (
            (world.reseller, "Toko Sosmed", "a.example", "#c2410c"),
            (world.other_reseller, "Panel Murah", "b.example", "#047857"),
        ):
            await brand_book.set_brand(
                session,
                reseller,
                name=name,
                hosts=[host],
                logo_url=None,
                primary_color=color,
                accent_color="#111827",
                whatsapp_url="https://wa.me/6281234567",
                payment_instructions="BCA 123 456 7890 a.n. " + name,
            )
        a2 = await accounts.create(
            session, kind=AccountKind.agency, name="Agen Dua", parent_id=world.reseller.id
        )
        b1 = await accounts.create(
            session, kind=AccountKind.agency, name="Agen Bandung", parent_id=world.other_reseller.id
        )
        await ledger.fund_agency(session, a2.id, Decimal(10), "float", None)
        await ledger.fund_agency(session, b1.id, Decimal(10), "float", None)
        for account, email in ((world.agency, "a1@example.com"), (a2, "a2@example.com")):
            account.email = email
            await passwords.set_password(session, account, PASSWORD)
        b1.email = "b1@example.com"
        await passwords.set_password(session, b1, PASSWORD)
        world.agency.name = "Agen Satu Rahasia"
    return Shop(world, world.agency, a2, b1)


async def _order_of(runtime: Runtime, account: Account) -> Order:
    async with runtime.transaction() as session:
        return (await session.scalars(select(Order).where(Order.account_id == account.id))).one()


async def test_agency_orders_under_its_brand_and_asks_for_a_refill(
    phone: BrowserContext,
    site: Site,
    shop: Shop,
    runtime: Runtime,
    sandbox: SandboxHandle,
    run_jobs: RunJobs,
) -> None:
    page = await phone.new_page()
    await page.goto(site.url("a.example"))
    # Not signed in: the login page, under the brand, in Indonesian by default.
    assert page.url.endswith("/login")
    await expect(page.locator("header strong")).to_have_text("Toko Sosmed")
    await expect(page.locator("h1")).to_have_text("Masuk")
    await screenshot(page, "login")

    await sign_in(page, site, "a.example", "a1@example.com", PASSWORD)
    await expect(page.locator("#balance")).to_have_text("US$50,00")
    await screenshot(page, "dashboard")

    await page.click("nav.tabs >> text=Layanan")
    followers = shop.world.services["followers"]
    assert AGENCY_RATE == Decimal("1.8")  # shown in Indonesian, with the cents of a dollar
    await expect(page.locator("main")).to_contain_text("US$1,80 per 1000")
    await screenshot(page, "services")

    await page.click(f"a[href='/orders/new?service={followers.id}']")
    await page.fill("#link", A1_LINK)
    await page.fill("#quantity", "1000")
    # The charge as the agency types, before the server computes it.
    await expect(page.locator("#charge")).to_have_text("US$1,80")
    await screenshot(page, "new_order")
    await page.click("#new-order button[type=submit]")
    await expect(page.locator("[role=status]")).to_contain_text("Pesanan dibuat")

    order = await _order_of(runtime, shop.a1)
    assert (order.link, order.quantity, order.status) == (A1_LINK, 1000, OrderStatus.pending)
    row = page.locator(f"#order-{order.id}")
    await expect(row.locator(".status")).to_have_text("Menunggu")

    # A real worker sends it to the sandbox; the sandbox delivers; the poller sees it done.
    await run_jobs()
    sandbox.advance(3600)
    assert await order_jobs.poll_orders(runtime) == 1
    done = await _order_of(runtime, shop.a1)
    assert done.status is OrderStatus.completed
    await page.reload()
    await expect(row.locator(".status")).to_have_text("Selesai")
    await screenshot(page, "orders")

    await row.locator("form[action$='/refill'] button").click()
    await expect(row.locator(".refill")).to_contain_text("diminta")
    await run_jobs()
    assert [r["params"]["order"] for r in sandbox.requests("refill")] == [done.upstream_id]
    async with runtime.transaction() as session:
        refills = (await session.scalars(select(Refill).where(Refill.order_id == order.id))).all()
    assert len(refills) == 1

    # The language switch, at the foot of every page, keeps the visitor where it was.
    await page.click("footer >> text=English")
    assert page.url.endswith("/orders")
    await expect(row.locator(".status")).to_have_text("Completed")
    await expect(row.locator(".refill")).to_contain_text("Refill:")
    await page.goto(site.url("a.example", "/funds"))
    await expect(page.locator("#payment-instructions")).to_contain_text("a.n. Toko Sosmed")
    await screenshot(page, "funds")


async def test_each_brand_host_shows_its_own_brand_and_none_of_the_others(
    phone: BrowserContext,
    another_phone: BrowserContext,
    site: Site,
    shop: Shop,
    runtime: Runtime,
) -> None:
    async with runtime.transaction() as session:
        a1 = await session.get_one(Account, shop.a1.id)
        placed = await orders.accept(
            session,
            a1,
            shop.world.services["followers"].id,
            {"link": A1_LINK, "quantity": "100"},
        )
    b_page, a2_page = await phone.new_page(), await another_phone.new_page()

    await b_page.goto(site.url("b.example"))
    await expect(b_page.locator("header strong")).to_have_text("Panel Murah")
    # Brand A's agency cannot sign in on brand B's host.
    await sign_in(b_page, site, "b.example", "a1@example.com", PASSWORD)
    await expect(b_page.locator("[role=alert]")).to_have_text("Email atau kata sandi salah.")
    await sign_in(b_page, site, "b.example", "b1@example.com", PASSWORD)
    await expect(b_page.locator("#balance")).to_have_text("US$10,00")
    for path in ("/", "/orders", "/services", "/funds", f"/orders?placed={placed.id}"):
        await b_page.goto(site.url("b.example", path))
        shown = await b_page.content()
        for secret in ("Toko Sosmed", "Agen Satu Rahasia", A1_LINK, "Agen Dua"):
            assert secret not in shown, (path, secret)
        await expect(b_page.locator("header strong")).to_have_text("Panel Murah")
    await screenshot(b_page, "second_brand_dashboard")

    # The sibling agency, on the same brand, sees none of A1's orders either.
    await sign_in(a2_page, site, "a.example", "a2@example.com", PASSWORD)
    await expect(a2_page.locator("header strong")).to_have_text("Toko Sosmed")
    for path in ("/", "/orders"):
        await a2_page.goto(site.url("a.example", path))
        assert A1_LINK not in await a2_page.content()
        await expect(a2_page.locator(f"#order-{placed.id}")).to_have_count(0)


async def test_a_form_without_its_token_is_refused_and_places_nothing(
    phone: BrowserContext, site: Site, shop: Shop, runtime: Runtime
) -> None:
    page = await phone.new_page()
    await sign_in(page, site, "a.example", "a1@example.com", PASSWORD)
    await page.goto(
        site.url("a.example", f"/orders/new?service={shop.world.services['followers'].id}")
    )
    await page.fill("#link", A1_LINK)
    await page.fill("#quantity", "100")
    await page.evaluate("document.querySelector('#new-order [name=csrf]').remove()")
    await page.click("#new-order button[type=submit]")
    await expect(page.locator("[role=alert]")).to_contain_text("kedaluwarsa")
    async with runtime.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(Order)) == 0
        assert await ledger.balance(session, shop.a1.id) == Decimal(50)


async def test_repeated_failed_logins_are_throttled(
    phone: BrowserContext, site: Site, shop: Shop
) -> None:
    page = await phone.new_page()
    for _ in range(LOGIN_ATTEMPTS):
        await sign_in(page, site, "a.example", "a1@example.com", "wrong password!")
        await expect(page.locator("[role=alert]")).to_have_text("Email atau kata sandi salah.")
    # Now even the right password is refused until the window passes.
    await sign_in(page, site, "a.example", "a1@example.com", PASSWORD)
    await expect(page.locator("[role=alert]")).to_contain_text("Terlalu banyak percobaan")
    assert page.url.endswith("/login")


async def test_a_reseller_invites_an_agency_and_pays_its_top_up(
    phone: BrowserContext,
    another_phone: BrowserContext,
    site: Site,
    shop: Shop,
    runtime: Runtime,
) -> None:
    async with runtime.transaction() as session:
        reseller = await session.get_one(Account, shop.world.reseller.id)
        reseller.email = "owner@toko.example"
        await passwords.set_password(session, reseller, PASSWORD)
    console = await phone.new_page()
    await sign_in(console, site, "a.example", "owner@toko.example", PASSWORD)
    await console.click("nav.tabs >> text=Konsol")
    await expect(console.locator("nav.sub [aria-current=page]")).to_have_text("Agen")
    await expect(console.locator("#agencies")).to_contain_text("Agen Satu Rahasia")
    await screenshot(console, "console_agencies")

    await console.fill("#note", "Budi, Solo")
    await console.click("#invite button[type=submit]")
    link = await console.locator("#invitation-link").input_value()
    assert link.startswith(site.url("a.example", "/join/"))
    await screenshot(console, "console_invitation")

    # The invited agency opens the link on its own phone and joins under the brand.
    budi = await another_phone.new_page()
    await budi.goto(link)
    await expect(budi.locator("header strong")).to_have_text("Toko Sosmed")
    await budi.fill("#name", "Budi Digital")
    await budi.fill("#email", "budi@example.com")
    await budi.fill("#password", "budi's password")
    await screenshot(budi, "join")
    await budi.click("form button[type=submit]")
    await expect(budi.locator("#balance")).to_have_text("US$0,00")

    await budi.goto(site.url("a.example", "/funds"))
    await budi.fill("#amount", "7,5")
    await budi.fill("#reference", "BCA 0923")
    await budi.click("form[action='/funds/requests'] button[type=submit]")
    await expect(budi.locator("#top-ups")).to_contain_text("menunggu")

    await console.goto(site.url("a.example", "/console/top-ups"))
    await expect(console.locator("#top-ups")).to_contain_text("Budi Digital")
    await screenshot(console, "console_top_ups")
    await console.click("#top-ups form[action$='/approve'] button")
    await expect(console.locator("#top-ups")).to_contain_text("disetujui")
    await budi.goto(site.url("a.example", "/"))
    await expect(budi.locator("#balance")).to_have_text("US$7,50")
    async with runtime.transaction() as session:
        # 100, less the 10 the fixture gave the sibling agency, less this top-up.
        assert await ledger.balance(session, shop.world.reseller.id) == Decimal("82.5")

    for tab, name in (
        ("/console/orders", "console_orders"),
        ("/console/margin", "console_margin"),
        ("/console/markup", "console_markup"),
        ("/console/brand", "console_brand"),
    ):
        await console.goto(site.url("a.example", tab))
        await expect(console.locator("nav.sub [aria-current=page]")).to_have_count(1)
        await screenshot(console, name)
    await console.fill("#name", "Toko Sosmed Baru")
    await console.click("#brand button[type=submit]")
    await expect(console.locator("header strong")).to_have_text("Toko Sosmed Baru")


async def test_the_operator_sees_the_review_queue_and_providers(
    phone: BrowserContext, site: Site, shop: Shop, runtime: Runtime
) -> None:
    async with runtime.transaction() as session:
        operator = await accounts.create(
            session, kind=AccountKind.operator, name="Ops", email="ops@example.com"
        )
        await passwords.set_password(session, operator, PASSWORD)
        a1 = await session.get_one(Account, shop.a1.id)
        stuck = await orders.accept(
            session, a1, shop.world.services["followers"].id, {"link": A1_LINK, "quantity": "100"}
        )
        stuck.status, stuck.review_reason = OrderStatus.needs_review, "read timeout after sending"
    page = await phone.new_page()
    await sign_in(page, site, "panel.example", "ops@example.com", PASSWORD)
    assert page.url.endswith("/ops")  # the dashboard comes first
    await page.goto(site.url("panel.example", "/ops/review"))
    await expect(page.locator("main")).to_contain_text("read timeout after sending")
    await screenshot(page, "ops_review")
    await page.goto(site.url("panel.example", "/ops/providers"))
    await expect(page.locator("main")).to_contain_text("Primary")
    await screenshot(page, "ops_providers")
