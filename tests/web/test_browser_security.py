"""Two-step sign-in on a phone, in headless Chromium: turned on from the security page with
the key shown, the recovery codes shown once, the code asked after the password, and the
sign-in history; every page fits the phone's width."""

import base64
import time
from decimal import Decimal

import pytest
from playwright.async_api import BrowserContext, Page, expect

from panel.accounts import passwords, totp
from panel.plumbing.runtime import Runtime
from tests.fixtures.factories import build_world
from tests.web.browsing import PHONE, Site, screenshot, sign_in, toko_sosmed

pytestmark = pytest.mark.slow

PASSWORD = "correct horse battery"
EMAIL = "agensi@example.com"


async def _agency(runtime: Runtime) -> None:
    async with runtime.transaction() as session:
        world = await build_world(session, agency_balance=Decimal(10))
        await toko_sosmed(session, world.reseller, primary_color="#c2410c", payment_instructions="")
        world.agency.email = EMAIL
        await passwords.set_password(session, world.agency, PASSWORD)


async def _fits(page: Page) -> None:
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width} px wide"


def _code(secret: str, offset: int = 0) -> str:
    raw = base64.b32decode(secret + "=" * (-len(secret) % 8))
    return totp.code_at(raw, totp.step_at(time.time()) + offset)


async def test_two_step_sign_in_on_a_phone(
    runtime: Runtime, site: Site, phone: BrowserContext
) -> None:
    if time.time() % totp.STEP_S > totp.STEP_S - 10:
        time.sleep(totp.STEP_S - time.time() % totp.STEP_S + 0.1)
    await _agency(runtime)
    page = await phone.new_page()
    await sign_in(page, site, "a.example", EMAIL, PASSWORD)
    await page.click("header a[href='/security']")
    await expect(page.locator("#two-factor")).to_contain_text("belum aktif")
    await _fits(page)
    await page.click("#two-factor button[type=submit]")
    secret = (await page.locator("#totp-secret").inner_text()).strip()
    await expect(page.locator("#enrol")).to_contain_text("aplikasi autentikator")
    await _fits(page)
    await screenshot(page, "security-enrol")
    await page.fill("#code", _code(secret, -1))
    await page.click("#enrol button[type=submit]")
    await expect(page.locator("#recovery-codes li")).to_have_count(10)
    await _fits(page)
    await screenshot(page, "security-recovery-codes")
    await page.click("#recovery a.button")
    await page.click("header form[action='/logout'] button")

    await sign_in(page, site, "a.example", EMAIL, PASSWORD)
    await expect(page.locator("#code-step")).to_contain_text("Masukkan kode")
    await _fits(page)
    await screenshot(page, "login-code")
    await page.fill("#code", _code(secret))
    await page.click("#code-step button[type=submit]")
    await expect(page).to_have_url(site.url("a.example", "/"))
    await page.goto(site.url("a.example", "/security"))
    await expect(page.locator("#sign-ins")).to_contain_text("Berhasil masuk")
    await expect(page.locator("#two-factor")).to_contain_text("Sisa kode pemulihan: 10")
    await _fits(page)
    await screenshot(page, "security")
