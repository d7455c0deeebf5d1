"""The web panel's new-order page as an agency on a phone gets it: bytes and first paint.

    .venv/bin/python bench/web_new_order.py [runs=5]

One scratch database holds a reseller whose brand answers on brand.example, an agency of that
reseller (email, password, balance) and one priced service. `pasok api` serves the panel;
headless Chromium resolves brand.example to 127.0.0.1, signs in through the login form once, and
then opens `/orders/new?service=<id>` at 390x844 with a cold cache (a new browser context) for
every run, under "Slow 4G" and "Regular 3G" network emulation and 4x CPU throttling.

For each profile, first without a brand logo and then with one, it prints the bytes that crossed
the network (Chromium's `encodedDataLength`, headers included, for the document and all it
loads) and the median and worst first paint and first contentful paint. Target: under 100 KB
(100,000 bytes) without the logo. The logo is a small PNG served by this script over HTTP on
another port of brand.example, as a logo on a CDN would be: the panel serves no files itself.
"""

import asyncio
import math
import statistics
import struct
import sys
import threading
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from playwright.async_api import Browser, async_playwright

# Run as a file (`python bench/web_new_order.py`), `bench` is not importable without its parent.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.setup import (  # noqa: E402
    REDIS_URL,
    catalogue_for,
    free_port,
    process,
    scratch_database,
)

HOST = "brand.example"
EMAIL = "agency@brand.example"
PASSWORD = "bench-password-1"
TARGET_BYTES = 100_000
CHROMIUM = "/usr/bin/chromium"
# A phone: the width most pages are checked at, a phone's pixel density, touch; in Indonesian,
# the panel's first language, so the page carries the words agencies mostly get.
PHONE: dict[str, Any] = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 3,
    "is_mobile": True,
    "has_touch": True,
    "locale": "id-ID",
}
CPU_SLOWDOWN = 4


@dataclass(frozen=True)
class Profile:
    name: str
    latency_ms: float
    down_kbit: float
    up_kbit: float

    def conditions(self) -> dict[str, Any]:
        """CDP `Network.emulateNetworkConditions` wants bytes per second."""
        return {
            "offline": False,
            "latency": self.latency_ms,
            "downloadThroughput": self.down_kbit * 1000 / 8,
            "uploadThroughput": self.up_kbit * 1000 / 8,
        }


PROFILES = [
    Profile("Slow 4G", 150, 1600, 750),
    Profile("Regular 3G", 300, 750, 250),
]


@dataclass
class Run:
    """One cold load of the page."""

    bytes_by_url: dict[str, int]
    timing_bytes: int  # Resource Timing's transferSize, navigation + resources, as a check
    document: dict[str, float]  # where the document's bytes go, from DOCUMENT_JS
    first_paint_ms: float
    first_contentful_paint_ms: float

    @property
    def bytes(self) -> int:
        return sum(self.bytes_by_url.values())


@dataclass
class World:
    database_url: str
    reseller_id: int
    service_id: int


# --- the world ---------------------------------------------------------------------------------


async def seed(url: str) -> World:
    """Through the services: a provider, a priced service and a funded reseller (bench/setup.py),
    then the reseller's brand on HOST, its 20% markup and a funded agency that can sign in."""
    from panel.accounts import passwords
    from panel.accounts import service as accounts
    from panel.ledger import service as ledger
    from panel.models import Account, AccountKind
    from panel.plumbing.db import create_engine, create_sessionmaker, transaction
    from panel.pricing import rule_book

    made = await catalogue_for(url, "http://127.0.0.1:9/api/v2", 1, Decimal(1000))
    reseller_id = made["resellers"][0][0]  # type: ignore[index]
    engine = create_engine(url, pool_size=1)
    async with transaction(create_sessionmaker(engine)) as session:
        reseller = await session.get(Account, reseller_id)
        assert reseller is not None
        await rule_book.create(session, owner_id=reseller.id, markup_percent=Decimal(20))
        agency = await accounts.create(
            session, kind=AccountKind.agency, name="Agency", email=EMAIL, parent_id=reseller.id
        )
        await passwords.set_password(session, agency, PASSWORD)
        await ledger.fund_agency(session, agency.id, Decimal(100), "bench funds", None)
    await engine.dispose()
    world = World(url, reseller_id, made["service"])  # type: ignore[arg-type]
    await set_logo(world, None)
    return world


async def set_logo(world: World, logo_url: str | None) -> None:
    """The brand as a reseller would fill it in, with or without a logo. Pages read the brand on
    every request, so the running server shows the change at once."""
    from panel.brands.brand_book import set_brand
    from panel.models import Account
    from panel.plumbing.db import create_engine, create_sessionmaker, transaction

    engine = create_engine(world.database_url, pool_size=1)
    async with transaction(create_sessionmaker(engine)) as session:
        reseller = await session.get(Account, world.reseller_id)
        assert reseller is not None
        await set_brand(
            session,
            reseller,
            name="Sosmed Jaya",
            hosts=[HOST],
            logo_url=logo_url,
            primary_color="#0a7d5a",
            accent_color="#10201a",
            whatsapp_url="https://wa.me/6281234567890",
            payment_instructions="Transfer to BCA 1234567890 and send the receipt on WhatsApp.",
        )
    await engine.dispose()


# --- the logo ----------------------------------------------------------------------------------


def logo_png(size: int = 84) -> bytes:
    """A square mark 28 CSS px high at 3x density: a ring over a diagonal gradient, with
    anti-aliased edges so that it compresses like a drawn logo rather than a flat fill."""
    centre, outer, inner = size / 2, size / 2 - 1, size / 2 - 12
    rows = bytearray()
    for y in range(size):
        rows.append(0)  # PNG row filter: none
        for x in range(size):
            distance = math.hypot(x + 0.5 - centre, y + 0.5 - centre)
            ring = min(max(outer - distance, 0), 1) * (1 - min(max(inner - distance, 0), 1) * 0.7)
            shade = (x + y) / (2 * size)
            rgb = (int(40 + 150 * shade), int(200 - 90 * shade), int(140 + 100 * shade))
            rows.extend((*rgb, int(255 * ring)))

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data)
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(bytes(rows), 9))
        + chunk(b"IEND", b"")
    )


@contextmanager
def logo_server(png: bytes) -> Iterator[int]:
    """Serves `png` at /logo.png on a free port until the block ends; yields the port."""

    class Logo(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path != "/logo.png":
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(png)))
            self.send_header("Cache-Control", "public, max-age=86400")
            # Lets Resource Timing report its size across origins, to check CDP's count.
            self.send_header("Timing-Allow-Origin", "*")
            self.end_headers()
            self.wfile.write(png)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Logo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


# --- the browser -------------------------------------------------------------------------------


async def sign_in(browser: Browser, base: str) -> dict[str, Any]:
    """Signs the agency in through the login form (with its CSRF field) and returns the
    cookies, so that every measured run starts signed in but with nothing cached."""
    context = await browser.new_context(**PHONE)
    try:
        page = await context.new_page()
        await page.goto(f"{base}/login")
        await page.fill("#email", EMAIL)
        await page.fill("#password", PASSWORD)
        async with page.expect_navigation():
            await page.click("main button[type=submit]")
        if page.url != f"{base}/":
            raise RuntimeError(f"sign-in ended on {page.url}, not the dashboard")
        state: dict[str, Any] = await context.storage_state()  # type: ignore[assignment]
        return state
    finally:
        await context.close()


PAINTS_JS = """() => Object.fromEntries(
    performance.getEntriesByType('paint').map(entry => [entry.name, entry.startTime]))"""
TRANSFER_JS = """() => [...performance.getEntriesByType('navigation'),
    ...performance.getEntriesByType('resource')].reduce((sum, e) => sum + e.transferSize, 0)"""
# The page is uncompressed HTML, so characters of inline CSS and script are (ASCII) bytes.
DOCUMENT_JS = """() => {
    const nav = performance.getEntriesByType('navigation')[0];
    const text = selector => [...document.querySelectorAll(selector)]
        .reduce((sum, e) => sum + e.outerHTML.length, 0);
    return {body: nav.encodedBodySize, decoded: nav.decodedBodySize,
            style: text('style'), script: text('script'), svg: text('svg')};
}"""


async def measure(browser: Browser, state: dict[str, Any], url: str, profile: Profile) -> Run:
    """One load of `url` in a new context (empty cache, new connections), throttled."""
    context = await browser.new_context(storage_state=state, **PHONE)  # type: ignore[arg-type]
    try:
        page = await context.new_page()
        cdp = await context.new_cdp_session(page)
        urls: dict[str, str] = {}
        sizes: dict[str, int] = {}
        cdp.on(
            "Network.requestWillBeSent",
            lambda e: urls.__setitem__(e["requestId"], e["request"]["url"]),
        )
        cdp.on(
            "Network.loadingFinished",
            lambda e: sizes.__setitem__(e["requestId"], int(e["encodedDataLength"])),
        )
        await cdp.send("Network.enable")
        await cdp.send("Network.emulateNetworkConditions", profile.conditions())
        await cdp.send("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})
        response = await page.goto(url, wait_until="load")
        # A redirect to /login or /services would be measured as the wrong page.
        if response is None or response.status != 200 or page.url != url:
            raise RuntimeError(f"{url} answered {response and response.status} at {page.url}")
        await page.wait_for_selector("#new-order", state="attached")
        # Paint entries can come after `load` on a page this small; the bytes are all counted
        # once the network is idle.
        await page.wait_for_function(
            "performance.getEntriesByType('paint').some(e => e.name == 'first-contentful-paint')"
        )
        await page.wait_for_load_state("networkidle")
        paints = await page.evaluate(PAINTS_JS)
        timing_bytes = int(await page.evaluate(TRANSFER_JS))
        document = await page.evaluate(DOCUMENT_JS)
        return Run(
            {urls.get(request, request): size for request, size in sizes.items()},
            timing_bytes,
            document,
            paints["first-paint"],
            paints["first-contentful-paint"],
        )
    finally:
        await context.close()


# --- the report --------------------------------------------------------------------------------


def line(profile: Profile, logo: str, runs: list[Run]) -> str:
    fp = [run.first_paint_ms for run in runs]
    fcp = [run.first_contentful_paint_ms for run in runs]
    size = int(statistics.median(run.bytes for run in runs))
    verdict = "met" if size < TARGET_BYTES else "NOT MET"
    return (
        f"{profile.name} ({profile.latency_ms:.0f} ms, {profile.down_kbit / 1000:g}/"
        f"{profile.up_kbit / 1000:g} Mbit/s, CPU {CPU_SLOWDOWN}x), {logo}: {size:,} B transferred; "
        f"FP median {statistics.median(fp):.0f} ms, worst {max(fp):.0f} ms; "
        f"FCP median {statistics.median(fcp):.0f} ms, worst {max(fcp):.0f} ms; "
        f"target < {TARGET_BYTES // 1000} KB: {verdict}"
    )


def breakdown(run: Run, page_url: str) -> str:
    """Bytes by URL, and what the document's are made of: CDP's count less the body is the
    headers (Resource Timing counts any headers as a flat 300 B in Chromium). The parts are of
    the decoded document: the body may travel compressed."""
    doc = run.document
    markup = doc["decoded"] - doc["style"] - doc["script"] - doc["svg"]
    parts = [f"    {size:>7,} B  {url}" for url, size in sorted(run.bytes_by_url.items())]
    parts.append(
        f"             document: {run.bytes_by_url[page_url] - doc['body']:,.0f} B headers, "
        f"{doc['body']:,.0f} B body ({doc['decoded']:,.0f} B decoded): "
        f"{doc['style']:,.0f} B <style>, {doc['script']:,.0f} B <script>, "
        f"{doc['svg']:,.0f} B <svg>, {markup:,.0f} B the rest"
    )
    parts.append(
        f"    {run.bytes:>7,} B  in all (Resource Timing transferSize: {run.timing_bytes:,} B)"
    )
    return "\n".join(parts)


async def main(runs: int) -> None:
    async with scratch_database() as url:
        world = await seed(url)
        port = free_port()
        env = {
            "PASOK_DATABASE_URL": url,
            "PASOK_REDIS_URL": REDIS_URL,
            "PASOK_LOG_LEVEL": "WARNING",
            "PASOK_WEB__SECRET": "bench-web-secret-long-enough-to-sign-sessions",
            # Every sign-in and page comes from one address.
            "PASOK_RATE_LIMITS__ENABLED": "false",
        }
        api = ["api", "--port", str(port), "--processes", "1"]
        base = f"http://{HOST}:{port}"
        png = logo_png()
        with (
            process(api, env, f"http://127.0.0.1:{port}/healthz"),
            logo_server(png) as logo_port,
        ):
            async with async_playwright() as playwright:
                browser = await playwright.chromium.launch(
                    executable_path=CHROMIUM,
                    args=[
                        "--no-sandbox",
                        "--disable-gpu",
                        "--disable-background-networking",
                        f"--host-resolver-rules=MAP {HOST} 127.0.0.1",
                    ],
                )
                try:
                    state = await sign_in(browser, base)
                    page_url = f"{base}/orders/new?service={world.service_id}"
                    await measure(browser, state, page_url, PROFILES[0])  # warm the server
                    for logo, logo_url in (
                        ("no logo", None),
                        (f"logo {len(png):,} B PNG", f"http://{HOST}:{logo_port}/logo.png"),
                    ):
                        await set_logo(world, logo_url)
                        for profile in PROFILES:
                            measured = [
                                await measure(browser, state, page_url, profile)
                                for _ in range(runs)
                            ]
                            print(line(profile, logo, measured), flush=True)
                        print(breakdown(measured[0], page_url), flush=True)
                finally:
                    await browser.close()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 5))
