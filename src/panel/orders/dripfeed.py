"""Drip-feed emulated for a route whose upstream has none.

The order's runs become orders of their own (`parent_id` set), one per run, each due
`interval` minutes after the one before and sent, polled, failed over and reviewed exactly like
any order. A run is free to its buyer: the parent was paid when it was accepted, and its money
stays in clearing until every run has ended. Then the parent settles once, refunding what the
runs did not deliver. What each run cost upstream is booked when that run settles.
"""

from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from panel.config import OrderSettings
from panel.models import TERMINAL, Order, OrderCharge, OrderStatus
from panel.orders.jobs import cancel_later, submit_later
from panel.orders.settlement import Ending, settle, settle_many

BATCH = 500
_run = aliased(Order)


def is_emulated(order: Order) -> bool:
    """An order in progress with no upstream order of its own is running as emulated runs."""
    return order.status is OrderStatus.in_progress and order.upstream_id is None


async def emulate(
    session: AsyncSession, order: Order, now: datetime, settings: OrderSettings
) -> list[Order]:
    """Split a `pending` drip-feed order into its runs and set it in progress."""
    runs, per_run, interval = (int(order.params[name]) for name in ("runs", "quantity", "interval"))
    every = timedelta(seconds=interval * settings.dripfeed_minute_s)
    children = [
        Order(
            account_id=order.account_id,
            reseller_id=order.reseller_id,
            service_id=order.service_id,
            parent_id=order.id,
            link=order.link,
            quantity=per_run,
            params={"quantity": per_run},
            rate=Decimal(0),
            charge=Decimal(0),
            status=OrderStatus.pending,
            route_index=order.route_index,
            submit_attempts=0,
            next_attempt_at=now + every * number,
        )
        for number in range(runs)
    ]
    session.add_all(children)
    await session.flush()
    # Every payer of the chain has a zero charge on each run, so a run settles like any order
    # and moves no money but its upstream cost.
    payers = await session.scalars(
        select(OrderCharge.account_id).where(OrderCharge.order_id == order.id)
    )
    session.add_all(
        OrderCharge(order_id=child.id, account_id=payer, rate=Decimal(0), amount=Decimal(0))
        for payer in list(payers)
        for child in children
    )
    for number, child in enumerate(children):
        submit_later(session, child, defer_by=every * number)
    order.status = OrderStatus.in_progress
    order.submitted_at = now
    return children


async def runs_of(session: AsyncSession, order: Order) -> Sequence[Order]:
    found = await session.scalars(
        select(Order).where(Order.parent_id == order.id).order_by(Order.id)
    )
    return found.all()


async def cancel_runs(session: AsyncSession, order: Order, now: datetime) -> None:
    """Stop an emulated order: runs not yet sent are canceled at once, runs upstream are asked
    to cancel; the order settles when the last run has ended."""
    order.cancel_requested_at = now
    for run in await runs_of(session, order):
        locked = await session.get_one(Order, run.id, with_for_update=True, populate_existing=True)
        if locked.status is OrderStatus.pending:
            await settle(
                session, locked, OrderStatus.canceled, locked.quantity, "drip-feed canceled"
            )
        elif locked.status is OrderStatus.in_progress and locked.cancel_requested_at is None:
            locked.cancel_requested_at = now
            cancel_later(session, locked)


async def finish(session: AsyncSession) -> list[Order]:
    """Settle the emulated orders whose runs have all ended; returns them."""
    open_run = exists().where(_run.parent_id == Order.id, _run.status.not_in(TERMINAL))
    parents = (
        await session.scalars(
            select(Order)
            .where(Order.status == OrderStatus.in_progress, Order.upstream_id.is_(None), ~open_run)
            .order_by(Order.id)
            .limit(BATCH)
            .with_for_update(skip_locked=True)
        )
    ).all()
    if not parents:
        return []
    # What the runs left undelivered, and the first run's start count for the whole order.
    ended = await session.execute(
        select(
            _run.parent_id,
            func.sum(_run.remains),
            func.min(_run.start_count),
        )
        .where(_run.parent_id.in_([parent.id for parent in parents]))
        .group_by(_run.parent_id)
    )
    runs = {parent_id: (remains, start) for parent_id, remains, start in ended}
    endings = []
    for parent in parents:
        remains, start_count = runs.get(parent.id, (parent.quantity, None))
        remains = min(int(remains or 0), parent.quantity)
        if remains == 0:
            status = OrderStatus.completed
        elif remains == parent.quantity:
            status = OrderStatus.canceled
        else:
            status = OrderStatus.partial
        endings.append(Ending(parent, status, remains, "drip-feed runs ended", start_count))
    return await settle_many(session, endings)
