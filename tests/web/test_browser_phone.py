"""Every page on a 390 px phone, in headless Chromium, with the data real shops hold: links of
several hundred characters with no place to break, long names, sums in the billions. No page
may be wider than the screen. And the order list refreshes open orders by itself.

Screenshots of each page land in tests/screenshots/phone_*.png."""

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from playwright.async_api import BrowserContext, Page, expect

from panel.accounts import invitations, passwords
from panel.accounts import service as accounts
from panel.brands import brand_book
from panel.growth import voucher_book
from panel.keys import service as keys
from panel.ledger import service as ledger
from panel.ledger import top_up_requests
from panel.models import Account, AccountKind, Order, OrderStatus, Service, VoucherKind
from panel.orders import service as orders
from panel.plumbing.runtime import Runtime
from tests.fixtures.factories import build_world
from tests.web.browsing import PHONE, Site, screenshot, sign_in

pytestmark = pytest.mark.slow

PASSWORD = "correct horse battery"
# A link as buyers paste them: tracking parameters, no space, no dash, nowhere to wrap.
LONG_LINK = "https://www.instagram.com/p/" + "C3xYz9AbCdEfGhIjKlMnOpQrStUvWxYz0123456789" * 8
LONG_NAME = "PT Digital Kreatif Nusantara Sejahtera Abadi" + "Selamanya" * 12
LONG_WORD = "Instagram" + "FollowersIndonesiaAktifPermanen" * 6
BIG = Decimal("1234567890.123456")


@dataclass
class Crowded:
    agency: Account
    service: Service
    comments: Service  # a custom-comments service: its form has a text area
    open_order: Order
    provider_id: int  # a provider with services listed: its import page


@pytest.fixture
async def crowded(runtime: Runtime) -> Crowded:
    async with runtime.transaction() as session:
        world = await build_world(session, reseller_balance=BIG * 3, agency_balance=BIG)
        await brand_book.set_brand(
            session,
            world.reseller,
            name=LONG_NAME[:100],
            hosts=["a.example"],
            logo_url=None,
            primary_color="#1d4ed8",
            accent_color="#111827",
            whatsapp_url="https://wa.me/6281234567",
            payment_instructions="Transfer ke BCA 1234567890 a.n. " + LONG_NAME + " " + LONG_LINK,
        )
        world.provider.name = LONG_WORD
        for service in world.services.values():
            service.name = LONG_WORD
            service.category = LONG_WORD
            service.description = "Garansi 30 hari. " + LONG_LINK
        agency, reseller = world.agency, world.reseller
        agency.name, reseller.name = LONG_NAME, LONG_NAME
        for account, email in ((agency, "agency@example.com"), (reseller, "owner@example.com")):
            account.email = email
            await passwords.set_password(session, account, PASSWORD)
        sibling = await accounts.create(
            session, kind=AccountKind.agency, name=LONG_NAME, parent_id=reseller.id
        )
        sibling.email = "a" * 60 + "@" + "contoh-domain-yang-sangat-panjang" * 3 + ".example"
        await ledger.fund_agency(session, sibling.id, BIG, "float", None)

        followers = world.services["followers"]
        made = []
        for status in OrderStatus:
            order = await orders.accept(
                session,
                agency,
                followers.id,
                {"link": f"https://instagram.com/{status.value}", "quantity": "10000"},
            )
            order.link = LONG_LINK
            order.status, order.start_count, order.remains = status, 1_234_567_890, 987_654
            order.review_reason = LONG_LINK
            made.append(order)
        open_order = made[list(OrderStatus).index(OrderStatus.in_progress)]
        await top_up_requests.ask(session, agency, BIG, LONG_LINK[:200])
        await keys.issue(session, agency, label=LONG_WORD[:100])
        await invitations.invite_agency(session, reseller, LONG_LINK[:200], datetime.now(UTC))

        operator = await accounts.create(
            session, kind=AccountKind.operator, name=LONG_NAME, email="ops@example.com"
        )
        await passwords.set_password(session, operator, PASSWORD)
        for issuer in (reseller, operator):
            await voucher_book.issue(
                session,
                issuer,
                voucher_book.Terms(
                    code="X" * 32,
                    kind=VoucherKind.fixed,
                    value=BIG,
                    account_id=sibling.id if issuer is reseller else reseller.id,
                    category=LONG_WORD,
                    min_charge=BIG,
                    max_uses=9_999_999,
                ),
                datetime.now(UTC),
            )
    return Crowded(agency, followers, world.services["comments"], open_order, world.provider.id)


async def _width(page: Page, site: Site, host: str, path: str) -> tuple[str, int] | None:
    """The page's width if it is wider than the phone, else None."""
    answer = await page.goto(site.url(host, path))
    assert answer is not None, path
    assert answer.ok, (path, answer.status)
    await page.wait_for_load_state("load")
    name = re.sub(r"[^a-z0-9]+", "_", f"{host.split('.')[0]}{path}").strip("_")
    await screenshot(page, f"phone_{name}")
    width = await page.evaluate("document.documentElement.scrollWidth")
    return (path, width) if width > PHONE["width"] else None


async def test_no_page_is_wider_than_a_phone(
    phone: BrowserContext, site: Site, crowded: Crowded
) -> None:
    page = await phone.new_page()
    wide = []
    await sign_in(page, site, "a.example", "agency@example.com", PASSWORD)
    await expect(page.locator("#balance")).to_be_visible()
    for path in [
        "/",
        "/services",
        f"/orders/new?service={crowded.service.id}",
        f"/orders/new?service={crowded.comments.id}",
        "/orders",
        "/orders?status=processing&q=instagram",
        "/orders/mass",
        "/funds",
        "/service-updates",
        "/referrals",
        "/api-access",
        "/api-access/docs",
        "/security",
    ]:
        wide.append(await _width(page, site, "a.example", path))

    await page.context.clear_cookies()
    await sign_in(page, site, "a.example", "owner@example.com", PASSWORD)
    await expect(page.locator("nav.tabs")).to_be_visible()
    for path in [
        "/console/agencies",
        "/console/top-ups",
        "/console/orders",
        "/console/margin",
        "/console/markup",
        "/console/brand",
        "/console/announcements",
        "/console/levels",
        "/console/vouchers",
        "/console/referrals",
        "/services",
        "/orders",
        "/api-access",
        "/security",
    ]:
        wide.append(await _width(page, site, "a.example", path))

    await page.context.clear_cookies()
    await sign_in(page, site, "panel.example", "ops@example.com", PASSWORD)
    for path in [
        "/ops",
        "/ops/reports?by=service",
        "/ops/reports?by=reseller",
        "/ops/review",
        "/ops/providers",
        "/ops/prices",
        f"/ops/providers/{crowded.provider_id}/import",
        "/ops/orders?link=instagram",
        f"/ops/orders/{crowded.open_order.id}",
        "/ops/accounts",
        f"/ops/accounts/{crowded.agency.id}",
        "/ops/actions",
        "/ops/announcements",
        "/ops/vouchers",
    ]:
        wide.append(await _width(page, site, "panel.example", path))

    assert [w for w in wide if w] == []


async def test_open_orders_refresh_by_themselves_keeping_the_search(
    phone: BrowserContext, site: Site, crowded: Crowded, runtime: Runtime
) -> None:
    page = await phone.new_page()
    await page.clock.install()
    await sign_in(page, site, "a.example", "agency@example.com", PASSWORD)
    await expect(page.locator("#balance")).to_be_visible()
    await page.goto(site.url("a.example", f"/orders?q={crowded.open_order.id}"))
    badge = page.locator(f"#order-{crowded.open_order.id} .status")
    await expect(badge).to_have_text("Berjalan")
    await expect(page.locator("#orders > li")).to_have_count(1)
    async with runtime.transaction() as session:
        order = await session.get_one(Order, crowded.open_order.id)
        order.status, order.remains = OrderStatus.completed, 0
    await page.clock.run_for(46_000)
    await expect(badge).to_have_text("Selesai")
    await expect(page.locator(f"#order-{crowded.open_order.id} .remains")).to_have_text("0")
    # Still the one order searched for, and nothing left open: no more refreshing.
    await expect(page.locator("#orders > li")).to_have_count(1)
    await expect(page.locator("#orders")).not_to_have_attribute("data-open", "")
    await expect(page.locator("#q")).to_have_value(str(crowded.open_order.id))
