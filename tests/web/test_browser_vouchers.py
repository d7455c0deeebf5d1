"""The voucher field of the new-order page on a phone, in headless Chromium: an agency types
its reseller's code and pays the discounted price; a code that is not one is refused in
Indonesian and nothing is ordered; the page is no wider than 390 px."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from playwright.async_api import BrowserContext, expect
from sqlalchemy import select

from panel.accounts import passwords
from panel.currencies import money_text
from panel.growth import voucher_book
from panel.growth.voucher_book import Terms
from panel.models import Order, VoucherKind
from panel.plumbing.runtime import Runtime
from tests.fixtures.factories import build_world
from tests.web.browsing import Site, screenshot, sign_in, toko_sosmed

pytestmark = pytest.mark.slow

PASSWORD = "correct horse battery"
LINK = "https://instagram.com/toko_a1"


async def test_an_agency_orders_with_a_voucher_on_a_phone(
    phone: BrowserContext, site: Site, runtime: Runtime
) -> None:
    async with runtime.transaction() as session:
        world = await build_world(session)
        await toko_sosmed(session, world.reseller)
        world.agency.email = "a1@example.com"
        await passwords.set_password(session, world.agency, PASSWORD)
        await voucher_book.issue(
            session,
            world.reseller,
            Terms(code="RAMADAN", kind=VoucherKind.percent, value=Decimal(10), max_uses=100),
            datetime.now(UTC),
        )
    followers = world.services["followers"]

    page = await phone.new_page()
    await sign_in(page, site, "a.example", "a1@example.com", PASSWORD)
    await page.goto(site.url("a.example", f"/orders/new?service={followers.id}"))
    await expect(page.locator("label[for=voucher]")).to_have_text("Kode voucher (jika ada)")
    await page.fill("#link", LINK)
    await page.fill("#quantity", "1000")
    await page.fill("#voucher", "BUKAN")
    await page.click("#new-order button[type=submit]")
    await expect(page.locator("main")).to_contain_text("Kode voucher tidak dikenal.")
    async with runtime.transaction() as session:
        assert list(await session.scalars(select(Order))) == []

    await page.goto(site.url("a.example", f"/orders/new?service={followers.id}"))
    await page.fill("#link", LINK)
    await page.fill("#quantity", "1000")
    await page.fill("#voucher", "ramadan")
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
    await screenshot(page, "new_order_voucher")
    await page.click("#new-order button[type=submit]")
    await expect(page.locator("[role=status]")).to_contain_text("Pesanan dibuat")

    async with runtime.transaction() as session:
        [order] = await session.scalars(select(Order))
    paid = Decimal("1.62")  # 1.80 less 10%
    assert order.charge == paid
    row = page.locator(f"#order-{order.id}")
    await expect(row.locator(".paid")).to_have_text(money_text.show(paid, "USD", "id"))
