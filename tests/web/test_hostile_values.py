"""Every page, in headless Chromium, with markup in every value a reseller, an agency or an
upstream provider can choose: brand fields, account names and emails, service names,
descriptions and categories, order links, review reasons, top-up references, key labels,
provider names. Each payload calls `pwned(tag)`, a function the test exposes to every page:
no call means no script ran. The pages must show the values as text, and the
Content-Security-Policy must block nothing of the pages' own (a violation would mean either
markup got through or the policy breaks the page)."""

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from playwright.async_api import BrowserContext, ConsoleMessage, Page, expect
from pydantic import SecretStr

from panel.accounts import invitations, passwords
from panel.accounts import service as accounts
from panel.brands import brand_book
from panel.config import Settings, WebSettings
from panel.keys import service as keys
from panel.ledger import service as ledger
from panel.ledger import top_up_requests
from panel.models import Account, AccountKind, OrderStatus, Service
from panel.orders import service as orders
from panel.plumbing.runtime import Runtime
from tests.fixtures.factories import build_world
from tests.web.browsing import LOGIN_ATTEMPTS, Site, screenshot, sign_in

pytestmark = pytest.mark.slow

PASSWORD = "correct horse battery"

# Swagger UI renders the whole OpenAPI document in the browser: on a busy 2-core machine that
# takes longer than Playwright's default 5 s.
SWAGGER_MS = 20_000


def hostile(tag: str) -> str:
    """A value that runs `pwned(tag)` wherever it lands unescaped: in text, in an attribute, in
    a title, in a style block."""
    call = f"pwned('{tag}')"
    return f'</title></style>"\'><script>{call}</script><img src=x onerror="{call}">{tag}'


BRAND = hostile("brand")[:100]  # the brand's name column holds 100 characters
OPERATOR_BRAND = hostile("operator")


@dataclass
class Watch:
    """What the pages of one browser profile did that they must not."""

    pwned: list[tuple[str, str]] = field(default_factory=list)
    violations: list[tuple[str, str, str]] = field(default_factory=list)
    console: list[str] = field(default_factory=list)

    def clean(self) -> bool:
        return not (self.pwned or self.violations or self.console)


async def watched(context: BrowserContext) -> Watch:
    watch = Watch()

    def pwned(source: dict[str, Any], tag: str) -> None:
        watch.pwned.append((source["page"].url, tag))

    def violated(source: dict[str, Any], directive: str, blocked: str) -> None:
        watch.violations.append((source["page"].url, directive, blocked))

    await context.expose_binding("pwned", pwned)
    await context.expose_binding("violated", violated)
    await context.add_init_script(
        "document.addEventListener('securitypolicyviolation',"
        " (e) => violated(e.violatedDirective, e.blockedURI));"
    )
    return watch


def listen(page: Page, watch: Watch) -> Page:
    def on_console(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            watch.console.append(message.text)

    page.on("console", on_console)
    return page


@dataclass
class Hostile:
    agency: Account
    reseller: Account
    service: Service
    token: str


@pytest.fixture
def web_settings(pipeline_settings: Settings) -> Settings:
    web = WebSettings(
        secret=SecretStr("browser-test-" + "s" * 32),
        login_attempts=LOGIN_ATTEMPTS,
        brand_name=OPERATOR_BRAND,
    )
    return pipeline_settings.model_copy(update={"web": web})


@pytest.fixture
async def hostile_world(runtime: Runtime) -> Hostile:
    async with runtime.transaction() as session:
        world = await build_world(session)
        # Stored as they are: the pages must be safe whatever the database holds, not only
        # what today's forms let through.
        await brand_book.set_brand(
            session,
            world.reseller,
            name=BRAND,
            hosts=["a.example"],
            logo_url="x\" onerror=\"pwned('logo')",
            # The colour columns hold seven characters: enough to close the style block.
            primary_color="</style",
            accent_color='"><b x=',
            whatsapp_url="javascript:pwned('whatsapp')",
            payment_instructions=hostile("payment"),
        )
        world.provider.name = hostile("provider")
        for name, service in world.services.items():
            service.name = hostile(f"service-{name}")
            service.description = hostile(f"description-{name}")
            service.category = hostile(f"category-{name}")
        agency, reseller = world.agency, world.reseller
        agency.name = hostile("agency")
        reseller.name = hostile("reseller")
        for account, email in ((agency, "agency@example.com"), (reseller, "owner@example.com")):
            account.email = email
            await passwords.set_password(session, account, PASSWORD)
        sibling = await accounts.create(
            session, kind=AccountKind.agency, name=hostile("sibling"), parent_id=reseller.id
        )
        sibling.email = '"><img src=x onerror="pwned(\'email\')">@example.com'
        await ledger.fund_agency(session, sibling.id, Decimal(5), "float", None)

        followers = world.services["followers"]
        placed = await orders.accept(
            session, agency, followers.id, {"link": "https://instagram.com/x", "quantity": "100"}
        )
        placed.link = hostile("link")
        stuck = await orders.accept(
            session, agency, followers.id, {"link": "https://instagram.com/y", "quantity": "100"}
        )
        stuck.link = hostile("review-link")
        stuck.status, stuck.review_reason = OrderStatus.needs_review, hostile("reason")
        await top_up_requests.ask(session, agency, Decimal(3), hostile("reference"))
        await keys.issue(session, agency, label=hostile("key"))
        token = await invitations.invite_agency(
            session, reseller, hostile("note"), datetime.now(UTC)
        )

        operator = await accounts.create(
            session, kind=AccountKind.operator, name=hostile("ops"), email="ops@example.com"
        )
        await passwords.set_password(session, operator, PASSWORD)
    return Hostile(agency, reseller, followers, token)


async def visit(page: Page, url: str) -> None:
    answer = await page.goto(url)
    assert answer is not None, url
    assert answer.ok, (url, answer.status)
    await page.wait_for_load_state("load")


async def each(page: Page, site: Site, host: str, paths: list[str]) -> None:
    for path in paths:
        await visit(page, site.url(host, path))
        # The brand's name, where the header shows it, reads as the text it is.
        header = page.locator("header strong")
        if await header.count():
            expected = OPERATOR_BRAND if host == "panel.example" else BRAND
            await expect(header).to_have_text(expected)


async def test_no_page_runs_a_hostile_value(
    phone: BrowserContext, site: Site, hostile_world: Hostile, runtime: Runtime
) -> None:
    watch = await watched(phone)
    page = listen(await phone.new_page(), watch)
    # Signed out: sign-in, an invitation, the REST reference under the brand.
    await each(page, site, "a.example", ["/login", f"/join/{hostile_world.token}"])
    await visit(page, site.url("a.example", "/docs"))
    await expect(page.locator(".swagger-ui .info .title")).to_contain_text(
        "brand", timeout=SWAGGER_MS
    )
    assert await page.title() == f"{BRAND} API"
    await screenshot(page, "hostile_docs")

    # The agency's pages.
    await sign_in(page, site, "a.example", "agency@example.com", PASSWORD)
    await expect(page.locator("#balance")).to_be_visible()
    await each(
        page,
        site,
        "a.example",
        ["/", "/services", "/orders", "/orders/mass", "/funds", "/api-access", "/api-access/docs"],
    )
    await visit(page, site.url("a.example", "/services"))
    await expect(page.locator("main")).to_contain_text(hostile("service-followers"))
    await expect(page.locator("main")).to_contain_text(hostile("category-followers"))
    await visit(page, site.url("a.example", "/orders"))
    await expect(page.locator("main")).to_contain_text(hostile("link"))
    await visit(page, site.url("a.example", "/funds"))
    await expect(page.locator("#payment-instructions")).to_have_text(hostile("payment"))
    await expect(page.locator("main")).to_contain_text(hostile("reference"))
    await screenshot(page, "hostile_funds")
    await visit(page, site.url("a.example", "/api-access"))
    await expect(page.locator("main")).to_contain_text(hostile("key"))

    # The page's own script still runs under the policy: the charge follows the quantity.
    await visit(page, site.url("a.example", f"/orders/new?service={hostile_world.service.id}"))
    charge = page.locator("#charge")
    before = await charge.inner_text()
    await page.fill("#quantity", "1000")
    await expect(charge).not_to_have_text(before)
    await screenshot(page, "hostile_new_order")
    # A mass order whose lines are markup: the result shows each line back, as text.
    await visit(page, site.url("a.example", "/orders/mass"))
    await page.fill("#orders", f"{hostile_world.service.id}|{hostile('mass')}|100")
    await page.click("#mass-order button[type=submit]")
    await expect(page.locator("main")).to_contain_text(hostile("mass"))
    await visit(page, site.url("a.example", "/docs"))
    await expect(page.locator(".swagger-ui .info .title")).to_be_visible(timeout=SWAGGER_MS)

    # The reseller's console.
    await page.context.clear_cookies()
    await sign_in(page, site, "a.example", "owner@example.com", PASSWORD)
    await expect(page.locator("nav.tabs")).to_be_visible()
    await each(
        page,
        site,
        "a.example",
        [
            "/",
            "/console/agencies",
            "/console/top-ups",
            "/console/orders",
            "/console/margin",
            "/console/markup",
            "/console/brand",
            "/services",
            "/orders",
            "/api-access",
        ],
    )
    await visit(page, site.url("a.example", "/console/agencies"))
    await expect(page.locator("main")).to_contain_text(hostile("sibling"))
    await expect(page.locator("main")).to_contain_text("pwned('email')")
    await screenshot(page, "hostile_console_agencies")
    await page.fill("#note", hostile("invitation")[:200])
    await page.click("#invite button[type=submit]")
    await expect(page.locator("main")).to_contain_text(hostile("invitation"))
    await visit(page, site.url("a.example", "/console/brand"))
    await expect(page.locator("#name")).to_have_value(BRAND)

    # The operator, on the platform's own host.
    await page.context.clear_cookies()
    await sign_in(page, site, "panel.example", "ops@example.com", PASSWORD)
    await each(page, site, "panel.example", ["/ops/review", "/ops/providers"])
    await visit(page, site.url("panel.example", "/ops/review"))
    await expect(page.locator("main")).to_contain_text(hostile("reason"))
    await expect(page.locator("main")).to_contain_text(hostile("review-link"))
    await visit(page, site.url("panel.example", "/ops/providers"))
    await expect(page.locator("main")).to_contain_text(hostile("provider"))
    await visit(page, site.url("panel.example", "/docs"))
    await expect(page.locator(".swagger-ui .info .title")).to_be_visible(timeout=SWAGGER_MS)
    assert await page.title() == f"{OPERATOR_BRAND} API"

    assert watch.clean(), watch


async def test_a_javascript_link_in_the_brand_is_blocked(
    phone: BrowserContext, site: Site, hostile_world: Hostile
) -> None:
    """What escaping cannot stop, the policy does: a `javascript:` support link, followed."""
    watch = await watched(phone)
    page = listen(await phone.new_page(), watch)
    await sign_in(page, site, "a.example", "agency@example.com", PASSWORD)
    await expect(page.locator("#balance")).to_be_visible()
    await page.click("a.support")
    await page.wait_for_timeout(300)
    assert watch.pwned == []
    assert watch.violations, "the link was not blocked by the policy"
    assert all(directive.startswith("script-src") for _, directive, _ in watch.violations)
