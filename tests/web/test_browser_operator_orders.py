"""The operator finds an order by a part of its link in headless Chromium and opens its life
down to the journals, on a phone and on a laptop."""

from decimal import Decimal

import pytest
from playwright.async_api import Browser, BrowserContext, ViewportSize, expect

from panel.accounts import passwords
from panel.accounts import service as accounts
from panel.models import AccountKind, UpstreamCall
from panel.orders import service as orders
from panel.plumbing.runtime import Runtime
from tests.fixtures.factories import build_world
from tests.web.browsing import Site, screenshot, sign_in

pytestmark = pytest.mark.slow

PASSWORD = "correct horse battery"
LAPTOP: ViewportSize = {"width": 1366, "height": 768}
HOSTILE = "<script>alert(1)</script> order created"


async def test_an_order_found_by_link_opens_to_its_journals(
    phone: BrowserContext, chromium: Browser, site: Site, runtime: Runtime
) -> None:
    async with runtime.transaction() as session:
        world = await build_world(session, agency_balance=Decimal(20))
        operator = await accounts.create(
            session, kind=AccountKind.operator, name="Ops", email="ops@example.com"
        )
        await passwords.set_password(session, operator, PASSWORD)
        order = await orders.accept(
            session,
            world.agency,
            world.services["followers"].id,
            {"link": "https://instagram.com/cari-saya", "quantity": "500"},
        )
        await orders.accept(
            session,
            world.agency,
            world.services["followers"].id,
            {"link": "https://instagram.com/lainnya", "quantity": "500"},
        )
        session.add(
            UpstreamCall(
                order_id=order.id,
                provider_id=world.provider.id,
                action="add",
                outcome="ambiguous",
                answer=HOSTILE,
                called_at=order.created_at,
            )
        )

    page = await phone.new_page()
    refused: list[str] = []
    page.on("console", lambda message: refused.append(message.text))
    await sign_in(page, site, "panel.example", "ops@example.com", PASSWORD)
    await page.goto(site.url("panel.example", "/ops/orders"))
    await page.fill("#f-link", "cari-saya")
    await page.click("#order-search button[type=submit]")
    await expect(page.locator(".order-rows > li")).to_have_count(1)
    await page.click(f"#row-{order.id} a")
    journal = page.locator("#journals .journal")
    await expect(journal).to_have_count(1)
    await expect(journal.locator("th").first).to_have_text(f"wallet:{world.agency.id}")
    await expect(page.locator("#calls .answer")).to_have_text(HOSTILE)
    assert await page.evaluate("document.documentElement.scrollWidth") <= 390
    await screenshot(page, "ops_order_390")

    # The same signed-in visit, on a laptop's screen.
    laptop = await chromium.new_context(
        viewport=LAPTOP, locale="id-ID", storage_state=await phone.storage_state()
    )
    try:
        wide = await laptop.new_page()
        await wide.goto(site.url("panel.example", f"/ops/orders/{order.id}"))
        await expect(wide.locator("#journals .journal")).to_have_count(1)
        await screenshot(wide, "ops_order_1366")
    finally:
        await laptop.close()
    assert [text for text in refused if "Content Security Policy" in text] == []
