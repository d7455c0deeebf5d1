"""The automatic first answer of a ticket about orders: a line per order from Pasok's own data,
refills and cancels through the order rules with the buyer as the one asking, never twice; and
with a real worker, an answer within seconds of opening."""

import asyncio
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from panel.config import Settings
from panel.currencies import money_text
from panel.models import (
    Account,
    Order,
    OrderCharge,
    OrderStatus,
    Party,
    QualityFigures,
    Refill,
    RefillStatus,
    Ticket,
    TicketMessage,
    TicketOrder,
    TicketReason,
    TicketStatus,
    TicketTopic,
)
from panel.money import refund_for
from panel.orders import service as orders
from panel.orders.settlement import settle
from panel.plumbing import outbox
from panel.plumbing.runtime import Runtime
from panel.support import answer_texts, answers, tickets
from tests.fixtures.factories import World, build_world
from tests.fixtures.pipeline import RunJobs
from tests.fixtures.sandbox import SandboxHandle
from workers.worker import serve

NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


@pytest.fixture
async def world(session: AsyncSession) -> World:
    return await build_world(session)


async def _order(
    session: AsyncSession,
    world: World,
    *,
    service: str = "followers",
    buyer: Account | None = None,
    status: OrderStatus = OrderStatus.in_progress,
    quantity: int = 1000,
    remains: int | None = None,
    sent_ago: timedelta = 12 * MINUTE,
    started: bool = False,
    link: str = "https://instagram.com/pasok",
) -> Order:
    """An order of `buyer` (the reseller) left as the pipeline would leave it; a terminal
    status is reached by settling, so the ledger holds its refund."""
    order = await orders.accept(
        session,
        buyer or world.reseller,
        world.services[service].id,
        {"link": link, "quantity": str(quantity)},
    )
    outbox.take(session)  # nothing is sent from a rolled-back test
    if status is not OrderStatus.pending:
        order.status = OrderStatus.in_progress
        order.provider_id = world.provider.id
        order.upstream_id = f"up-{order.id}"
        order.submitted_at = NOW - sent_ago
        order.start_count = 150
        order.started_at = NOW - sent_ago + MINUTE if started else None
        order.remains = remains
        await session.flush()
    if status in (OrderStatus.needs_review, OrderStatus.submitting):
        order.status = status
    elif status not in (OrderStatus.pending, OrderStatus.in_progress):
        assert await settle(session, order, status, remains or 0, "test ending")
    await session.flush()
    return order


def _figures(session: AsyncSession, world: World, start_s: int, complete_s: int) -> None:
    for name in ("followers", "likes"):
        session.add(
            QualityFigures(
                subject="service",
                subject_id=world.services[name].id,
                computed_at=NOW,
                orders=20,
                median_start_s=start_s,
                median_complete_s=complete_s,
                refills=0,
            )
        )


async def _ask(
    session: AsyncSession,
    world: World,
    reason: TicketReason,
    found: list[Order],
    *,
    buyer: Account | None = None,
    lang: str = "id",
) -> Ticket:
    new = tickets.NewTicket(
        TicketTopic.order, reason, "tolong dicek", [order.id for order in found], lang=lang
    )
    ticket = await tickets.open_ticket(session, buyer or world.reseller, new, NOW)
    outbox.take(session)
    answered = await answers.answer(session, ticket.id, NOW)
    assert answered is ticket
    return ticket


async def _row(session: AsyncSession, ticket: Ticket, order: Order) -> TicketOrder:
    return await session.get_one(
        TicketOrder,
        await session.scalar(
            select(TicketOrder.id).where(
                TicketOrder.ticket_id == ticket.id, TicketOrder.order_id == order.id
            )
        ),
    )


async def _refills(session: AsyncSession, order: Order) -> int:
    count = await session.scalar(
        select(func.count()).select_from(Refill).where(Refill.order_id == order.id)
    )
    return count or 0


def _says(lang: str, key: str, **values: Any) -> str:
    return answer_texts.word(lang, key, **values)


# --- not started / slow --------------------------------------------------------------------


async def test_not_started_within_the_median_is_settled(
    session: AsyncSession, world: World
) -> None:
    _figures(session, world, start_s=40 * 60, complete_s=3 * 3600)
    order = await _order(session, world, sent_ago=12 * MINUTE)
    ticket = await _ask(session, world, TicketReason.not_started, [order])
    row = await _row(session, ticket, order)
    assert "biasanya mulai dalam 40 menit; pesanan Anda dikirim 12 menit lalu" in (row.answer or "")
    assert "Status: sedang berjalan, jumlah awal 150, terkirim 0 dari 1000, sisa 1000." in (
        row.answer or ""
    )
    assert row.settled
    assert row.action is None
    assert row.answered_at == NOW
    assert (ticket.status, ticket.waiting_on, ticket.auto_answered) == (
        TicketStatus.answered,
        Party.buyer,
        True,
    )
    assert ticket.first_auto_answer_at == NOW


async def test_pending_not_started_counts_from_when_it_was_taken(
    session: AsyncSession, world: World
) -> None:
    _figures(session, world, start_s=40 * 60, complete_s=3 * 3600)
    order = await _order(session, world, status=OrderStatus.pending)
    order.created_at = NOW - 5 * MINUTE
    ticket = await _ask(session, world, TicketReason.not_started, [order])
    row = await _row(session, ticket, order)
    assert "pesanan Anda dikirim 5 menit lalu" in (row.answer or "")
    assert "Status: menunggu dikirim" in (row.answer or "")
    assert row.settled


async def test_not_started_well_past_the_median_goes_to_a_person(
    session: AsyncSession, world: World
) -> None:
    _figures(session, world, start_s=40 * 60, complete_s=3 * 3600)
    order = await _order(session, world, sent_ago=81 * MINUTE)  # more than twice 40 min
    ticket = await _ask(session, world, TicketReason.not_started, [order])
    row = await _row(session, ticket, order)
    assert "pesanan Anda dikirim 1 jam 21 menit lalu" in (row.answer or "")
    assert _says("id", "past") in (row.answer or "")
    assert not row.settled
    # A reseller's ticket is the operator's to answer.
    assert (ticket.status, ticket.waiting_on, ticket.auto_answered) == (
        TicketStatus.open,
        Party.operator,
        False,
    )


async def test_without_figures_an_hour_is_the_limit(session: AsyncSession, world: World) -> None:
    fresh = await _order(session, world, sent_ago=30 * MINUTE)
    old = await _order(session, world, sent_ago=61 * MINUTE)
    ticket = await _ask(session, world, TicketReason.not_started, [fresh, old])
    fresh_row, old_row = await _row(session, ticket, fresh), await _row(session, ticket, old)
    assert _says("id", "no_figures", age="30 menit") in (fresh_row.answer or "")
    assert fresh_row.settled
    assert not old_row.settled
    assert ticket.status is TicketStatus.open


async def test_slow_once_started_compares_with_the_time_to_complete_in_english(
    session: AsyncSession, world: World
) -> None:
    _figures(session, world, start_s=10 * 60, complete_s=2 * 3600)
    order = await _order(session, world, sent_ago=90 * MINUTE, started=True, remains=400)
    ticket = await _ask(session, world, TicketReason.slow, [order], lang="en")
    row = await _row(session, ticket, order)
    answer = row.answer or ""
    assert "usually completes within 2 h; your order was sent 1 h 30 min ago" in answer
    assert "Status: in progress, start count 150, delivered 600 of 1000, remains 400." in answer
    assert row.settled


async def test_slow_but_completed_meanwhile_is_settled(session: AsyncSession, world: World) -> None:
    order = await _order(session, world, status=OrderStatus.completed, remains=0)
    ticket = await _ask(session, world, TicketReason.slow, [order])
    row = await _row(session, ticket, order)
    assert _says("id", "finished") in (row.answer or "")
    assert row.settled


async def test_not_started_and_canceled_meanwhile_shows_the_refund(
    session: AsyncSession, world: World
) -> None:
    order = await _order(session, world, status=OrderStatus.canceled, remains=1000)
    ticket = await _ask(session, world, TicketReason.not_started, [order])
    row = await _row(session, ticket, order)
    assert money_text.show(order.charge, "USD", "id") in (row.answer or "")
    assert row.settled


# --- dropped: refill -----------------------------------------------------------------------


async def test_dropped_on_a_completed_order_requests_a_refill(
    session: AsyncSession, world: World
) -> None:
    order = await _order(session, world, status=OrderStatus.completed, remains=0)
    ticket = await _ask(session, world, TicketReason.dropped, [order])
    row = await _row(session, ticket, order)
    refill = await session.scalar(select(Refill).where(Refill.order_id == order.id))
    assert refill is not None
    assert refill.status is RefillStatus.pending
    assert _says("id", "refill_requested", refill=refill.id) in (row.answer or "")
    assert (row.action, row.settled) == (answers.REFILL_REQUESTED, True)
    assert ticket.status is TicketStatus.answered


async def test_dropped_on_a_partial_order_of_an_agency_requests_its_refill(
    session: AsyncSession, world: World
) -> None:
    order = await _order(
        session, world, buyer=world.agency, status=OrderStatus.partial, remains=200
    )
    ticket = await _ask(session, world, TicketReason.dropped, [order], buyer=world.agency)
    assert (await _row(session, ticket, order)).action == answers.REFILL_REQUESTED
    assert await _refills(session, order) == 1


async def test_dropped_on_a_service_without_refill_says_so(
    session: AsyncSession, world: World
) -> None:
    order = await _order(session, world, service="likes", status=OrderStatus.completed)
    ticket = await _ask(session, world, TicketReason.dropped, [order])
    row = await _row(session, ticket, order)
    assert _says("id", "refill_disabled") in (row.answer or "")
    assert (row.action, row.settled) == (None, False)
    assert await _refills(session, order) == 0
    assert (ticket.status, ticket.waiting_on) == (TicketStatus.open, Party.operator)


async def test_dropped_on_an_order_not_finished_says_when_it_can(
    session: AsyncSession, world: World
) -> None:
    order = await _order(session, world, started=True, remains=500)
    ticket = await _ask(session, world, TicketReason.dropped, [order])
    row = await _row(session, ticket, order)
    assert _says("id", "refill_not_finished") in (row.answer or "")
    assert not row.settled
    assert await _refills(session, order) == 0


async def test_dropped_with_a_refill_running_asks_no_second(
    session: AsyncSession, world: World
) -> None:
    order = await _order(session, world, status=OrderStatus.completed)
    session.add(Refill(order_id=order.id, status=RefillStatus.in_progress))
    await session.flush()
    ticket = await _ask(session, world, TicketReason.dropped, [order])
    row = await _row(session, ticket, order)
    assert _says("id", "refill_running") in (row.answer or "")
    assert (row.action, row.settled) == (None, False)
    assert await _refills(session, order) == 1


async def test_an_order_under_review_is_being_checked_and_not_refilled(
    session: AsyncSession, world: World
) -> None:
    order = await _order(session, world, status=OrderStatus.needs_review)
    ticket = await _ask(session, world, TicketReason.dropped, [order])
    row = await _row(session, ticket, order)
    assert _says("id", "checking") in (row.answer or "")
    assert "Status: sedang diproses" in (row.answer or "")
    assert not row.settled
    assert await _refills(session, order) == 0


# --- cancel --------------------------------------------------------------------------------


async def test_cancel_of_a_pending_order_cancels_and_refunds_it(
    session: AsyncSession, world: World
) -> None:
    order = await _order(session, world, status=OrderStatus.pending)
    ticket = await _ask(session, world, TicketReason.cancel, [order])
    row = await _row(session, ticket, order)
    assert (await session.get_one(Order, order.id)).status is OrderStatus.canceled
    assert await answers.refunded(session, order) == order.charge
    assert _says("id", "canceled_now") in (row.answer or "")
    assert (row.action, row.settled) == (answers.CANCEL_REQUESTED, True)


async def test_cancel_in_progress_is_asked_of_the_upstream(
    session: AsyncSession, world: World
) -> None:
    order = await _order(session, world)
    new = tickets.NewTicket(TicketTopic.order, TicketReason.cancel, "batal", [order.id])
    ticket = await tickets.open_ticket(session, world.reseller, new, NOW)
    outbox.take(session)
    await answers.answer(session, ticket.id, NOW)
    assert [request.name for request in outbox.take(session)] == ["cancel_upstream"]
    row = await _row(session, ticket, order)
    assert (await session.get_one(Order, order.id)).cancel_requested_at is not None
    assert _says("id", "cancel_requested") in (row.answer or "")
    assert (row.action, row.settled) == (answers.CANCEL_REQUESTED, True)


async def test_cancel_on_a_service_without_cancel_says_so(
    session: AsyncSession, world: World
) -> None:
    order = await _order(session, world, service="likes")
    ticket = await _ask(session, world, TicketReason.cancel, [order])
    row = await _row(session, ticket, order)
    assert _says("id", "cancel_disabled") in (row.answer or "")
    assert (row.action, row.settled) == (None, False)
    assert (await session.get_one(Order, order.id)).cancel_requested_at is None


async def test_cancel_of_a_completed_order_is_refused(session: AsyncSession, world: World) -> None:
    order = await _order(session, world, status=OrderStatus.completed)
    ticket = await _ask(session, world, TicketReason.cancel, [order], lang="en")
    row = await _row(session, ticket, order)
    assert _says("en", "cancel_finished") in (row.answer or "")
    assert not row.settled


async def test_cancel_already_asked_is_not_asked_again(session: AsyncSession, world: World) -> None:
    order = await _order(session, world)
    order.cancel_requested_at = NOW - MINUTE
    ticket = await _ask(session, world, TicketReason.cancel, [order])
    row = await _row(session, ticket, order)
    assert _says("id", "cancel_asked") in (row.answer or "")
    assert (row.action, row.settled) == (None, False)


# --- partial without refund ----------------------------------------------------------------


async def test_partial_shows_the_refund_from_the_ledger(
    session: AsyncSession, world: World
) -> None:
    order = await _order(session, world, status=OrderStatus.partial, remains=300)
    ticket = await _ask(session, world, TicketReason.partial_no_refund, [order])
    row = await _row(session, ticket, order)
    expected = refund_for(order.charge, 300, 1000)
    assert expected > 0
    assert await answers.refunded(session, order) == expected
    shown = money_text.show(expected, "USD", "id")
    assert _says("id", "refunded", remains=300, amount=shown) in (row.answer or "")
    assert row.settled
    assert ticket.status is TicketStatus.answered


async def test_partial_of_an_agency_shows_its_own_refund(
    session: AsyncSession, world: World
) -> None:
    order = await _order(
        session, world, buyer=world.agency, status=OrderStatus.partial, remains=250
    )
    ticket = await _ask(session, world, TicketReason.partial_no_refund, [order], buyer=world.agency)
    agency_paid = await session.scalar(
        select(OrderCharge.amount).where(
            OrderCharge.order_id == order.id, OrderCharge.account_id == world.agency.id
        )
    )
    assert agency_paid is not None
    expected = refund_for(agency_paid, 250, 1000)
    assert await answers.refunded(session, order) == expected
    row = await _row(session, ticket, order)
    assert money_text.show(expected, "USD", "id") in (row.answer or "")
    assert row.settled
    # The agency's ticket waits on nobody but the buyer; its reseller answers what is not.
    assert ticket.waiting_on is Party.buyer


async def test_partial_whose_refund_is_missing_goes_to_a_person(
    session: AsyncSession, world: World
) -> None:
    order = await _order(session, world, buyer=world.agency, started=True, remains=250)
    # Marked partial without settling: the ledger holds no refund for it.
    order.status = OrderStatus.partial
    await session.flush()
    ticket = await _ask(session, world, TicketReason.partial_no_refund, [order], buyer=world.agency)
    row = await _row(session, ticket, order)
    assert await answers.refunded(session, order) == Decimal(0)
    assert _says("id", "refund_missing") in (row.answer or "")
    assert not row.settled
    assert (ticket.status, ticket.waiting_on) == (TicketStatus.open, Party.reseller)


async def test_partial_complaint_on_a_running_order_waits_for_its_end(
    session: AsyncSession, world: World
) -> None:
    order = await _order(session, world, started=True, remains=250)
    ticket = await _ask(session, world, TicketReason.partial_no_refund, [order])
    row = await _row(session, ticket, order)
    assert _says("id", "refund_open") in (row.answer or "")
    assert not row.settled


async def test_partial_complaint_on_a_completed_order_has_no_refund_due(
    session: AsyncSession, world: World
) -> None:
    order = await _order(session, world, status=OrderStatus.completed)
    ticket = await _ask(session, world, TicketReason.partial_no_refund, [order])
    assert not (await _row(session, ticket, order)).settled


# --- wrong link, other ---------------------------------------------------------------------


async def test_wrong_link_shows_the_link_and_never_changes_it(
    session: AsyncSession, world: World
) -> None:
    link = "https://instagram.com/salah_akun"
    order = await _order(session, world, link=link)
    ticket = await _ask(session, world, TicketReason.wrong_link, [order])
    row = await _row(session, ticket, order)
    assert _says("id", "link", link=link) in (row.answer or "")
    assert (await session.get_one(Order, order.id)).link == link
    assert not row.settled
    assert ticket.status is TicketStatus.open


async def test_other_gives_the_facts_for_a_person(session: AsyncSession, world: World) -> None:
    order = await _order(session, world, status=OrderStatus.completed)
    ticket = await _ask(session, world, TicketReason.other, [order], lang="en")
    row = await _row(session, ticket, order)
    assert "Status: completed, start count 150, delivered 1000 of 1000, remains 0." in (
        row.answer or ""
    )
    assert not row.settled


# --- the ticket as a whole -----------------------------------------------------------------


async def test_one_message_for_every_order_and_a_second_run_does_nothing(
    session: AsyncSession, world: World
) -> None:
    done = await _order(session, world, status=OrderStatus.completed)
    running = await _order(session, world, started=True, remains=100)
    ticket = await _ask(session, world, TicketReason.dropped, [done, running])
    again = await answers.answer(session, ticket.id, NOW + MINUTE)
    assert again is ticket
    messages = (
        await session.scalars(
            select(TicketMessage).where(
                TicketMessage.ticket_id == ticket.id, TicketMessage.party == Party.automation
            )
        )
    ).all()
    assert len(messages) == 1
    assert messages[0].author_id is None
    assert f"#{done.id}" in messages[0].body
    assert f"#{running.id}" in messages[0].body
    assert await _refills(session, done) == 1
    rows = await tickets.orders_of(session, ticket)
    assert [row.answered_at for row in rows] == [NOW, NOW]
    # One order settled, one not: the whole ticket goes to a person.
    assert (ticket.status, ticket.waiting_on, ticket.auto_answered) == (
        TicketStatus.open,
        Party.operator,
        False,
    )


async def test_a_ticket_closed_before_the_answer_stays_closed(
    session: AsyncSession, world: World
) -> None:
    order = await _order(session, world, status=OrderStatus.completed)
    new = tickets.NewTicket(TicketTopic.order, TicketReason.dropped, "isi ulang", [order.id])
    ticket = await tickets.open_ticket(session, world.reseller, new, NOW)
    await tickets.close(session, world.reseller, ticket.id, NOW)
    outbox.take(session)
    await answers.answer(session, ticket.id, NOW)
    assert ticket.status is TicketStatus.closed
    assert ticket.first_auto_answer_at == NOW


# --- the must-show: a real worker ----------------------------------------------------------


@pytest.fixture
async def live(runtime: Runtime, sandbox: SandboxHandle) -> World:
    async with runtime.transaction() as session:
        return await build_world(session, provider_url=sandbox.url, backup_url=sandbox.url)


async def _set(runtime: Runtime, order_id: int, **values: Any) -> None:
    async with runtime.transaction() as session:
        await session.execute(update(Order).where(Order.id == order_id).values(**values))


async def test_a_ticket_on_five_orders_is_answered_within_five_seconds(
    runtime: Runtime,
    live: World,
    sandbox: SandboxHandle,
    run_jobs: RunJobs,
    pipeline_settings: Settings,
) -> None:
    async with runtime.transaction() as session:
        placed = [
            await orders.accept(
                session,
                live.reseller,
                live.services[name].id,
                {"link": f"https://instagram.com/five{number}", "quantity": "1000"},
            )
            for number, name in enumerate(["followers", "followers", "followers", "likes"])
        ]
    await run_jobs()  # sent to the sandbox over HTTP
    waiting = await _order_pending(runtime, live)
    done, partial, running, no_refill = (order.id for order in placed)
    now = datetime.now(UTC)
    await _set(runtime, done, status=OrderStatus.completed, remains=0, finished_at=now)
    await _set(runtime, partial, status=OrderStatus.partial, remains=400, finished_at=now)
    await _set(runtime, running, remains=700, started_at=now, next_poll_at=None)
    await _set(runtime, no_refill, status=OrderStatus.completed, remains=0, finished_at=now)
    await _set(runtime, waiting, status=OrderStatus.needs_review)

    # The worker as `pasok worker` runs it, stopped the way it is stopped.
    stop = asyncio.Event()
    working = asyncio.create_task(serve(pipeline_settings.model_copy(), stop))
    try:
        ids = [done, partial, running, no_refill, waiting]
        new = tickets.NewTicket(TicketTopic.order, TicketReason.dropped, "drop, tolong refill", ids)
        async with runtime.transaction() as session:
            buyer = await session.get_one(Account, live.reseller.id)
            ticket = await tickets.open_ticket(session, buyer, new, datetime.now(UTC))
        opened = time.monotonic()
        while True:
            async with runtime.transaction() as session:
                found = await session.get_one(Ticket, ticket.id, populate_existing=True)
                if found.first_auto_answer_at is not None:
                    break
            assert time.monotonic() - opened < 5, "no automatic answer within 5 s"
            await asyncio.sleep(0.05)
        assert time.monotonic() - opened < 5
    finally:
        stop.set()
        await asyncio.wait_for(working, 30)

    async with runtime.transaction() as session:
        rows = {row.order_id: row for row in await tickets.orders_of(session, found)}
        assert {order_id: (row.action, row.settled) for order_id, row in rows.items()} == {
            done: (answers.REFILL_REQUESTED, True),
            partial: (answers.REFILL_REQUESTED, True),
            running: (None, False),
            no_refill: (None, False),
            waiting: (None, False),
        }
        assert _says("id", "refill_not_finished") in (rows[running].answer or "")
        assert _says("id", "refill_disabled") in (rows[no_refill].answer or "")
        assert _says("id", "checking") in (rows[waiting].answer or "")
        refilled = await session.scalar(
            select(func.count()).select_from(Refill).where(Refill.order_id.in_(ids))
        )
        assert refilled == 2
        assert (found.status, found.waiting_on) == (TicketStatus.open, Party.operator)
    # The job again (a second delivery) answers nothing twice.
    async with runtime.transaction() as session:
        await answers.answer(session, ticket.id, datetime.now(UTC))
    async with runtime.transaction() as session:
        messages = await session.scalar(
            select(func.count())
            .select_from(TicketMessage)
            .where(TicketMessage.ticket_id == ticket.id, TicketMessage.party == Party.automation)
        )
        again = await session.scalar(
            select(func.count()).select_from(Refill).where(Refill.order_id.in_(ids))
        )
    assert (messages, again) == (1, 2)


async def _order_pending(runtime: Runtime, world: World) -> int:
    """A fifth order, taken but held back: it will be the one under review."""
    async with runtime.transaction() as session:
        order = await orders.accept(
            session,
            world.reseller,
            world.services["followers"].id,
            {"link": "https://instagram.com/five-held", "quantity": "1000"},
        )
        outbox.take(session)
    return order.id
