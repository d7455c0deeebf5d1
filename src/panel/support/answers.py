"""The automatic first answer of a ticket about orders: for every order, its facts and what the
complaint calls for, from Pasok's own data and rules, in the buyer's language.

A refill or a cancel is asked for through the same order rules as the buttons, with the buyer
as the one asking, so the automation never does what the buyer could not do itself; each
ticket order row is answered once (`answered_at`), so a job that runs twice asks nothing twice.
What the answer settles lets the buyer close the ticket; anything else waits on a person."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from panel.catalogue import quality
from panel.currencies import money_text
from panel.models import (
    TERMINAL,
    Account,
    Entry,
    Journal,
    JournalKind,
    LedgerAccount,
    Order,
    OrderCharge,
    OrderStatus,
    Party,
    QualityFigures,
    Service,
    Ticket,
    TicketOrder,
    TicketReason,
    TicketStatus,
)
from panel.money import refund_for
from panel.orders import refills
from panel.orders import service as orders
from panel.orders.texts import Refused
from panel.support import events, tickets
from panel.support.answer_texts import duration, refusal_key, status_word, word

REFILL_REQUESTED = "refill_requested"
CANCEL_REQUESTED = "cancel_requested"
# Past this many times the service's median, a delay is a person's to look at.
PAST_MEDIAN = 2
# Without figures for a service, how long an order may wait before a person looks.
NO_FIGURES_WAIT = timedelta(hours=1)
# Sent upstream, but its outcome is Pasok's to find out with the provider.
CHECKING = frozenset({OrderStatus.submitting, OrderStatus.needs_review})


@dataclass
class Found:
    """What the automation says about one order, and whether that settles it."""

    lines: list[str] = field(default_factory=list)
    action: str | None = None
    settled: bool = False


async def answer(
    session: AsyncSession, ticket_id: int, now: datetime, *, currency: str = "USD"
) -> Ticket | None:
    """Answer every order of the ticket not answered yet, in one automation message. Safe to
    run again: the ticket row is locked first, and answered orders are left alone."""
    ticket = await session.scalar(
        select(Ticket)
        .where(Ticket.id == ticket_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if ticket is None:
        return None
    rows = list(
        await session.scalars(
            select(TicketOrder)
            .where(TicketOrder.ticket_id == ticket.id, TicketOrder.answered_at.is_(None))
            .order_by(TicketOrder.id)
        )
    )
    if not rows:
        return ticket
    buyer = await session.get_one(Account, ticket.account_id)
    found_orders = {
        order.id: order
        for order in await session.scalars(
            select(Order).where(Order.id.in_([row.order_id for row in rows]))
        )
    }
    services = await orders.services_of(session, found_orders.values())
    figures = await quality.figures_of(session, quality.SERVICE, list(services))
    paragraphs = []
    for row in rows:
        order = found_orders[row.order_id]
        service = services[order.service_id]
        found = await _answer_order(
            session, ticket, buyer, order, service, figures.get(service.id), now, currency
        )
        row.answer = " ".join(found.lines)
        row.action = found.action
        row.settled = found.settled
        row.answered_at = now
        paragraphs.append("\n".join(found.lines))
    every_settled = all(row.settled for row in await tickets.orders_of(session, ticket))
    closing = word(ticket.lang, "done_all" if every_settled else "done_some")
    body = "\n\n".join([word(ticket.lang, "intro"), *paragraphs, closing])
    await tickets.post(session, ticket, None, Party.automation, body)
    ticket.first_auto_answer_at = ticket.first_auto_answer_at or now
    # A buyer's reply or a close meanwhile has already said whom the ticket waits on.
    if ticket.status is not TicketStatus.closed and ticket.waiting_on is Party.automation:
        if every_settled:
            ticket.auto_answered = True
            ticket.status, ticket.waiting_on = TicketStatus.answered, Party.buyer
        else:
            ticket.status = TicketStatus.open
            ticket.waiting_on = tickets.answerer(buyer, ticket.escalated)
    ticket.updated_at = now
    await session.flush()
    await events.ticket_changed(session, ticket, "answered", now)
    return ticket


async def _answer_order(
    session: AsyncSession,
    ticket: Ticket,
    buyer: Account,
    order: Order,
    service: Service,
    figures: QualityFigures | None,
    now: datetime,
    currency: str,
) -> Found:
    lang = ticket.lang
    found = Found([word(lang, "order", id=order.id, service=service.name), _facts(lang, order)])
    if order.status in CHECKING:
        found.lines.append(word(lang, "checking"))
        return found
    reason = ticket.reason
    if reason in (TicketReason.not_started, TicketReason.slow):
        await _timing(session, found, lang, order, figures, now, currency)
    elif reason is TicketReason.dropped:
        await _refill(session, found, lang, buyer, order, service)
    elif reason is TicketReason.cancel:
        await _cancel(session, found, lang, buyer, order)
    elif reason is TicketReason.partial_no_refund:
        await _refund(session, found, lang, order, currency)
    elif reason is TicketReason.wrong_link:
        found.lines += [word(lang, "link", link=order.link), word(lang, "link_fixed")]
    else:
        found.lines.append(word(lang, "person"))
    return found


def _facts(lang: str, order: Order) -> str:
    remains = order.undelivered
    parts = [word(lang, "status", status=status_word(lang, order.status))]
    if order.start_count is not None:
        parts.append(word(lang, "start_count", count=order.start_count))
    parts.append(
        word(lang, "delivered", delivered=order.quantity - remains, quantity=order.quantity)
    )
    parts.append(word(lang, "remains", remains=remains))
    return ", ".join(parts) + "."


async def _timing(
    session: AsyncSession,
    found: Found,
    lang: str,
    order: Order,
    figures: QualityFigures | None,
    now: datetime,
    currency: str,
) -> None:
    """Not started, or slow: how long the service usually takes against how long this order
    has waited. Within the usual time it settles; well past it, a person looks."""
    if order.status in TERMINAL:
        # Ended meanwhile: what was not delivered is refunded, and that is the answer.
        found.lines.append(word(lang, "finished"))
        if order.undelivered > 0:
            await _refund(session, found, lang, order, currency)
        else:
            found.settled = True
        return
    started = order.started_at is not None or order.undelivered < order.quantity
    usual = None
    if figures is not None:
        usual = figures.median_complete_s if started else figures.median_start_s
    age = (now - (order.submitted_at or order.created_at)).total_seconds()
    shown_age = duration(lang, max(age, 0))
    if usual:
        key = "usual_complete" if started else "usual_start"
        found.lines.append(word(lang, key, usual=duration(lang, usual), age=shown_age))
        found.settled = age <= PAST_MEDIAN * usual
    else:
        found.lines.append(word(lang, "no_figures", age=shown_age))
        found.settled = age <= NO_FIGURES_WAIT.total_seconds()
    found.lines.append(word(lang, "within" if found.settled else "past"))


async def _refill(
    session: AsyncSession,
    found: Found,
    lang: str,
    buyer: Account,
    order: Order,
    service: Service,
) -> None:
    running = order.id in await refills.running(session, [order.id])
    try:
        # A savepoint: a refusal leaves the ticket's transaction usable.
        async with session.begin_nested():
            refill = await orders.request_refill(session, buyer, order.id)
    except Refused as refused:
        await session.refresh(order)
        key = refusal_key(refused.detail, "refill_not_eligible")
        if key == "refill_not_eligible":
            if running:
                key = "refill_running"
            elif order.status not in refills.REFILLABLE:
                key = "refill_not_finished"
        found.lines += [word(lang, key), word(lang, "person")]
        return
    found.lines.append(word(lang, "refill_requested", refill=refill.id))
    found.action, found.settled = REFILL_REQUESTED, True


async def _cancel(
    session: AsyncSession, found: Found, lang: str, buyer: Account, order: Order
) -> None:
    was = order.status
    try:
        async with session.begin_nested():
            canceled = await orders.request_cancel(session, buyer, order.id)
    except Refused as refused:
        await session.refresh(order)
        key = refusal_key(refused.detail, "cancel_not_eligible")
        if key == "cancel_not_eligible":
            if order.status in TERMINAL:
                key = "cancel_finished"
            elif order.cancel_requested_at is not None:
                key = "cancel_asked"
        found.lines += [word(lang, key), word(lang, "person")]
        return
    done_now = was is OrderStatus.pending and canceled.status is OrderStatus.canceled
    found.lines.append(word(lang, "canceled_now" if done_now else "cancel_requested"))
    found.action, found.settled = CANCEL_REQUESTED, True


async def _refund(
    session: AsyncSession, found: Found, lang: str, order: Order, currency: str
) -> None:
    """Partial without a refund: the refund the ledger holds for the order's buyer, settled
    when it is the share of the charge for what was not delivered."""
    if order.status not in TERMINAL:
        found.lines += [word(lang, "refund_open"), word(lang, "person")]
        return
    made = await refunded(session, order)
    due = await refund_due(session, order)
    if due > 0 and made == due:
        amount = money_text.show(made, currency, lang)
        found.lines.append(word(lang, "refunded", remains=order.undelivered, amount=amount))
        found.settled = True
    else:
        found.lines.append(word(lang, "refund_missing"))


async def refunded(session: AsyncSession, order: Order) -> Decimal:
    """What the ledger returned to the order's buyer for it: the credits to the buyer's wallet
    in the order's settlement and refund journals (an agency's own, never its reseller's)."""
    total = await session.scalar(
        select(func.coalesce(func.sum(Entry.amount), 0))
        .join(Journal, Journal.id == Entry.journal_id)
        .join(LedgerAccount, LedgerAccount.id == Entry.ledger_account_id)
        .where(
            Journal.order_id == order.id,
            Journal.kind.in_([JournalKind.settlement, JournalKind.refund]),
            LedgerAccount.owner_id == order.account_id,
            Entry.amount > 0,
        )
    )
    return Decimal(total or 0)


async def refund_due(session: AsyncSession, order: Order) -> Decimal:
    """The buyer's share of its charge for what was not delivered, as settlement computes it."""
    paid = await session.scalar(
        select(OrderCharge.amount).where(
            OrderCharge.order_id == order.id, OrderCharge.account_id == order.account_id
        )
    )
    if paid is None:
        return Decimal(0)
    return refund_for(paid, order.undelivered, order.quantity)
