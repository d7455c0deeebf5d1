"""Sending an order upstream at most once.

The order is marked `submitting` and committed before the upstream `add`; the answer is
recorded in a second transaction. If the worker dies in between, the order stays
`submitting` and the sweeper parks it for review: API v2 has no idempotency key, so a blind
resend could buy the same thing twice.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from panel.catalogue import routes
from panel.config import OrderSettings
from panel.models import Order, OrderStatus, Provider
from panel.orders import calls, dripfeed, validation
from panel.orders.jobs import submit_later
from panel.orders.settlement import settle
from panel.providers import prepaid_route
from panel.providers.adapter import AddResult, Outcome

log = logging.getLogger("panel.orders")

MAX_BACKOFF = timedelta(minutes=10)


@dataclass(frozen=True)
class Attempt:
    """An order marked `submitting`: what to send, and to whom."""

    order_id: int
    provider: Provider
    params: dict[str, str | int]


async def claim(
    session: AsyncSession, order_id: int, now: datetime, settings: OrderSettings
) -> Attempt | None:
    """Take a due `pending` order and mark it `submitting` on its next route; settle it as
    failed when no route is left, or split a drip-feed into runs when the route cannot drip-feed.
    None when there is nothing to send now."""
    order = await session.scalar(
        select(Order)
        .where(Order.id == order_id, Order.status == OrderStatus.pending)
        .with_for_update(skip_locked=True)
    )
    if order is None or (order.next_attempt_at is not None and order.next_attempt_at > now):
        return None
    candidates = await routes.live_routes(session, order.service_id)
    if order.route_index >= len(candidates):
        await settle(
            session, order, OrderStatus.failed, order.quantity, "no upstream route accepted it"
        )
        return None
    route = candidates[order.route_index]
    if "runs" in order.params and not route.dripfeed:
        await dripfeed.emulate(session, order, now, settings)
        return None
    provider = await session.get_one(Provider, route.provider_id)
    order.status = OrderStatus.submitting
    order.provider_service_id = route.id
    order.provider_id = provider.id
    # The route's cost as it stands now, in both currencies: settlement books from these.
    order.cost_rate = route.rate
    order.provider_currency = provider.currency
    order.exchange_rate = route.exchange_rate
    order.converted_cost_rate = route.cost
    order.cost_per_item = route.type in validation.PER_ITEM_TYPES
    order.submitted_at = now
    order.submit_attempts += 1
    params: dict[str, str | int] = {"service": route.external_id, "link": order.link}
    params.update(order.params)
    if route.type == validation.PREPAID:
        # The purchase's own key upstream, one per route: a repeat reports the first purchase.
        params["ref_id"] = prepaid_route.ref_for(order.id, order.route_index)
    return Attempt(order.id, provider, params)


async def record(
    session: AsyncSession,
    order_id: int,
    result: AddResult,
    now: datetime,
    settings: OrderSettings,
) -> OrderStatus | None:
    """Record the upstream's answer to `add` for an order this worker marked `submitting`."""
    order = await session.get(Order, order_id, with_for_update=True, populate_existing=True)
    if order is not None:
        # Kept even when the order was parked meanwhile: the operator needs this answer most.
        calls.note(
            session,
            order.id,
            order.provider_id,
            "add",
            result.outcome.value,
            calls.answer_of(result),
            now,
        )
    if order is None or order.status is not OrderStatus.submitting:
        # The sweeper parked it meanwhile; the operator now holds the answer we got.
        log.warning(
            "answer for an order no longer submitting",
            extra={"fields": {"order": order_id, "outcome": result.outcome}},
        )
        return None
    if result.outcome is Outcome.accepted:
        order.status = OrderStatus.in_progress
        order.upstream_id = result.upstream_id
        order.next_poll_at = now + timedelta(seconds=settings.first_poll_after_s)
    elif result.outcome is Outcome.rejected:
        # An explicit refusal created nothing upstream: the next route may take it.
        order.status = OrderStatus.pending
        order.route_index += 1
        order.next_attempt_at = now
        submit_later(session, order)
    elif result.outcome is Outcome.transient:
        delay = _backoff(order.submit_attempts, result.retry_after_s)
        order.status = OrderStatus.pending
        order.next_attempt_at = now + delay
        submit_later(session, order, defer_by=delay)
    else:
        order.status = OrderStatus.needs_review
        order.review_reason = f"upstream answer to add unknown: {result.detail}"
    log.info(
        "order submitted",
        extra={"fields": {"order": order.id, "outcome": result.outcome, "status": order.status}},
    )
    return order.status


def _backoff(attempts: int, retry_after_s: float | None) -> timedelta:
    delay = timedelta(seconds=2 ** min(attempts, 10))
    if retry_after_s is not None:
        delay = max(delay, timedelta(seconds=retry_after_s))
    return min(delay, MAX_BACKOFF)
