"""A complaint on a phone, in headless Chromium: the agency picks "Komplain" on its order list,
opens the ticket, watches the automatic answer appear without reloading, replies, and its
reseller answers from the console in a browser of its own, with a canned reply."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from playwright.async_api import BrowserContext, ConsoleMessage, Page, expect
from sqlalchemy import select

from panel.accounts import passwords
from panel.models import Party, Ticket, TicketStatus
from panel.orders import service as orders
from panel.plumbing.runtime import Runtime
from panel.support import answers, canned, tickets
from tests.fixtures.factories import build_world
from tests.web.browsing import PHONE, Site, screenshot, sign_in, toko_sosmed

pytestmark = pytest.mark.slow

PASSWORD = "correct horse battery"
CANNED = "Pesanan Anda sudah kami cek, sebentar lagi jalan."


def _watch(page: Page) -> list[str]:
    """What the browser refused or failed at: a CSP refusal is a bug of the page."""
    refused: list[str] = []

    def seen(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or message.type == "error":
            refused.append(f"{page.url}: {message.text}")

    page.on("console", seen)
    return refused


async def test_an_agency_complains_from_its_orders_and_its_reseller_answers(
    phone: BrowserContext, another_phone: BrowserContext, site: Site, runtime: Runtime
) -> None:
    async with runtime.transaction() as session:
        world = await build_world(session, agency_balance=Decimal(20))
        await toko_sosmed(
            session,
            world.reseller,
            whatsapp_url="https://wa.me/6281234567",
            payment_instructions="BCA 123 a.n. Toko Sosmed",
        )
        for account, email in ((world.agency, "a1@example.com"), (world.reseller, "r@example.com")):
            account.email = email
            await passwords.set_password(session, account, PASSWORD)
        order = await orders.accept(
            session,
            world.agency,
            world.services["followers"].id,
            {"link": "https://instagram.com/toko-a1", "quantity": "500"},
        )
        await canned.add(session, world.reseller.id, "Sedang dicek", CANNED)

    agency = await phone.new_page()
    refused = _watch(agency)
    await sign_in(agency, site, "a.example", "a1@example.com", PASSWORD)
    await agency.goto(site.url("a.example", "/orders"))
    await agency.locator(f"#order-{order.id} a.complain").click()
    await expect(agency.locator("#order_ids")).to_have_value(str(order.id))
    await agency.select_option("#reason", "not_started")
    await agency.fill("#message", "Sudah lama belum mulai")
    await screenshot(agency, "ticket_new")
    await agency.click("#ticket-form button[type=submit]")

    await expect(agency.locator("#ticket-state")).to_have_text("Sedang dijawab otomatis")
    await expect(agency.locator(f"#ticket-order-{order.id} .pending")).to_be_visible()
    async with runtime.transaction() as session:
        ticket = (await session.scalars(select(Ticket))).one()
        assert ticket.waiting_on is Party.automation
        # What the worker's job does: answer every order of the ticket.
        await answers.answer(
            session, ticket.id, datetime.now(UTC), currency=runtime.settings.currency
        )

    # Nobody reloads: the automatic answer appears by itself within a few seconds.
    answer = agency.locator(f"#ticket-order-{order.id} .answer")
    await expect(answer).not_to_have_class("answer pending", timeout=6_000)
    await expect(answer).to_contain_text(f"#{order.id}")
    async with runtime.transaction() as session:
        answered = await session.get_one(Ticket, ticket.id)
        settled = answered.auto_answered
    await expect(agency.locator("#close-done")).to_have_count(1 if settled else 0)
    width = await agency.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"]
    await screenshot(agency, "ticket_answered")

    await agency.fill("#body", "Terima kasih, tapi masih 0")
    await agency.click("#reply-form button[type=submit]")
    await expect(agency.locator("#messages")).to_contain_text("Terima kasih, tapi masih 0")
    await expect(agency.locator("#ticket-state")).to_have_text("Menunggu jawaban reseller")

    reseller = await another_phone.new_page()
    refused += _watch(reseller)
    await sign_in(reseller, site, "a.example", "r@example.com", PASSWORD)
    await expect(reseller.locator("#unread-badge")).to_have_text("1")
    await reseller.goto(site.url("a.example", "/console/tickets"))
    await reseller.locator(f"#ticket-{ticket.id} a").click()
    await expect(reseller.locator("#messages")).to_contain_text("Terima kasih, tapi masih 0")
    await reseller.select_option("#canned-pick", label="Sedang dicek")
    await expect(reseller.locator("#body")).to_have_value(CANNED)
    await screenshot(reseller, "console_ticket")
    await reseller.click("#reply-form button[type=submit]")
    await expect(reseller.locator("#ticket-state")).to_have_text("Menunggu balasan pembeli")

    await agency.goto(site.url("a.example", "/tickets"))
    await expect(agency.locator("#unread-badge")).to_have_text("1")
    await agency.locator(f"#ticket-{ticket.id} a").click()
    await expect(agency.locator("#messages")).to_contain_text(CANNED)
    await expect(agency.locator("#unread-badge")).to_have_count(0)
    await expect(agency.locator("a.support")).to_have_attribute("href", "https://wa.me/6281234567")
    assert refused == []

    async with runtime.transaction() as session:
        done = await session.get_one(Ticket, ticket.id)
        assert (done.status, done.waiting_on) == (TicketStatus.answered, Party.buyer)
        assert done.first_human_answer_at is not None
        bodies = [(m.party, m.body) for m in await tickets.messages_of(session, done)]
    assert bodies[0] == (Party.buyer, "Sudah lama belum mulai")
    assert bodies[1][0] is Party.automation
    assert bodies[2:] == [(Party.buyer, "Terima kasih, tapi masih 0"), (Party.reseller, CANNED)]
