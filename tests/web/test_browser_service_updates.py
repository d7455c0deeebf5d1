"""The service-updates feed on a phone, in headless Chromium: an agency opens "Perubahan" and
reads a price rise at its own price, a change of quantities and a service gone, at 390 px."""

from decimal import Decimal

import pytest
from playwright.async_api import BrowserContext, expect

from panel.accounts import passwords
from panel.catalogue import service as catalogue
from panel.currencies import money_text
from panel.plumbing.runtime import Runtime
from tests.fixtures.factories import build_world
from tests.web.browsing import Site, screenshot, sign_in, toko_sosmed

pytestmark = pytest.mark.slow

PASSWORD = "correct horse battery"


async def test_an_agency_reads_its_service_updates_at_its_own_prices(
    phone: BrowserContext, site: Site, runtime: Runtime
) -> None:
    async with runtime.transaction() as session:
        world = await build_world(session)
        await toko_sosmed(session, world.reseller)
        world.agency.email = "a1@example.com"
        await passwords.set_password(session, world.agency, PASSWORD)
        followers = world.services["followers"]
        # The upstream doubles its rate on the primary route: 1.80 -> 3.60 for this agency.
        await catalogue.upsert_provider_service(
            session, world.provider.id, "1", panel_currency="USD", rate=Decimal(2)
        )
        await catalogue.update_service(session, world.services["likes"].id, min_quantity=100)
        await catalogue.update_service(session, world.services["comments"].id, enabled=False)

    page = await phone.new_page()
    await sign_in(page, site, "a.example", "a1@example.com", PASSWORD)
    await page.click("nav.tabs >> text=Perubahan")
    await expect(page.locator("h1")).to_have_text("Perubahan layanan")
    price = page.locator("li.update[data-change=price]")
    await expect(price).to_have_count(1)
    await expect(price.locator(".badge")).to_have_text("Harga naik")
    await expect(price).to_contain_text(followers.name)
    now = money_text.show(Decimal("3.6"), "USD", "id", per_1000=True)
    was = money_text.show(Decimal("1.8"), "USD", "id", per_1000=True)
    await expect(price.locator(".now")).to_have_text(now)
    await expect(price.locator(".was")).to_have_text(was)
    limits = page.locator("li.update[data-change=limits]")
    await expect(limits).to_contain_text("100–10000")
    await expect(page.locator("li.update[data-change=disabled]")).to_have_count(1)
    # The newest first: the service taken out, then the quantities, then the price.
    changes = await page.locator("li.update").evaluate_all(
        "rows => rows.map(r => r.dataset.change)"
    )
    assert changes[:3] == ["disabled", "limits", "price"]
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
    await screenshot(page, "service_updates")
