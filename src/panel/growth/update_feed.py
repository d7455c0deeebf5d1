"""The service-updates feed, each buyer at its own rates, and `service.updated` webhooks.

A row keeps base costs (see `service_updates`); the reader's rates are derived from them by
`pricing.Pricer`, the same rules that price its orders. `service.updated` webhooks are made
from the rows as order events are: a cron turns each row into one delivery per enabled
endpoint of every reseller and agency, priced for its owner, and marks the row, so each change
is sent once.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from panel.growth.update_schemas import ServiceUpdateView
from panel.models import (
    BUYERS,
    Account,
    Service,
    ServiceChange,
    ServiceUpdate,
    WebhookEndpoint,
)
from panel.pricing import service as pricing
from panel.webhooks import service as webhooks

SERVICE_UPDATED = "service.updated"
FAN_OUT_BATCH = 500


@dataclass(frozen=True)
class Shown:
    """An update as one buyer reads it."""

    update: ServiceUpdate
    service: Service
    rate_before: Decimal | None
    rate_after: Decimal | None

    @property
    def unchanged_price(self) -> bool:
        """A change of cost the buyer's own price does not show (its rule's floor, say)."""
        return self.update.change is ServiceChange.price and self.rate_before == self.rate_after

    def view(self, currency: str) -> ServiceUpdateView:
        update = self.update
        return ServiceUpdateView(
            id=update.id,
            service_id=self.service.id,
            name=self.service.name,
            category=self.service.category,
            change=update.change,
            rate_before=self.rate_before,
            rate_after=self.rate_after,
            currency=currency,
            min_before=update.min_before,
            min_after=update.min_after,
            max_before=update.max_before,
            max_after=update.max_after,
            allowed_before=update.allowed_before,
            allowed_after=update.allowed_after,
            created_at=update.created_at,
        )


def shown(chain: pricing.Pricer, update: ServiceUpdate, service: Service) -> Shown:
    def rate(cost: Decimal | None) -> Decimal | None:
        return None if cost is None else chain.rate(service, cost)

    return Shown(update, service, rate(update.cost_before), rate(update.cost_after))


@dataclass(frozen=True)
class FeedPage:
    entries: list[Shown]
    next_cursor: int | None  # the oldest update read: pass as `before` for the next page


async def feed(
    session: AsyncSession, account: Account, *, before: int | None = None, limit: int = 50
) -> FeedPage:
    """`account`'s updates, newest first, at its own rates. A price change its own price does
    not show is left out; the page then holds fewer than `limit` entries, and the cursor
    still moves past it."""
    chain = await pricing.pricer(session, account)
    query = (
        select(ServiceUpdate, Service)
        .join(Service, Service.id == ServiceUpdate.service_id)
        .order_by(ServiceUpdate.id.desc())
        .limit(limit)
    )
    if before is not None:
        query = query.where(ServiceUpdate.id < before)
    rows = (await session.execute(query)).all()
    entries = [shown(chain, update, service) for update, service in rows]
    return FeedPage(
        [entry for entry in entries if not entry.unchanged_price],
        rows[-1][0].id if len(rows) == limit else None,
    )


# --- service.updated webhooks ----------------------------------------------------------------


async def fan_out(session: AsyncSession, now: datetime, currency: str) -> int:
    """Turn waiting updates into `service.updated` deliveries for every enabled endpoint of a
    reseller or an agency, each at its owner's rates; returns how many deliveries were made.
    Rows are locked and marked, so two workers never send one update twice."""
    updates = list(
        await session.scalars(
            select(ServiceUpdate)
            .where(ServiceUpdate.fanned_out_at.is_(None))
            .order_by(ServiceUpdate.id)
            .limit(FAN_OUT_BATCH)
            .with_for_update(skip_locked=True)
        )
    )
    if not updates:
        return 0
    services = {
        service.id: service
        for service in await session.scalars(
            select(Service).where(Service.id.in_({u.service_id for u in updates}))
        )
    }
    subscribed: dict[int, list[WebhookEndpoint]] = {}
    owners: dict[int, Account] = {}
    for endpoint, owner in await session.execute(
        select(WebhookEndpoint, Account)
        .join(Account, Account.id == WebhookEndpoint.account_id)
        .where(WebhookEndpoint.enabled.is_(True), Account.kind.in_(BUYERS))
        .order_by(WebhookEndpoint.id)
    ):
        subscribed.setdefault(owner.id, []).append(endpoint)
        owners[owner.id] = owner
    made: list[tuple[WebhookEndpoint, str, dict[str, Any]]] = []
    for owner_id, endpoints in subscribed.items():
        chain = await pricing.pricer(session, owners[owner_id])
        for update in updates:
            entry = shown(chain, update, services[update.service_id])
            if entry.unchanged_price:
                continue
            body = event(entry, currency)
            made += [(endpoint, SERVICE_UPDATED, body) for endpoint in endpoints]
    for update in updates:
        update.fanned_out_at = now
    return webhooks.queue(session, made, now)


def event(entry: Shown, currency: str) -> dict[str, Any]:
    """The body of one `service.updated` event; its `id` is the same for every receiver."""
    return {
        "id": f"svu_{entry.update.id}",
        "type": SERVICE_UPDATED,
        "created_at": entry.update.created_at.isoformat(),
        "data": {"update": entry.view(currency).model_dump(mode="json")},
    }
