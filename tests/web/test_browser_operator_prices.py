"""A category markup change in a real browser: the operator picks a category and a percent,
sees every tier's price before and after on a phone and on a laptop, then saves it, and the
list shows the new prices. Screenshots: ops_prices_preview_390.png, ops_prices_preview_1366.png."""

from decimal import Decimal

import pytest
from playwright.async_api import Browser, BrowserContext, Page, expect
from sqlalchemy import select

from panel.accounts import passwords
from panel.accounts import service as accounts
from panel.models import AccountKind, PriceRule
from panel.plumbing.runtime import Runtime
from tests.fixtures.factories import build_world
from tests.web.browsing import PHONE, Site, screenshot, sign_in

pytestmark = pytest.mark.slow

PASSWORD = "correct horse battery"
HOST = "panel.example"
LAPTOP = {"width": 1366, "height": 900}


@pytest.fixture
async def followers_id(runtime: Runtime) -> int:
    """The world's services, and an operator who can sign in; the id of "Followers"."""
    async with runtime.transaction() as session:
        world = await build_world(session)
        operator = await accounts.create(
            session, kind=AccountKind.operator, name="Ops", email="ops@example.com"
        )
        await passwords.set_password(session, operator, PASSWORD)
        return world.services["followers"].id


async def _preview(page: Page, site: Site, followers_id: int) -> None:
    await sign_in(page, site, HOST, "ops@example.com", PASSWORD)
    await page.goto(site.url(HOST, "/ops/prices"))
    await page.check("#target-category")
    await page.select_option("#bulk-category", "Instagram")
    await page.fill("#markup_percent", "20")
    await page.click("#preview-button")
    card = page.locator(f"#preview-{followers_id}")
    # No tier goes from cost to +20%; Standard keeps its own rule.
    await expect(card.locator(".after")).to_have_text(["US$1,20", "US$1,50"])
    await expect(card.locator(".before")).to_have_text(["US$1,00", "US$1,50"])


async def test_a_category_markup_previewed_on_a_phone_and_a_laptop_then_saved(
    chromium: Browser, phone: BrowserContext, site: Site, followers_id: int, runtime: Runtime
) -> None:
    page = await phone.new_page()
    await _preview(page, site, followers_id)
    await screenshot(page, "ops_prices_preview_390")
    assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    laptop = await chromium.new_context(viewport=LAPTOP, locale="id-ID")
    try:
        wide = await laptop.new_page()
        await _preview(wide, site, followers_id)
        await screenshot(wide, "ops_prices_preview_1366")
        assert await wide.evaluate("document.documentElement.scrollWidth") <= LAPTOP["width"]
        await wide.click("#save button")
        await expect(wide.locator("#notice")).to_contain_text("Tersimpan: 1 aturan")
        rates = wide.locator(f"#service-{followers_id} .rate")
        await expect(rates).to_have_text(["US$1,20", "US$1,50"])
    finally:
        await laptop.close()
    async with runtime.transaction() as session:
        saved = await session.scalar(select(PriceRule).where(PriceRule.category == "Instagram"))
        assert saved is not None
        assert (saved.tier_id, saved.markup_percent) == (None, Decimal(20))
