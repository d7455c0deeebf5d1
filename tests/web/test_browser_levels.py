"""The agency's level on a phone, in headless Chromium: after settled orders (one partly
refunded) the dashboard shows the level and its badge, the points, what is left to the next
level and when the points expire, at 390 px."""

from datetime import timedelta
from decimal import Decimal

import pytest
from playwright.async_api import BrowserContext, expect

from panel.accounts import passwords
from panel.currencies import money_text
from panel.growth import level_book
from panel.plumbing.runtime import Runtime
from panel.web import level_texts
from tests.fixtures.factories import build_world
from tests.growth.test_levels import expensive_service, order_and_settle
from tests.web.browsing import Site, screenshot, sign_in, toko_sosmed

pytestmark = pytest.mark.slow

PASSWORD = "correct horse battery"
D = Decimal


async def test_an_agency_sees_its_level_points_and_what_is_left(
    phone: BrowserContext, site: Site, runtime: Runtime
) -> None:
    async with runtime.transaction() as session:
        world = await build_world(session, reseller_balance=D(10**9), agency_balance=D(10**9))
        await toko_sosmed(session, world.reseller)
        world.agency.email = "levels@example.com"
        await passwords.set_password(session, world.agency, PASSWORD)
        service = await expensive_service(session, world)
        for name, target, badge, markup in (
            ("Perunggu", 0, "bronze", None),
            ("Perak", 500, "silver", D(15)),
            ("Emas", 2000, "gold", D(10)),
        ):
            await level_book.create(
                session,
                world.reseller.id,
                name=name,
                target=target,
                badge=badge,
                markup_percent=markup,
            )
        await level_book.set_rules(session, world.reseller.id, point_credit=D("0.5"))
        # One order settled whole, one partly refunded: the refund takes its points back.
        spent = [
            await order_and_settle(session, world, service, 5000, "completed", 0, None, 1),
            await order_and_settle(session, world, service, 4000, "partial", 1000, None, 2),
        ]
    points = int(sum(spent) // 1000)
    assert 500 <= points < 2000  # Perak, on the way to Emas

    page = await phone.new_page()
    await sign_in(page, site, "a.example", "levels@example.com", PASSWORD)
    level = page.locator("#level")
    await expect(level.locator("#level-badge")).to_have_text("Perak")
    await expect(level.locator("#level-points")).to_have_text(f"{points} poin")
    await expect(level.locator("#level-next")).to_have_text(
        f"{2000 - points} poin lagi menuju Emas"
    )
    await expect(level.locator("#level-markup")).to_have_text("Harga level ini: markup 15%")
    ends = level_texts.day("id", world.agency.created_at + timedelta(days=90))
    await expect(level.locator("#level-expires")).to_have_text(
        f"{points} poin berakhir pada {ends}"
    )
    await expect(level.locator("#level-resets")).to_contain_text("30% target")
    credit = money_text.show(D("0.5"), "USD", "id")
    await expect(level.locator("#redeemable")).to_have_text(
        f"{points} poin bisa ditukar, 1 poin = {credit}"
    )
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
    await screenshot(page, "levels_dashboard")

    # 100 points for a voucher of 50, paid by the reseller when an order names it.
    await page.fill("#redeem-points", "100")
    await page.click("#redeem button[value=voucher]")
    worth = money_text.show(D(50), "USD", "id")
    await expect(page.locator("[role=status]")).to_contain_text(f"voucher {worth}")
    await expect(page.locator("[role=status]")).to_contain_text("POIN-")
    await page.click("text=Kembali")
    await expect(page.locator("#redeemable")).to_contain_text(f"{points - 100} poin")
    await expect(level.locator("#level-points")).to_have_text(f"{points} poin")
