"""The review queue: orders whose upstream outcome is unknown wait here for an operator, who
knows (or asks) the upstream and decides."""

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.ext.asyncio import AsyncSession

from panel import action_log
from panel.errors import Conflict, Invalid, NotFound
from panel.models import Order, OrderStatus, UpstreamCall
from panel.models.order import REVIEW_SQL
from panel.orders.jobs import submit_later
from panel.orders.settlement import settle


async def waiting(session: AsyncSession, *, after: int = 0, limit: int = 100) -> Sequence[Order]:
    return (
        await session.scalars(
            select(Order)
            # Written out, so that the review queue's partial index serves it.
            .where(text(REVIEW_SQL), Order.id > after)
            .order_by(Order.id)
            .limit(limit)
        )
    ).all()


async def last_answers(session: AsyncSession, order_ids: Sequence[int]) -> dict[int, UpstreamCall]:
    """The last upstream call of each order: what the operator reads before deciding."""
    if not order_ids:
        return {}
    found = await session.scalars(
        select(UpstreamCall)
        .where(UpstreamCall.order_id.in_(order_ids))
        .order_by(UpstreamCall.order_id, UpstreamCall.id.desc())
        .ext(distinct_on(UpstreamCall.order_id))
    )
    return {call.order_id: call for call in found}


class Unconfirmed(Invalid):
    """A resubmit without the operator's word that the upstream does not have the order."""


async def decide(
    session: AsyncSession,
    actor_id: int,
    order_id: int,
    action: str,
    *,
    upstream_id: str = "",
    reason: str = "",
    confirmed: bool = False,
) -> Order:
    """An operator's decision on an order in review, logged with the status before and after.
    A resubmit must be confirmed: sent to an upstream that has the order, it buys it twice."""
    if action == "resubmit" and not confirmed:
        raise Unconfirmed("confirm that the upstream does not have this order before resubmitting")
    before = await _in_review(session, order_id)
    was = action_log.snapshot(before, ("status", "upstream_id", "review_reason"))
    if action == "attach":
        order = await attach(session, order_id, upstream_id)
    elif action == "fail":
        order = await fail(session, order_id, reason)
    elif action == "resubmit":
        order = await resubmit(session, order_id)
    else:
        raise Invalid(f"unknown decision {action!r}")
    await action_log.record(
        session,
        actor_id,
        "order.review",
        "order",
        order.id,
        before=was,
        after={"decision": action, **action_log.snapshot(order, ("status", "upstream_id"))},
        note=reason,
    )
    return order


async def _in_review(session: AsyncSession, order_id: int) -> Order:
    order = await session.get(Order, order_id, with_for_update=True, populate_existing=True)
    if order is None:
        raise NotFound(f"order {order_id} does not exist")
    if order.status is not OrderStatus.needs_review:
        raise Conflict(f"order {order_id} is {order.status}, not waiting for review")
    return order


async def attach(session: AsyncSession, order_id: int, upstream_id: str) -> Order:
    """The upstream has the order under `upstream_id`: track it from now on."""
    if not upstream_id.strip():
        raise Invalid("upstream_id is required")
    order = await _in_review(session, order_id)
    if order.provider_id is None:
        raise Invalid("the order never reached a provider; resubmit or fail it")
    order.status = OrderStatus.in_progress
    order.upstream_id = upstream_id.strip()
    order.review_reason = None
    order.next_poll_at = datetime.now(UTC)
    return order


async def fail(session: AsyncSession, order_id: int, reason: str) -> Order:
    """The upstream does not have the order: refund it in full."""
    order = await _in_review(session, order_id)
    await settle(session, order, OrderStatus.failed, order.quantity, f"review: {reason}")
    return order


async def resubmit(session: AsyncSession, order_id: int) -> Order:
    """Send it again on the same route. The operator has checked that the upstream does not
    have it: otherwise this buys it twice."""
    order = await _in_review(session, order_id)
    order.status = OrderStatus.pending
    order.review_reason = None
    order.next_attempt_at = None
    submit_later(session, order)
    return order
