"""Ticket notifications by email and Telegram, against a real SMTP server (aiosmtpd) and a
local fake of the Telegram Bot API over HTTP: each event sent once per account and channel,
retried while a server is down, and never a word of another account's."""

import asyncio
import email
import socket
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from email.message import EmailMessage
from email.policy import default as email_policy
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from fastapi import Body, FastAPI
from fastapi.responses import JSONResponse
from httpx import ASGITransport, AsyncClient
from pydantic import SecretStr
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from panel.accounts import service as accounts
from panel.brands import brand_book
from panel.config import Settings, SupportSettings
from panel.keys import service as keys
from panel.ledger import service as ledger
from panel.models import (
    Account,
    AccountKind,
    Channel,
    Notification,
    NotificationStatus,
    Ticket,
    TicketReason,
    TicketTopic,
)
from panel.orders import service as orders
from panel.plumbing.runtime import Runtime
from panel.support import notify, tickets
from tests.conftest import AppFor
from tests.fixtures.app_server import AppServer
from tests.fixtures.factories import build_world
from workers.notification_jobs import send_due

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
TOKEN = "123456:test-bot-token"
BRAND = "Kilat Media"
RIVAL_ORDER_START = 987_650  # the rival's order ids are unmistakable in any text


# --- the servers ---------------------------------------------------------------------------------


class Inbox:
    """What the SMTP server accepted, as (recipients, parsed message)."""

    def __init__(self) -> None:
        self.received: list[tuple[list[str], EmailMessage]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        parsed = email.message_from_bytes(envelope.content, policy=email_policy)
        assert isinstance(parsed, EmailMessage)
        self.received.append((list(envelope.rcpt_tos), parsed))
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [message for rcpt, message in self.received if address in rcpt]


class SmtpServer:
    """aiosmtpd on a port of its own, which can be stopped and started again on that port."""

    def __init__(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port: int = probe.getsockname()[1]
        self.inbox = Inbox()
        self._controller: Controller | None = None

    def start(self) -> None:
        self._controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


@dataclass
class BotApi:
    """A fake of the Bot API's sendMessage: records what it took; `failing` makes it answer
    with that status (or 200 with `ok: false` for "not ok")."""

    url: str = ""
    token_seen: list[str] = field(default_factory=list)
    sent: list[dict[str, Any]] = field(default_factory=list)
    calls: int = 0
    failing: int | str | None = None

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/bot{token}/sendMessage")
        async def send_message(token: str, body: dict[str, Any] = Body()) -> Any:  # noqa: B008
            self.calls += 1
            self.token_seen.append(token)
            if self.failing == "not ok":
                return {"ok": False, "description": "Too busy"}
            if isinstance(self.failing, int):
                return JSONResponse(
                    {"ok": False, "description": "Bad Request: chat not found"},
                    status_code=self.failing,
                )
            self.sent.append(body)
            return {"ok": True, "result": {"message_id": len(self.sent)}}

        return app

    def to(self, chat_id: str) -> list[str]:
        return [body["text"] for body in self.sent if body["chat_id"] == chat_id]


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def bot() -> Iterator[BotApi]:
    fake = BotApi()
    server = AppServer(fake.app(), lifespan="off").start()
    fake.url = server.base_url
    yield fake
    server.stop()


@pytest.fixture
async def runtime(
    settings: Settings,
    committed: async_sessionmaker[AsyncSession],
    smtp_server: SmtpServer,
    bot: BotApi,
) -> AsyncIterator[Runtime]:
    support = SupportSettings(
        smtp_host="127.0.0.1",
        smtp_port=smtp_server.port,
        smtp_starttls=False,
        smtp_from="tiket@kilat.example",
        smtp_timeout_s=2,
        telegram_bot_token=SecretStr(TOKEN),
        telegram_api_url=bot.url,
        telegram_timeout_s=2,
        first_retry_s=30,
    )
    runtime = await Runtime.start(settings.model_copy(update={"support": support}))
    yield runtime
    await runtime.close()


# --- the people ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class People:
    reseller: int
    agency: int
    rival_reseller: int
    rival: int  # an agency of the other reseller: none of its data may reach the first's people
    operator: int
    rival_order: int


EMAILS = {
    "reseller": "owner@kilat.example",
    "agency": "budi@agency.example",
    "rival_reseller": "boss@rival.example",
    "rival": "rina@rival-agency.example",
    "operator": "ops@pasok.example",
}
NAMES = {
    "reseller": "Kilat Owner Pribadi",
    "agency": "Budi Agency Jaya",
    "rival_reseller": "Rival Reseller Makmur",
    "rival": "Rival Agency Sejahtera",
    "operator": "Operator Pusat",
}
CHATS = {"agency": "1001", "reseller": "2002", "rival": "3003"}


async def _account(session: AsyncSession, account_id: int) -> Account:
    return await session.get_one(Account, account_id)


@pytest.fixture
async def people(runtime: Runtime) -> People:
    async with runtime.transaction() as session:
        world = await build_world(session)
        rival = await accounts.create(
            session, kind=AccountKind.agency, name="x", parent_id=world.other_reseller.id
        )
        await ledger.fund_agency(session, rival.id, Decimal(20), "float", None)
        operator = await accounts.create(session, kind=AccountKind.operator, name="x")
        found = {
            "reseller": world.reseller,
            "agency": world.agency,
            "rival_reseller": world.other_reseller,
            "rival": rival,
            "operator": operator,
        }
        for role, account in found.items():
            account.name, account.email = NAMES[role], EMAILS[role]
            if role in CHATS:
                await notify.set_target(session, account, True, CHATS[role])
        await brand_book.set_brand(
            session,
            world.reseller,
            name=BRAND,
            hosts=["kilat.example"],
            logo_url=None,
            primary_color="#aa0000",
            accent_color="#0e1116",
            whatsapp_url=None,
            payment_instructions="",
        )
        await session.execute(
            text("SELECT setval(pg_get_serial_sequence('\"order\"', 'id'), :at)"),
            {"at": RIVAL_ORDER_START},
        )
        order = await orders.accept(
            session,
            rival,
            world.services["likes"].id,
            {"link": "https://instagram.com/rival-secret", "quantity": "100"},
        )
    return People(
        world.reseller.id, world.agency.id, world.other_reseller.id, rival.id, operator.id, order.id
    )


async def _open(runtime: Runtime, buyer_id: int, message: str, subject: str = "") -> int:
    async with runtime.transaction() as session:
        new = tickets.NewTicket(TicketTopic.payment, TicketReason.other, message, subject=subject)
        return (await tickets.open_ticket(session, await _account(session, buyer_id), new, NOW)).id


async def _reply(runtime: Runtime, author_id: int, ticket_id: int, body: str, at: datetime) -> None:
    async with runtime.transaction() as session:
        await tickets.reply(session, await _account(session, author_id), ticket_id, body, at)


async def _conversation(runtime: Runtime, people: People) -> int:
    """An agency's ticket, answered by its reseller, escalated, answered by the operator; and
    the rival's tickets beside it."""
    ticket = await _open(runtime, people.agency, "Deposit saya belum masuk", "Deposit 14:00")
    await _reply(runtime, people.reseller, ticket, "Sedang kami cek", NOW + timedelta(minutes=1))
    await _reply(runtime, people.agency, ticket, "Masih belum masuk", NOW + timedelta(minutes=2))
    async with runtime.transaction() as session:
        reseller = await _account(session, people.reseller)
        await tickets.escalate(session, reseller, ticket, "Mohon dicek di gateway", NOW)
    await _reply(runtime, people.operator, ticket, "Sudah masuk, maaf", NOW + timedelta(minutes=3))
    async with runtime.transaction() as session:
        rival = await _account(session, people.rival)
        await tickets.open_ticket(
            session,
            rival,
            tickets.NewTicket(
                TicketTopic.order, TicketReason.not_started, "Belum jalan", [people.rival_order]
            ),
            NOW,
        )
    await _open(runtime, people.rival, "Saldo Rival belum masuk", "Saldo rahasia rival")
    return ticket


async def _notifications(runtime: Runtime) -> list[Notification]:
    async with runtime.transaction() as session:
        return list(await session.scalars(select(Notification).order_by(Notification.id)))


# --- the tests -----------------------------------------------------------------------------------


async def test_each_event_is_sent_once_per_account_and_channel(
    runtime: Runtime, people: People, smtp_server: SmtpServer, bot: BotApi
) -> None:
    ticket = await _conversation(runtime, people)
    # Queuing an event again (a job run twice) adds nothing.
    async with runtime.transaction() as session:
        found = await session.get_one(Ticket, ticket)
        assert await notify.ticket_changed(session, found, "replied", NOW) == 0

    # Two workers at once, then another run: every notification is sent by one of them.
    later = NOW + timedelta(minutes=10)
    first, second = await asyncio.gather(send_due(runtime, later), send_due(runtime, later))
    assert await send_due(runtime, NOW + timedelta(hours=1)) == 0
    inbox = smtp_server.inbox
    # The reseller: the new ticket and the agency's second message; the agency: the
    # reseller's and the operator's answers; the operator: the escalation; the rival's
    # reseller: the rival's ticket about payments (its order ticket waits on the automation).
    assert len(inbox.to(EMAILS["reseller"])) == 2
    assert len(inbox.to(EMAILS["agency"])) == 2
    assert len(inbox.to(EMAILS["operator"])) == 1
    assert len(inbox.to(EMAILS["rival_reseller"])) == 1
    assert inbox.to(EMAILS["rival"]) == []
    assert len(inbox.received) == 6
    assert (len(bot.to(CHATS["agency"])), len(bot.to(CHATS["reseller"]))) == (2, 2)
    assert len(bot.sent) == 4
    assert first + second == 10
    assert set(bot.token_seen) == {TOKEN}
    rows = await _notifications(runtime)
    assert {row.status for row in rows} == {NotificationStatus.sent}
    assert {row.attempts for row in rows} == {1}
    # Each says what happened in its ticket, the newest message for its reader.
    to_agency = [m.get_content() for m in inbox.to(EMAILS["agency"])]
    assert any("Sedang kami cek" in body for body in to_agency)
    assert any("Sudah masuk, maaf" in body for body in to_agency)
    [to_operator] = inbox.to(EMAILS["operator"])
    assert "Mohon dicek di gateway" in to_operator.get_content()
    assert f"#{ticket}" in to_operator["Subject"]


async def test_never_another_accounts_data(
    runtime: Runtime, people: People, smtp_server: SmtpServer, bot: BotApi
) -> None:
    await _conversation(runtime, people)
    await send_due(runtime, NOW + timedelta(minutes=10))
    messages: list[tuple[str, str]] = [
        (rcpt[0], f"{message['Subject']}\n{message.get_content()}")
        for rcpt, message in smtp_server.inbox.received
    ]
    by_chat = {chat: role for role, chat in CHATS.items()}
    messages += [(EMAILS[by_chat[body["chat_id"]]], body["text"]) for body in bot.sent]
    assert len(messages) == 10
    rival_data = [
        NAMES["rival"],
        EMAILS["rival"],
        str(people.rival_order),
        "rival-secret",
        "Saldo rahasia rival",
        "Saldo Rival",
        NAMES["rival_reseller"],
    ]
    for address, said in messages:
        # No account's name or email in any message, not even the reader's own.
        for role in NAMES:
            assert NAMES[role] not in said, (address, said)
            assert EMAILS[role] not in said, (address, said)
        if address != EMAILS["rival_reseller"]:
            for secret in rival_data:
                assert secret not in said, (address, said)
        else:
            assert "Deposit" not in said
            assert BRAND not in said
    # The agency hears from its reseller's brand, never from the panel behind it.
    to_agency = [said for address, said in messages if address == EMAILS["agency"]]
    assert len(to_agency) == 4
    assert all(BRAND in said and "Pasok" not in said for said in to_agency)


async def test_retried_while_the_servers_are_down(
    runtime: Runtime, people: People, smtp_server: SmtpServer, bot: BotApi
) -> None:
    smtp_server.stop()
    bot.failing = 500
    await _open(runtime, people.agency, "Deposit saya belum masuk")
    assert await send_due(runtime, NOW) == 0
    rows = await _notifications(runtime)
    assert [(r.channel, r.status, r.attempts) for r in rows] == [
        (Channel.email, NotificationStatus.pending, 1),
        (Channel.telegram, NotificationStatus.pending, 1),
    ]
    assert all(r.last_error for r in rows)
    assert bot.calls == 1

    smtp_server.start()
    bot.failing = None
    # Not due again before its backoff (30 s after the first attempt).
    assert await send_due(runtime, NOW + timedelta(seconds=10)) == 0
    assert smtp_server.inbox.received == []
    assert await send_due(runtime, NOW + timedelta(seconds=31)) == 2
    assert await send_due(runtime, NOW + timedelta(hours=2)) == 0
    assert len(smtp_server.inbox.to(EMAILS["reseller"])) == 1
    assert len(bot.to(CHATS["reseller"])) == 1
    rows = await _notifications(runtime)
    assert [(r.status, r.attempts) for r in rows] == [(NotificationStatus.sent, 2)] * 2


async def test_given_up_after_a_day_and_at_once_for_a_chat_that_is_gone(
    runtime: Runtime, people: People, bot: BotApi
) -> None:
    async with runtime.transaction() as session:
        rival_reseller = await _account(session, people.rival_reseller)
        await notify.set_target(session, rival_reseller, False, "4004")
    bot.failing = "not ok"  # 200, but not taken: tried again
    await _open(runtime, people.rival, "Saldo belum masuk")
    await send_due(runtime, NOW)
    [row] = await _notifications(runtime)
    assert (row.channel, row.status, row.attempts) == (
        Channel.telegram,
        NotificationStatus.pending,
        1,
    )
    # Still failing past the day it is tried for: given up.
    await send_due(runtime, NOW + timedelta(hours=25))
    [row] = await _notifications(runtime)
    assert (row.status, row.attempts) == (NotificationStatus.failed, 2)

    bot.failing = 400  # chat not found: no retry makes it go through
    await _open(runtime, people.rival, "Sekali lagi")
    await send_due(runtime, NOW)
    last = (await _notifications(runtime))[-1]
    assert (last.status, last.attempts) == (NotificationStatus.failed, 1)
    assert last.last_error is not None
    assert "chat not found" in last.last_error
    assert bot.sent == []


async def test_a_channel_not_configured_is_marked_failed(
    runtime: Runtime, people: People, smtp_server: SmtpServer, bot: BotApi
) -> None:
    runtime.settings = runtime.settings.model_copy(update={"support": SupportSettings()})
    await _open(runtime, people.agency, "Deposit saya belum masuk")
    assert await send_due(runtime, NOW) == 0
    rows = await _notifications(runtime)
    assert [(r.status, r.last_error) for r in rows] == [
        (NotificationStatus.failed, notify.NOT_CONFIGURED)
    ] * 2
    assert smtp_server.inbox.received == []
    assert bot.calls == 0


async def test_settings_turn_email_off_and_telegram_on(
    app_for: AppFor, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    async with sessionmaker.begin() as session:
        reseller = await accounts.create(
            session, kind=AccountKind.reseller, name="x", email="solo@example.com"
        )
        issued = await keys.issue(session, reseller, "script")
    headers = {"Authorization": f"Bearer {issued.plaintext}"}
    app = app_for(sessionmaker)
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://pasok.test") as c:
        before = await c.get("/v1/notification-settings", headers=headers)
        changed = await c.put(
            "/v1/notification-settings",
            json={"email": False, "telegram_chat_id": "-1005"},
            headers=headers,
        )
        after = await c.get("/v1/notification-settings", headers=headers)
        refused = await c.put(
            "/v1/notification-settings",
            json={"email": True, "telegram_chat_id": "not a chat"},
            headers=headers,
        )
    assert before.json() == {"email": True, "telegram_chat_id": None}
    assert changed.status_code == 200, changed.text
    assert after.json() == {"email": False, "telegram_chat_id": "-1005"}
    assert refused.status_code == 422, refused.text
    # The reseller's own ticket goes to the operator; an operator's answer comes by Telegram only.
    async with sessionmaker.begin() as session:
        reseller = await _account(session, reseller.id)
        operator = await accounts.create(session, kind=AccountKind.operator, name="x")
        new = tickets.NewTicket(TicketTopic.account, TicketReason.other, "Ganti email")
        ticket = await tickets.open_ticket(session, reseller, new, NOW)
        await tickets.reply(session, operator, ticket.id, "Sudah", NOW)
        rows = list(
            await session.scalars(
                select(Notification).where(Notification.account_id == reseller.id)
            )
        )
    assert [(r.channel, r.address) for r in rows] == [(Channel.telegram, "-1005")]
