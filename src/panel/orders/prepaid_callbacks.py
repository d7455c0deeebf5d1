"""A prepaid provider's callback about a purchase: verified on its raw bytes, matched to the
order its `ref_id` names, and applied as a status poll's answer would be, so a purchase ends
(with its serial, or refunded) once however often the callback comes and whether the callback
or a poll tells first."""

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from panel.config import OrderSettings
from panel.errors import NotFound
from panel.models import Order, OrderStatus, Provider
from panel.orders import calls, polling
from panel.providers.prepaid_route import Handle, PrepaidUpstream, order_of, upstream_status


async def receive(
    session: AsyncSession,
    provider: Provider,
    upstream: PrepaidUpstream,
    headers: Mapping[str, str],
    body: bytes,
    now: datetime,
    settings: OrderSettings,
) -> OrderStatus | None:
    """Apply one callback; the order's status after it, or None when it changed nothing.
    Raises CallbackRefused (not verified) or NotFound (no purchase of ours with that ref_id),
    and then nothing is written."""
    callback = upstream.read_callback(dict(headers), body)
    order_id = order_of(callback.ref_id)
    # Locked first: two deliveries of one callback then wait for each other here, instead of
    # each holding a key-share lock from its call note while waiting for the other's.
    order = (
        await session.get(Order, order_id, with_for_update=True, populate_existing=True)
        if order_id is not None
        else None
    )
    handle = Handle.parse(order.upstream_id or "") if order is not None else None
    if order is None or order.provider_id != provider.id or handle is None:
        raise NotFound("no purchase with that ref_id")
    if handle.ref_id != callback.ref_id:
        # A reference of ours to a route this order has left: a purchase no order waits for.
        raise NotFound("no purchase with that ref_id")
    answer = upstream_status(callback.result)
    if answer is None or order.status is not OrderStatus.in_progress:
        # Still pending, unreadable, or the order already ended (a repeat): nothing to do. An
        # order still being submitted learns its end from its first poll.
        return None
    said = callback.result.message or str(callback.result.state)
    calls.note(session, order.id, provider.id, "callback", callback.result.outcome.value, said, now)
    counts = await polling.apply(session, {order.id: answer}, now, settings)
    return next(iter(counts), None)
