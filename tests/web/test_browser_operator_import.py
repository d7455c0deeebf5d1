"""The operator imports a synced provider's catalogue in a real browser: on a phone, filters
nothing, ticks "select all shown", renames one service and imports in one step; every service
comes out sellable (priced through its primary route); on a laptop the page shows them sold.

Screenshots: tests/screenshots/ops_import_390.png and ops_import_1366.png."""

from decimal import Decimal

import pytest
from playwright.async_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    ViewportSize,
    expect,
)
from sqlalchemy import select

from panel.accounts import passwords
from panel.accounts import service as accounts
from panel.catalogue import bulk_import, routes
from panel.catalogue import service as catalogue
from panel.models import AccountKind, ProviderService, Service
from panel.plumbing.runtime import Runtime
from tests.fixtures.factories import build_world
from tests.fixtures.sandbox import SandboxHandle
from tests.web.browsing import PHONE, Site, screenshot, sign_in
from workers import catalogue_jobs

pytestmark = pytest.mark.slow

PASSWORD = "correct horse battery"
HOST = "panel.example"
LAPTOP: ViewportSize = {"width": 1366, "height": 900}


def _watch(page: Page) -> list[str]:
    refused: list[str] = []

    def seen(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or message.type == "error":
            refused.append(message.text)

    page.on("console", seen)
    return refused


async def _width(page: Page) -> int:
    width: int = await page.evaluate("document.documentElement.scrollWidth")
    return width


async def test_bulk_import_of_a_synced_provider(
    phone: BrowserContext,
    chromium: Browser,
    site: Site,
    runtime: Runtime,
    sandbox: SandboxHandle,
) -> None:
    async with runtime.transaction() as session:
        await build_world(session, agency_balance=Decimal(20))  # price rules for sellers
        operator = await accounts.create(
            session, kind=AccountKind.operator, name="Ops", email="ops@example.com"
        )
        await passwords.set_password(session, operator, PASSWORD)
        provider = await catalogue.create_provider(
            session, name="Sandbox", api_url=sandbox.url, api_key="any", currency="USD"
        )
    await catalogue_jobs.sync_provider(runtime, provider.id)
    async with runtime.transaction() as session:
        synced = (
            await session.scalars(
                select(ProviderService)
                .where(ProviderService.provider_id == provider.id, ProviderService.active)
                .order_by(ProviderService.category, ProviderService.name, ProviderService.id)
            )
        ).all()
    assert synced

    page = await phone.new_page()
    refused = _watch(page)
    await sign_in(page, site, HOST, "ops@example.com", PASSWORD)
    await page.goto(site.url(HOST, "/ops/providers"))
    await page.locator(f"#provider-{provider.id} a.import-link").click()
    await expect(page.locator("#provider-services > li")).to_have_count(len(synced))
    await expect(page.locator("#provider-services .badge.new")).to_have_count(len(synced))
    await page.check("#select-all")
    await expect(page.locator("#provider-services input.pick:checked")).to_have_count(len(synced))
    await page.fill(f"input[name='name_{synced[0].id}']", "Pengikut Instagram Pilihan")
    await page.click("#import-button")
    await expect(page.locator("#import-result")).to_contain_text(
        f"{len(synced)} layanan dibuat dan langsung dijual, 0 sudah ada sebelumnya."
    )
    await expect(page.locator("#provider-services .badge.sold")).to_have_count(len(synced))
    assert await _width(page) <= PHONE["width"]
    await screenshot(page, "ops_import_390")

    async with runtime.transaction() as session:
        sold = await bulk_import.imported(session, [ps.id for ps in synced])
        assert set(sold) == {ps.id for ps in synced}
        priced = dict(await routes.priced_services(session, list(sold.values())))
        assert len(priced) == len(synced)  # each one sellable: a live primary route, a cost
        first = await session.get_one(Service, sold[synced[0].id])
        assert first.name == "Pengikut Instagram Pilihan"

    laptop = await chromium.new_context(viewport=LAPTOP, locale="id-ID")
    try:
        wide = await laptop.new_page()
        refused += _watch(wide)
        await sign_in(wide, site, HOST, "ops@example.com", PASSWORD)
        await wide.goto(site.url(HOST, f"/ops/providers/{provider.id}/import"))
        await expect(wide.locator("#provider-services input.pick")).to_have_count(0)
        await expect(wide.locator("#shown-count")).to_contain_text(f"{len(synced)} sudah dijual")
        assert await _width(wide) <= LAPTOP["width"]
        await screenshot(wide, "ops_import_1366")
    finally:
        await laptop.close()
    assert refused == []
