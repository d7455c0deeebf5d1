"""The web panel in a real browser: Debian's Chromium, headless, driven by Playwright, against
the app served over HTTP on a port of its own. Brand host names resolve to 127.0.0.1 inside
Chromium, so each test can visit `http://a.example:<port>` as a phone would visit a brand.

Screenshots land in `tests/screenshots/` (git-ignored), at phone width."""

import os
import shutil
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.async_api import Browser, BrowserContext, Page, async_playwright
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncSession

from panel.app import create_app
from panel.brands import brand_book
from panel.config import Settings, WebSettings
from panel.models import Account
from tests.fixtures.app_server import AppServer

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[1] / "screenshots"
PHONE = {"width": 390, "height": 844}
HOSTS = ("a.example", "b.example", "panel.example")
LOGIN_ATTEMPTS = 3


@pytest.fixture(scope="session")
async def chromium() -> AsyncIterator[Browser]:
    if not os.path.exists(CHROMIUM):
        message = "Chromium is not installed: apt-get install chromium"
        if os.environ.get("PASOK_REQUIRE_BROWSER"):
            pytest.fail(message)
        pytest.skip(message)
    rules = ", ".join(f"MAP {host} 127.0.0.1" for host in HOSTS)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                f"--host-resolver-rules={rules}",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
            ],
        )
        yield browser
        await browser.close()


@dataclass(frozen=True)
class Site:
    """The panel served over HTTP: `url("a.example", "/orders")` is that page on that host."""

    port: int

    def url(self, host: str, path: str = "/") -> str:
        return f"http://{host}:{self.port}{path}"


@pytest.fixture
def web_settings(pipeline_settings: Settings) -> Settings:
    web = WebSettings(secret=SecretStr("browser-test-" + "s" * 32), login_attempts=LOGIN_ATTEMPTS)
    return pipeline_settings.model_copy(update={"web": web})


@pytest.fixture
def site(web_settings: Settings) -> Iterator[Site]:
    """The whole app, with its own runtime, in a server thread; the test's data is committed."""
    server = AppServer(create_app(web_settings), lifespan="on").start()
    yield Site(server.port)
    server.stop()


@pytest.fixture
async def phone(chromium: Browser) -> AsyncIterator[BrowserContext]:
    """A fresh browser profile on a phone in Indonesia: no cookies, no cache."""
    context = await chromium.new_context(viewport=PHONE, locale="id-ID")
    yield context
    await context.close()


@pytest.fixture
async def another_phone(chromium: Browser) -> AsyncIterator[BrowserContext]:
    """A second visitor, with a profile of its own."""
    context = await chromium.new_context(viewport=PHONE, locale="id-ID")
    yield context
    await context.close()


async def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    await page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)


async def sign_in(page: Page, site: Site, host: str, email: str, password: str) -> None:
    await page.goto(site.url(host, "/login"))
    await page.fill("#email", email)
    await page.fill("#password", password)
    await page.click("form[action='/login'] button[type=submit]")


async def toko_sosmed(
    session: AsyncSession,
    reseller: Account,
    *,
    primary_color: str = "#0f766e",
    whatsapp_url: str | None = None,
    payment_instructions: str = "BCA 123 456 7890",
) -> None:
    """The reseller's brand as the browser tests see it: "Toko Sosmed" on a.example."""
    await brand_book.set_brand(
        session,
        reseller,
        name="Toko Sosmed",
        hosts=["a.example"],
        logo_url=None,
        primary_color=primary_color,
        accent_color="#111827",
        whatsapp_url=whatsapp_url,
        payment_instructions=payment_instructions,
    )
