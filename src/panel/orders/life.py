"""An order's whole life for an operator: its status changes, the calls made upstream with
their classified answers, what each link of the chain was charged, its refills, and every
journal it caused with its entries."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from panel.errors import NotFound
from panel.ledger.accounts import CLEARING
from panel.models import (
    Account,
    Entry,
    Journal,
    LedgerAccount,
    Order,
    OrderCharge,
    OrderEvent,
    Provider,
    Refill,
    Service,
    UpstreamCall,
)


@dataclass(frozen=True)
class Change:
    at: datetime
    old_status: str | None
    new_status: str


@dataclass(frozen=True)
class Charge:
    account_id: int
    account_name: str
    rate: Decimal
    amount: Decimal


@dataclass(frozen=True)
class Leg:
    ledger_account: str  # the ledger account's code
    amount: Decimal


@dataclass(frozen=True)
class Booked:
    journal: Journal
    entries: list[Leg]


@dataclass(frozen=True)
class Life:
    order: Order
    buyer: Account
    service: Service
    provider: Provider | None
    changes: list[Change]  # the order_event rows still kept (they are purged after a week)
    calls: list[UpstreamCall]
    charges: list[Charge]  # the buyer first, then up the chain
    held: Decimal  # what the clearing account holds for the order now
    refills: list[Refill]
    journals: list[Booked]


async def life(session: AsyncSession, order_id: int) -> Life:
    order = await session.get(Order, order_id)
    if order is None:
        raise NotFound(f"order {order_id} does not exist")
    buyer = await session.get_one(Account, order.account_id)
    service = await session.get_one(Service, order.service_id)
    provider = await session.get(Provider, order.provider_id) if order.provider_id else None
    events = await session.scalars(
        select(OrderEvent).where(OrderEvent.order_id == order_id).order_by(OrderEvent.id)
    )
    calls = await session.scalars(
        select(UpstreamCall).where(UpstreamCall.order_id == order_id).order_by(UpstreamCall.id)
    )
    charged = (
        await session.execute(
            select(OrderCharge, Account.name)
            .join(Account, Account.id == OrderCharge.account_id)
            .where(OrderCharge.order_id == order_id)
        )
    ).all()
    charges = sorted(
        (Charge(c.account_id, name, c.rate, c.amount) for c, name in charged),
        # The chain runs down from the buyer: each link above pays no more than the one below.
        key=lambda c: (c.account_id != order.account_id, -c.amount),
    )
    refills = await session.scalars(
        select(Refill).where(Refill.order_id == order_id).order_by(Refill.id)
    )
    journals = list(
        await session.scalars(
            select(Journal).where(Journal.order_id == order_id).order_by(Journal.id)
        )
    )
    legs: dict[int, list[Leg]] = {journal.id: [] for journal in journals}
    held = Decimal(0)
    if journals:
        rows = await session.execute(
            select(Entry.journal_id, LedgerAccount.code, Entry.amount)
            .join(LedgerAccount, LedgerAccount.id == Entry.ledger_account_id)
            .where(Entry.journal_id.in_(legs))
            .order_by(Entry.id)
        )
        for journal_id, code, amount in rows:
            legs[journal_id].append(Leg(code, amount))
            if code == CLEARING:
                held += amount
    return Life(
        order=order,
        buyer=buyer,
        service=service,
        provider=provider,
        changes=[Change(e.created_at, e.old_status, e.new_status) for e in events],
        calls=list(calls),
        charges=charges,
        held=held,
        refills=list(refills),
        journals=[Booked(journal, legs[journal.id]) for journal in journals],
    )
