"""The ticket pages over HTTP: an agency's tickets (opened from pasted ids or the order list,
read, answered, closed), the reseller's console and the operator's queue; form errors that
write nothing; tenancy over every ticket page; CSRF; the unread badge on every page."""

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from httpx import AsyncClient, Response
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from panel.accounts import service as accounts
from panel.models import (
    Account,
    AccountKind,
    CannedReply,
    Order,
    OrderStatus,
    Party,
    Ticket,
    TicketMessage,
    TicketOrder,
    TicketReason,
    TicketStatus,
    TicketTopic,
)
from panel.orders import service as orders
from panel.support import tickets
from tests.fixtures.factories import World
from tests.web.conftest import (
    AGENCY_EMAIL,
    OTHER_HOST,
    RESELLER_EMAIL,
    Visitor,
    csrf_of,
    funded_agency,
    row,
    sign_in,
    token,
)

OPS_HOST = "ops.example"  # no brand has it: the operator's own
OPERATOR_EMAIL = "ops@example.com"
SECOND_AGENCY_EMAIL = "a2@example.com"
FOREIGN_AGENCY_EMAIL = "b1@example.com"
OTHER_RESELLER_EMAIL = "other@example.com"
NOW = datetime.now(UTC)


@dataclass
class People:
    """Everyone signed in at once, each on its own host, with cookies of its own."""

    world: World
    agency: AsyncClient
    second_agency: AsyncClient  # the same reseller's other agency
    foreign_agency: AsyncClient  # an agency of the other reseller
    reseller: AsyncClient
    other_reseller: AsyncClient
    operator: AsyncClient
    operator_account: Account
    second: Account


async def _signed_in(visitor: Visitor, email: str, host: str) -> AsyncClient:
    client = await visitor(host)
    answer = await sign_in(client, email, host)
    assert answer.status_code == 303, answer.text
    return client


@pytest.fixture
async def people(world: World, session: AsyncSession, visitor: Visitor) -> People:
    second = await funded_agency(session, world.reseller, "Agen Dua", Decimal(20))
    foreign = await funded_agency(session, world.other_reseller, "Agen Luar", Decimal(20))
    operator = await accounts.create(session, kind=AccountKind.operator, name="Ops")
    # One password hash for everyone: hashing is slow on purpose, and these tests sign in six.
    hashed = (await session.get_one(Account, world.agency.id)).password_hash
    for account, email in (
        (second, SECOND_AGENCY_EMAIL),
        (foreign, FOREIGN_AGENCY_EMAIL),
        (world.reseller, RESELLER_EMAIL),
        (world.other_reseller, OTHER_RESELLER_EMAIL),
        (operator, OPERATOR_EMAIL),
    ):
        account.email, account.password_hash = email, hashed
    await session.flush()
    return People(
        world,
        await _signed_in(visitor, AGENCY_EMAIL, "a.example"),
        await _signed_in(visitor, SECOND_AGENCY_EMAIL, "a.example"),
        await _signed_in(visitor, FOREIGN_AGENCY_EMAIL, OTHER_HOST),
        await _signed_in(visitor, RESELLER_EMAIL, "a.example"),
        await _signed_in(visitor, OTHER_RESELLER_EMAIL, OTHER_HOST),
        await _signed_in(visitor, OPERATOR_EMAIL, OPS_HOST),
        operator,
        second,
    )


async def _order(session: AsyncSession, buyer: Account, world: World) -> Order:
    placed = await orders.accept(
        session,
        buyer,
        world.services["followers"].id,
        {"link": "https://ig.me/x", "quantity": "100"},
    )
    placed.status = OrderStatus.in_progress
    await session.flush()
    return placed


async def _count(session: AsyncSession, table: type) -> int:
    return await session.scalar(select(func.count()).select_from(table)) or 0


async def _ticket(session: AsyncSession, ticket_id: int) -> Ticket:
    return await session.get_one(Ticket, ticket_id, populate_existing=True)


def _words(page: Response) -> str:
    main = page.text.split("<main>", 1)[1].split("</main>", 1)[0]
    main = re.sub(r"<script.*?</script>", " ", main, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main))


def _badge(page: Response) -> int:
    found = re.search(r'id="unread-badge"[^>]*>(\d+)<', page.text)
    return int(found.group(1)) if found else 0


async def _open(client: AsyncClient, **form: str) -> Response:
    data = {"topic": "order", "reason": "not_started", "message": "", **form}
    data["csrf"] = await token(client, "/tickets/new")
    return await client.post("/tickets", data=data)


# --- a buyer's tickets ---------------------------------------------------------------------------


async def test_an_agency_opens_a_ticket_from_the_order_list_and_reads_it(
    people: People, session: AsyncSession
) -> None:
    first = await _order(session, people.world.agency, people.world)
    second = await _order(session, people.world.agency, people.world)

    listed = await people.agency.get("/orders")
    assert f'href="/tickets/new?orders={first.id}"' in row(listed, f"order-{first.id}")
    assert f'value="{first.id}" form="complain-form"' in listed.text
    form = await people.agency.get(f"/tickets/new?orders={first.id}&orders={second.id}")
    assert f'value="{first.id} {second.id}"' in form.text

    opened = await _open(people.agency, order_ids=f"{first.id}, #{second.id}", reason="slow")
    assert opened.status_code == 303, opened.text
    ticket_id = int(opened.headers["location"].rsplit("/", 1)[1])
    ticket = await _ticket(session, ticket_id)
    assert (ticket.account_id, ticket.reason, ticket.lang) == (
        people.world.agency.id,
        TicketReason.slow,
        "id",
    )
    assert ticket.waiting_on is Party.automation
    about = await tickets.orders_of(session, ticket)
    assert [item.order_id for item in about] == [first.id, second.id]

    page = await people.agency.get(opened.headers["location"])
    assert page.status_code == 200
    assert "Sedang dijawab otomatis" in _words(page)
    assert "data-waiting" in page.text
    assert "Jawaban otomatis sedang disiapkan" in page.text
    assert re.search(r'<script nonce="[^"]+">\s*\(function \(\) \{\s*var every = 2000', page.text)
    assert 'id="close-done"' not in page.text

    # The automation answers every order and settles them: one tap closes the ticket.
    for item in about:
        item.answer, item.settled, item.answered_at = (
            f"Pesanan #{item.order_id} berjalan.",
            True,
            NOW,
        )
    session.add(
        TicketMessage(ticket_id=ticket.id, party=Party.automation, body="Jawaban untuk Anda")
    )
    ticket.auto_answered, ticket.status, ticket.waiting_on = (
        True,
        TicketStatus.answered,
        Party.buyer,
    )
    await session.flush()
    answered = await people.agency.get(opened.headers["location"])
    assert "Dijawab otomatis" in _words(answered)
    assert f"Pesanan #{first.id} berjalan." in row(answered, f"ticket-order-{first.id}")
    assert "data-waiting" not in answered.text
    assert "Selesai, tutup tiket" in _words(answered)
    listing = await people.agency.get("/tickets")
    assert "Dijawab otomatis" in row(listing, f"ticket-{ticket.id}")

    closed = await people.agency.post(
        f"/tickets/{ticket.id}/close", data={"csrf": csrf_of(answered)}
    )
    assert closed.status_code == 303
    assert (await _ticket(session, ticket.id)).status is TicketStatus.closed
    again = await people.agency.post(
        f"/tickets/{ticket.id}/close", data={"csrf": csrf_of(answered)}
    )
    assert again.status_code == 409
    assert "sudah ditutup" in _words(again)


async def test_a_payment_ticket_waits_on_the_reseller_in_words_and_the_buyer_replies(
    people: People, session: AsyncSession
) -> None:
    opened = await _open(people.agency, topic="payment", reason="", message="Saldo belum masuk")
    assert opened.status_code == 303, opened.text
    ticket_id = int(opened.headers["location"].rsplit("/", 1)[1])
    ticket = await _ticket(session, ticket_id)
    assert (ticket.topic, ticket.reason) == (TicketTopic.payment, TicketReason.other)
    page = await people.agency.get(f"/tickets/{ticket_id}")
    assert "Menunggu jawaban reseller" in _words(page)
    assert "Saldo belum masuk" in _words(page)

    csrf = csrf_of(page)
    empty = await people.agency.post(
        f"/tickets/{ticket_id}/messages", data={"body": " ", "csrf": csrf}
    )
    assert empty.status_code == 422
    assert "Tulis pesannya dulu." in _words(empty)
    assert await _count(session, TicketMessage) == 1
    sent = await people.agency.post(
        f"/tickets/{ticket_id}/messages", data={"body": "Sudah 2 jam", "csrf": csrf}
    )
    assert sent.status_code == 303
    bodies = [m.body for m in await tickets.messages_of(session, ticket)]
    assert bodies == ["Saldo belum masuk", "Sudah 2 jam"]
    # The brand's WhatsApp support link still shows, on the ticket pages as on every page.
    assert 'href="https://wa.me/628123"' in (await people.agency.get("/tickets")).text


async def test_form_errors_are_said_in_indonesian_and_write_nothing(
    people: People, session: AsyncSession
) -> None:
    theirs = await _order(session, people.second, people.world)
    mine = await _order(session, people.world.agency, people.world)
    cases = [
        ({"order_ids": "12x, 13"}, "Nomor pesanan tidak valid: 12x"),
        ({"order_ids": "  "}, "Tulis nomor pesanan yang dikomplain."),
        ({"order_ids": f"{mine.id} {theirs.id}"}, f"Pesanan {theirs.id} tidak ditemukan"),
        ({"topic": "refund"}, "Pilih tiket ini tentang apa."),
        ({"order_ids": str(mine.id), "reason": "angry"}, "Pilih masalahnya."),
        ({"topic": "account", "message": " "}, "Tulis pesannya dulu."),
    ]
    for form, said in cases:
        refused = await _open(people.agency, **form)
        assert refused.status_code in (404, 422), (form, refused.status_code)
        assert said in _words(refused), (form, _words(refused))
        # What was typed is kept in the form.
        if "order_ids" in form and form["order_ids"].strip():
            assert f'value="{form["order_ids"]}"' in refused.text
    assert await _count(session, Ticket) == 0
    assert await _count(session, TicketOrder) == 0
    assert await _count(session, TicketMessage) == 0


async def test_a_form_without_its_token_is_refused_and_writes_nothing(
    people: People, session: AsyncSession
) -> None:
    mine = await _order(session, people.world.agency, people.world)
    form = {"topic": "order", "reason": "slow", "order_ids": str(mine.id)}
    for csrf in ("", "forged"):
        refused = await people.agency.post("/tickets", data={**form, "csrf": csrf})
        assert refused.status_code == 403
    assert await _count(session, Ticket) == 0
    ticket = await tickets.open_ticket(
        session,
        people.world.agency,
        tickets.NewTicket(TicketTopic.account, TicketReason.other, "Ganti email"),
        NOW,
    )
    await session.flush()
    for path in (f"/tickets/{ticket.id}/messages", f"/tickets/{ticket.id}/close"):
        assert (await people.agency.post(path, data={"body": "x", "csrf": "no"})).status_code == 403
    staff = [
        (people.reseller, f"/console/tickets/{ticket.id}/messages"),
        (people.reseller, f"/console/tickets/{ticket.id}/close"),
        (people.reseller, "/console/tickets/canned"),
        (people.operator, "/ops/tickets/canned"),
    ]
    for client, path in staff:
        answer = await client.post(path, data={"body": "x", "title": "x"})
        assert answer.status_code == 403, path
    assert await _count(session, TicketMessage) == 1
    assert await _count(session, CannedReply) == 0
    assert (await _ticket(session, ticket.id)).status is TicketStatus.open


# --- tenancy -------------------------------------------------------------------------------------


async def _agency_ticket(people: People, session: AsyncSession) -> Ticket:
    ticket = await tickets.open_ticket(
        session,
        people.world.agency,
        tickets.NewTicket(TicketTopic.payment, TicketReason.other, "Rahasia agen satu"),
        NOW,
    )
    await session.flush()
    return ticket


async def test_no_one_sees_or_posts_to_a_ticket_that_is_not_theirs(
    people: People, session: AsyncSession
) -> None:
    ticket = await _agency_ticket(people, session)
    tid = ticket.id
    buyer_paths = [f"/tickets/{tid}/messages", f"/tickets/{tid}/close"]
    console_paths = [f"/console/tickets/{tid}/{what}" for what in ("messages", "escalate", "close")]
    ops_paths = [f"/ops/tickets/{tid}/{what}" for what in ("messages", "upstream", "close")]
    outsiders = [
        (people.second_agency, "/tickets", buyer_paths),
        (people.foreign_agency, "/tickets", buyer_paths),
        (people.other_reseller, "/console/tickets", console_paths),
        (people.other_reseller, "/tickets", buyer_paths),
        # The operator: an agency ticket its reseller still answers is not the operator's.
        (people.operator, "/ops/tickets", ops_paths),
    ]
    for client, base, posts in outsiders:
        seen = await client.get(f"{base}/{tid}")
        assert seen.status_code == 404, (base, client.base_url)
        assert "Rahasia agen satu" not in seen.text
        queue = await client.get(base)
        assert queue.status_code == 200
        assert f'id="ticket-{tid}"' not in queue.text
        csrf = csrf_of(queue)
        for path in posts:
            form = {"body": "masuk", "note": "x", "upstream_ticket": "U1", "csrf": csrf}
            answer = await client.post(path, data=form)
            assert answer.status_code == 404, (path, answer.status_code)
    # Agencies have no console and no operator's queue at all.
    for path in ("/console/tickets", f"/console/tickets/{tid}", "/ops/tickets"):
        assert (await people.agency.get(path)).status_code == 404
    # A reseller reads its agency's ticket in the console, not on the buyer's pages.
    assert (await people.reseller.get(f"/tickets/{tid}")).status_code == 404
    assert (await people.reseller.get(f"/console/tickets/{tid}")).status_code == 200
    ticket = await _ticket(session, tid)
    assert (ticket.status, ticket.upstream_ticket, ticket.escalated) == (
        TicketStatus.open,
        None,
        False,
    )
    assert [m.body for m in await tickets.messages_of(session, ticket)] == ["Rahasia agen satu"]
    # Out of range ids are not found, not errors.
    assert (await people.agency.get("/tickets/99999999999999999999")).status_code in (404, 422)
    assert (await people.agency.get("/tickets/0")).status_code == 404


# --- the consoles -------------------------------------------------------------------------------


async def test_the_reseller_answers_with_a_canned_reply_escalates_and_the_operator_answers(
    people: People, session: AsyncSession
) -> None:
    late = await _agency_ticket(people, session)
    late.updated_at = NOW - timedelta(hours=3)
    fresh = await tickets.open_ticket(
        session,
        people.second,
        tickets.NewTicket(TicketTopic.account, TicketReason.other, "Ganti nama"),
        NOW,
    )
    await session.flush()

    queue = await people.reseller.get("/console/tickets")
    assert queue.status_code == 200
    assert queue.text.index(f'id="ticket-{late.id}"') < queue.text.index(f'id="ticket-{fresh.id}"')
    assert "Terlambat" in row(queue, f"ticket-{late.id}")
    assert "Terlambat" not in row(queue, f"ticket-{fresh.id}")
    assert "Agen Dua" in row(queue, f"ticket-{fresh.id}")
    assert "Kecepatan bantuan (30 hari)" in _words(queue)
    assert re.search(r'id="figure-tickets">2<', queue.text)

    csrf = csrf_of(queue)
    no_title = await people.reseller.post(
        "/console/tickets/canned", data={"title": " ", "body": "x", "csrf": csrf}
    )
    assert no_title.status_code == 422
    assert "perlu judul dan isi" in _words(no_title)
    assert await _count(session, CannedReply) == 0
    added = await people.reseller.post(
        "/console/tickets/canned",
        data={"title": "Sedang dicek", "body": "Kami sedang mengecek saldo Anda.", "csrf": csrf},
    )
    assert added.status_code == 303
    reply = (await session.scalars(select(CannedReply))).one()
    assert reply.owner_id == people.world.reseller.id

    page = await people.reseller.get(f"/console/tickets/{late.id}")
    assert f'<option value="{reply.id}" data-body="Kami sedang mengecek saldo Anda.">' in page.text
    sent = await people.reseller.post(
        f"/console/tickets/{late.id}/messages",
        data={"body": "", "canned": str(reply.id), "csrf": csrf},
    )
    assert sent.status_code == 303
    ticket = await _ticket(session, late.id)
    assert ticket.status is TicketStatus.answered
    assert ticket.first_human_answer_at is not None
    messages = await tickets.messages_of(session, ticket)
    assert (messages[-1].party, messages[-1].body) == (
        Party.reseller,
        "Kami sedang mengecek saldo Anda.",
    )
    # The agency reads one support team, under its reseller's brand.
    seen = await people.agency.get(f"/tickets/{late.id}")
    assert "Tim bantuan" in row(seen, f"message-{messages[-1].id}")

    escalated = await people.reseller.post(
        f"/console/tickets/{late.id}/escalate", data={"note": "Cek upstream", "csrf": csrf}
    )
    assert escalated.status_code == 303
    twice = await people.reseller.post(
        f"/console/tickets/{late.id}/escalate", data={"note": "", "csrf": csrf}
    )
    assert twice.status_code == 409
    assert "tidak bisa diteruskan" in _words(twice)
    # To the agency, an escalated ticket still waits on its reseller's brand.
    assert "Menunggu jawaban reseller" in _words(await people.agency.get(f"/tickets/{late.id}"))

    ops = await people.operator.get("/ops/tickets")
    assert f'id="ticket-{late.id}"' in ops.text
    assert f'id="ticket-{fresh.id}"' not in ops.text
    ops_csrf = csrf_of(ops)
    recorded = await people.operator.post(
        f"/ops/tickets/{late.id}/upstream", data={"upstream_ticket": " UP-77 ", "csrf": ops_csrf}
    )
    assert recorded.status_code == 303
    answered = await people.operator.post(
        f"/ops/tickets/{late.id}/messages", data={"body": "Sudah diperbaiki", "csrf": ops_csrf}
    )
    assert answered.status_code == 303
    ticket = await _ticket(session, late.id)
    assert (ticket.upstream_ticket, ticket.waiting_on) == ("UP-77", Party.buyer)
    shown = await people.operator.get(f"/ops/tickets/{late.id}")
    assert "UP-77" in shown.text
    assert "Sudah diperbaiki" in shown.text
    closed = await people.reseller.post(f"/console/tickets/{late.id}/close", data={"csrf": csrf})
    assert closed.status_code == 303
    assert (await _ticket(session, late.id)).status is TicketStatus.closed

    removed = await people.reseller.post(
        f"/console/tickets/canned/{reply.id}/remove", data={"csrf": csrf}
    )
    assert removed.status_code == 303
    assert await _count(session, CannedReply) == 0
    # The other reseller cannot remove the operator's, nor anyone else's, canned replies.
    mine = CannedReply(owner_id=None, title="Ops", body="Dari operator")
    session.add(mine)
    await session.flush()
    other_csrf = await token(people.other_reseller, "/console/tickets")
    refused = await people.other_reseller.post(
        f"/console/tickets/canned/{mine.id}/remove", data={"csrf": other_csrf}
    )
    assert refused.status_code == 404
    assert await _count(session, CannedReply) == 1


async def test_the_operator_sees_a_reseller_s_own_ticket(
    people: People, session: AsyncSession
) -> None:
    opened = await _open(people.reseller, topic="account", message="Minta naik tier")
    assert opened.status_code == 303
    ticket_id = int(opened.headers["location"].rsplit("/", 1)[1])
    # Its own ticket sends the reseller from the console to the buyer's page.
    redirected = await people.reseller.get(f"/console/tickets/{ticket_id}")
    assert redirected.headers["location"] == f"/tickets/{ticket_id}"
    mine = await people.reseller.get(f"/tickets/{ticket_id}")
    assert "Menunggu jawaban tim panel" in _words(mine)
    ops = await people.operator.get("/ops/tickets")
    assert f'id="ticket-{ticket_id}"' in ops.text
    assert "Reseller" in row(ops, f"ticket-{ticket_id}")


async def test_the_agency_reads_its_reseller_s_median_response_time(
    people: People, session: AsyncSession
) -> None:
    assert 'id="median-response"' not in (await people.agency.get("/tickets")).text
    for minutes in (3, 4, 9):
        ticket = await tickets.open_ticket(
            session,
            people.second,
            tickets.NewTicket(TicketTopic.account, TicketReason.other, "Halo"),
            NOW,
        )
        await session.flush()
        ticket.first_human_answer_at = ticket.created_at + timedelta(minutes=minutes)
    await session.flush()
    listing = await people.agency.get("/tickets")
    assert "Rata-rata dijawab dalam 4 menit" in _words(listing)


# --- the unread badge ---------------------------------------------------------------------------


async def test_the_unread_badge_counts_tickets_with_news_on_every_page(
    people: People, session: AsyncSession
) -> None:
    first = await _agency_ticket(people, session)
    second = await tickets.open_ticket(
        session,
        people.world.agency,
        tickets.NewTicket(TicketTopic.account, TicketReason.other, "Dua"),
        NOW,
    )
    await session.flush()
    # The agency wrote both: nothing new for it; both are news to its reseller.
    assert _badge(await people.agency.get("/orders")) == 0
    assert _badge(await people.reseller.get("/")) == 2
    assert _badge(await people.second_agency.get("/")) == 0
    assert _badge(await people.other_reseller.get("/")) == 0

    for ticket in (first, second):
        await tickets.reply(session, people.world.reseller, ticket.id, "Dicek ya", NOW)
    await session.flush()
    for path in ("/", "/orders", "/services", "/funds", "/tickets"):
        assert _badge(await people.agency.get(path)) == 2, path
    listing = await people.agency.get("/tickets")
    assert "Baru" in row(listing, f"ticket-{first.id}")
    # Reading a ticket takes it off the count, on that very page.
    read = await people.agency.get(f"/tickets/{first.id}")
    assert _badge(read) == 1
    assert _badge(await people.agency.get("/")) == 1
    assert "Baru" not in row(await people.agency.get("/tickets"), f"ticket-{first.id}")
    # The reseller read neither of them since: its own replies count as read.
    assert _badge(await people.reseller.get("/")) == 0
    assert _badge(await people.operator.get("/ops/tickets")) == 0
