"""Webhooks: endpoints a buyer registers, and the deliveries of its orders' status changes.

Status changes are recorded by the database itself (`order_event`, see the webhooks
migration) in the transaction that makes them. A cron turns each event into one delivery per
endpoint of the buyer (and of its reseller, for an agency's order), with the body fixed then.
Deliveries are sent until the receiver answers 2xx, with exponential backoff, for at least
a day; every attempt is logged.
"""

import json
import secrets
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from panel.config import WebhookSettings
from panel.errors import Invalid, NotFound
from panel.models import (
    Account,
    DeliveryStatus,
    Order,
    OrderEvent,
    OrderStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from panel.orders.schemas import PUBLIC_STATUS, OrderView
from panel.orders.service import paid_by
from panel.plumbing.retention import BATCH, delete_batch
from panel.webhooks import network

EVENT_BATCH = 1000
ORDER_UPDATED = "order.updated"


async def create_endpoint(
    session: AsyncSession,
    account: Account,
    url: str,
    secret: str | None,
    settings: WebhookSettings,
) -> WebhookEndpoint:
    """A receiver for the account's order events. One on a private address is refused now,
    where the buyer reads why, rather than taken and then never sent to."""
    host = httpx.URL(url).host
    if not settings.allow_private_hosts and (private := await network.private_addresses(host)):
        raise Invalid(
            f"{host} is at a private address ({', '.join(private)}); webhooks are sent only "
            "to public addresses unless the operator sets PASOK_WEBHOOKS__ALLOW_PRIVATE_HOSTS"
        )
    endpoint = WebhookEndpoint(
        account_id=account.id,
        url=url,
        secret=secret or f"whsec_{secrets.token_hex(24)}",
        enabled=True,
    )
    session.add(endpoint)
    await session.flush()
    return endpoint


async def endpoints_of(session: AsyncSession, account: Account) -> list[WebhookEndpoint]:
    found = await session.scalars(
        select(WebhookEndpoint)
        .where(WebhookEndpoint.account_id == account.id)
        .order_by(WebhookEndpoint.id)
    )
    return list(found)


async def endpoint_of(session: AsyncSession, account: Account, endpoint_id: int) -> WebhookEndpoint:
    """One of `account`'s endpoints; anyone else's does not exist."""
    endpoint = await session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None or endpoint.account_id != account.id:
        raise NotFound(f"webhook endpoint {endpoint_id} does not exist")
    return endpoint


async def disable(session: AsyncSession, account: Account, endpoint_id: int) -> WebhookEndpoint:
    """Stop sending to an endpoint; its delivery log stays readable."""
    endpoint = await endpoint_of(session, account, endpoint_id)
    endpoint.enabled = False
    await session.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.endpoint_id == endpoint.id,
            WebhookDelivery.status == DeliveryStatus.pending,
        )
        .values(status=DeliveryStatus.failed, next_attempt_at=None)
    )
    return endpoint


async def ping(
    session: AsyncSession, account: Account, endpoint_id: int, now: datetime
) -> WebhookDelivery:
    """A test event, sent like any other, to check a receiver and its signature check."""
    endpoint = await endpoint_of(session, account, endpoint_id)
    body = {"id": f"ping_{secrets.token_hex(8)}", "type": "ping", "created_at": now.isoformat()}
    [delivery] = _deliveries([(endpoint, "ping", body)], now)
    session.add(delivery)
    await session.flush()
    return delivery


async def deliveries_of(
    session: AsyncSession, account: Account, endpoint_id: int, limit: int
) -> list[tuple[WebhookDelivery, list[WebhookAttempt]]]:
    """The newest deliveries to one of `account`'s endpoints, each with its attempts."""
    endpoint = await endpoint_of(session, account, endpoint_id)
    found = list(
        await session.scalars(
            select(WebhookDelivery)
            .where(WebhookDelivery.endpoint_id == endpoint.id)
            .order_by(WebhookDelivery.id.desc())
            .limit(limit)
        )
    )
    attempts: dict[int, list[WebhookAttempt]] = defaultdict(list)
    for attempt in await session.scalars(
        select(WebhookAttempt)
        .where(WebhookAttempt.delivery_id.in_([d.id for d in found]))
        .order_by(WebhookAttempt.id)
    ):
        attempts[attempt.delivery_id].append(attempt)
    return [(delivery, attempts[delivery.id]) for delivery in found]


async def purge(
    session: AsyncSession,
    now: datetime,
    days: float,
    event_days: float,
    batch: int = BATCH,
) -> int:
    """Forget what is done with: deliveries made `days` ago that ended (delivered or given
    up), with their attempts, and events turned into deliveries `event_days` ago. A pending
    delivery is kept whatever its age: it is still being sent. At most `batch` rows per table;
    returns the rows removed, 0 once nothing is left."""
    ended = WebhookDelivery.status != DeliveryStatus.pending
    before = now - timedelta(days=days)
    attempts = await delete_batch(
        session,
        WebhookAttempt,
        select(WebhookAttempt.id)
        .join(WebhookDelivery, WebhookDelivery.id == WebhookAttempt.delivery_id)
        .where(ended, WebhookDelivery.created_at < before),
        oldest_first=WebhookDelivery.created_at,
        batch=batch,
    )
    # A delivery goes once its attempts have: those of one batch may leave some for the next.
    deliveries = await delete_batch(
        session,
        WebhookDelivery,
        select(WebhookDelivery.id).where(
            ended,
            WebhookDelivery.created_at < before,
            ~select(WebhookAttempt.id)
            .where(WebhookAttempt.delivery_id == WebhookDelivery.id)
            .exists(),
        ),
        oldest_first=WebhookDelivery.created_at,
        batch=batch,
    )
    events = await delete_batch(
        session,
        OrderEvent,
        select(OrderEvent.id).where(OrderEvent.fanned_out_at < now - timedelta(days=event_days)),
        oldest_first=OrderEvent.fanned_out_at,
        batch=batch,
    )
    return attempts + deliveries + events


async def fan_out(session: AsyncSession, now: datetime, currency: str) -> int:
    """Turn waiting order events into deliveries; returns how many deliveries were made."""
    events = list(
        await session.scalars(
            select(OrderEvent)
            .where(OrderEvent.fanned_out_at.is_(None))
            .order_by(OrderEvent.id)
            .limit(EVENT_BATCH)
            .with_for_update(skip_locked=True)
        )
    )
    if not events:
        return 0
    orders = {
        o.id: o
        for o in await session.scalars(
            select(Order).where(Order.id.in_({e.order_id for e in events}))
        )
    }
    owners = {o.account_id for o in orders.values()} | {o.reseller_id for o in orders.values()}
    endpoints: dict[int, list[WebhookEndpoint]] = defaultdict(list)
    for endpoint in await session.scalars(
        select(WebhookEndpoint).where(
            WebhookEndpoint.account_id.in_(owners), WebhookEndpoint.enabled.is_(True)
        )
    ):
        endpoints[endpoint.account_id].append(endpoint)
    accounts = {
        a.id: a for a in await session.scalars(select(Account).where(Account.id.in_(owners)))
    }
    paid = {
        account_id: await paid_by(session, accounts[account_id], list(orders.values()))
        for account_id in endpoints
    }
    made = []
    for event in events:
        order = orders[event.order_id]
        old = PUBLIC_STATUS[OrderStatus(event.old_status)] if event.old_status else None
        new = PUBLIC_STATUS[OrderStatus(event.new_status)]
        if old == new:
            continue  # a change inside Pasok the buyer cannot tell apart
        for owner in dict.fromkeys([order.account_id, order.reseller_id]):
            if order.id not in paid.get(owner, {}):
                continue
            view = OrderView.of(order, paid[owner][order.id], currency).model_copy(
                update={"status": new}
            )
            body = {
                "id": f"evt_{event.id}",
                "type": ORDER_UPDATED,
                "created_at": event.created_at.isoformat(),
                "data": {
                    "order": view.model_dump(mode="json"),
                    "previous_status": old.value if old else None,
                },
            }
            made += [(endpoint, ORDER_UPDATED, body) for endpoint in endpoints[owner]]
        event.fanned_out_at = now
    session.add_all(_deliveries(made, now))
    return len(made)


async def announce(
    session: AsyncSession,
    owners: Sequence[int],
    event_type: str,
    event_id: str,
    data: dict[str, Any],
    now: datetime,
) -> int:
    """An event other than an order's (a deposit's, say) for the owners' enabled endpoints,
    in the caller's transaction: it is sent only if what it tells of commits."""
    endpoints = await session.scalars(
        select(WebhookEndpoint).where(
            WebhookEndpoint.account_id.in_(owners), WebhookEndpoint.enabled.is_(True)
        )
    )
    body = {"id": event_id, "type": event_type, "created_at": now.isoformat(), "data": data}
    made = [(endpoint, event_type, body) for endpoint in endpoints]
    session.add_all(_deliveries(made, now))
    return len(made)


def queue(
    session: AsyncSession,
    made: Sequence[tuple[WebhookEndpoint, str, dict[str, Any]]],
    now: datetime,
) -> int:
    """Events already addressed, each body its endpoint's own (priced for its owner, say),
    as deliveries in the caller's transaction; returns how many."""
    session.add_all(_deliveries(made, now))
    return len(made)


def _deliveries(
    made: Sequence[tuple[WebhookEndpoint, str, dict[str, Any]]], now: datetime
) -> list[WebhookDelivery]:
    return [
        WebhookDelivery(
            endpoint_id=endpoint.id,
            event_type=event_type,
            body=json.dumps(body, separators=(",", ":")),
            status=DeliveryStatus.pending,
            attempts=0,
            next_attempt_at=now,
        )
        for endpoint, event_type, body in made
    ]


@dataclass(frozen=True)
class Due:
    """A delivery to attempt now."""

    delivery_id: int
    url: str
    secret: str
    body: str


@dataclass(frozen=True)
class Result:
    status_code: int | None
    error: str | None
    duration_ms: int

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


async def claim_due(
    session: AsyncSession,
    due_by: datetime,
    now: datetime,
    settings: WebhookSettings,
    limit: int = 100,
) -> list[Due]:
    """Deliveries due by `due_by`, leased from `now` for one attempt: another worker skips
    them meanwhile, and a worker that dies leaves them due again when the lease ends."""
    rows = (
        await session.execute(
            select(WebhookDelivery, WebhookEndpoint)
            .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
            .where(
                WebhookDelivery.status == DeliveryStatus.pending,
                WebhookDelivery.next_attempt_at <= due_by,
            )
            .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
            .limit(limit)
            .with_for_update(of=WebhookDelivery, skip_locked=True)
        )
    ).all()
    lease = timedelta(seconds=settings.timeout_s * 2)
    for delivery, _ in rows:
        delivery.next_attempt_at = now + lease
    return [Due(d.id, endpoint.url, endpoint.secret, d.body) for d, endpoint in rows]


async def record(
    session: AsyncSession,
    delivery_id: int,
    result: Result,
    attempted_at: datetime,
    settings: WebhookSettings,
) -> DeliveryStatus:
    """Log one attempt and decide what comes next: done, again later, or given up."""
    delivery = await session.get_one(
        WebhookDelivery, delivery_id, with_for_update=True, populate_existing=True
    )
    session.add(
        WebhookAttempt(
            delivery_id=delivery.id,
            attempted_at=attempted_at,
            status_code=result.status_code,
            error=result.error,
            duration_ms=result.duration_ms,
        )
    )
    if delivery.status is not DeliveryStatus.pending:
        return delivery.status  # disabled meanwhile
    delivery.attempts += 1
    if result.delivered:
        delivery.status = DeliveryStatus.delivered
        delivery.delivered_at = attempted_at
        delivery.next_attempt_at = None
    elif attempted_at - delivery.created_at >= timedelta(hours=settings.retry_for_hours):
        delivery.status = DeliveryStatus.failed
        delivery.next_attempt_at = None
    else:
        backoff = settings.first_retry_s * 2 ** min(delivery.attempts - 1, 20)
        delivery.next_attempt_at = attempted_at + timedelta(
            seconds=min(backoff, settings.max_retry_s)
        )
    return delivery.status
