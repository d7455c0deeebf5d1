"""Settling an order: the one journal that closes its money, posted exactly once, in the
transaction that moves the order into its terminal state.

While an order is open its buyer's whole charge sits in `clearing`. Settlement splits it:
the undelivered share back to the buyer (rounded down), and for an agency's order the
reseller's margin on what was delivered; the upstream's cost to `provider:<id>`; the rest is
the panel's `revenue`. The reseller's margin is credited here rather than when the order was
accepted: credited earlier, it could be spent, and a later refund to the agency would then
have to overdraw the reseller.
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Integer, String, case, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from panel.db import arrays_as_rows, one_of
from panel.ledger import accounts
from panel.ledger.service import Leg, Posting, post_many
from panel.models import (
    TERMINAL,
    JournalKind,
    LedgerAccount,
    Order,
    OrderCharge,
    OrderStatus,
)
from panel.money import charge_for, refund_for

DELIVERING = [OrderStatus.completed.value, OrderStatus.partial.value]


@dataclass(frozen=True)
class Ending:
    """An open order and how it ended."""

    order: Order
    status: OrderStatus
    remains: int
    reason: str
    start_count: int | None = None  # as the upstream last reported it


async def settle(
    session: AsyncSession, order: Order, status: OrderStatus, remains: int, reason: str
) -> bool:
    """Move `order` into terminal `status` with `remains` undelivered and post its journal.
    False when the order was already terminal: settlement never happens twice."""
    return bool(await settle_many(session, [Ending(order, status, remains, reason)]))


async def settle_many(session: AsyncSession, endings: Sequence[Ending]) -> list[Order]:
    """Settle many orders in a few statements; returns those settled now. An order already
    terminal is skipped: the status change is conditional, so each order settles once."""
    if not endings:
        return []
    assert all(ending.status in TERMINAL for ending in endings)
    now = datetime.now(UTC)
    clamped = {e.order.id: (e, max(0, min(e.remains, e.order.quantity))) for e in endings}
    # The endings travel as three arrays: one parameter each, however many orders.
    given = arrays_as_rows(
        (list(clamped), BigInteger()),
        ([e.status.value for e, _ in clamped.values()], String()),
        ([remains for _, remains in clamped.values()], Integer()),
        ([e.start_count for e, _ in clamped.values()], Integer()),
    )
    moved = set(
        await session.scalars(
            update(Order)
            .where(Order.id == given.c.c0, Order.status.not_in(TERMINAL))
            .values(
                status=given.c.c1,
                remains=given.c.c2,
                start_count=func.coalesce(given.c.c3, Order.start_count),
                # Delivered something but never seen under way: it started by now at the latest.
                started_at=func.coalesce(
                    Order.started_at,
                    case((given.c.c1.in_(DELIVERING), now), else_=None),
                ),
                finished_at=now,
                next_poll_at=None,
            )
            .returning(Order.id)
            .execution_options(synchronize_session=False)
        )
    )
    settled = []
    for order_id in moved:
        ending, remains = clamped[order_id]
        # What the database now holds; set as already saved, so no flush writes it again.
        for name, value in (("status", ending.status), ("remains", remains), ("finished_at", now)):
            set_committed_value(ending.order, name, value)
        settled.append(ending)
    if settled:
        book = await _Book.load(session, [e.order for e in settled])
        postings = [
            Posting(JournalKind.settlement, e.reason, legs, order_id=e.order.id)
            for e in settled
            # A free order (a zero charge) has no money to move.
            if (legs := book.legs(e.order, e.order.remains or 0))
        ]
        await post_many(session, postings)
    return [e.order for e in settled]


@dataclass
class _Book:
    """The ledger accounts and charges a batch of settlements needs, loaded in a few queries."""

    clearing: int
    revenue: int
    wallets: dict[int, int]  # account id -> its wallet
    providers: dict[int, int]  # provider id -> its ledger account
    charges: dict[int, dict[int, Decimal]]  # order id -> {payer account id: amount}

    @classmethod
    async def load(cls, session: AsyncSession, orders: Sequence[Order]) -> "_Book":
        charges: dict[int, dict[int, Decimal]] = defaultdict(dict)
        rows = await session.execute(
            select(OrderCharge.order_id, OrderCharge.account_id, OrderCharge.amount).where(
                one_of(OrderCharge.order_id, [o.id for o in orders])
            )
        )
        for order_id, account_id, amount in rows:
            charges[order_id][account_id] = amount
        owners = {o.account_id for o in orders} | {o.reseller_id for o in orders}
        wallets = await session.execute(
            select(LedgerAccount.owner_id, LedgerAccount.id).where(
                LedgerAccount.owner_id.in_(owners)
            )
        )
        providers = {
            provider_id: await accounts.of_provider(session, provider_id)
            for provider_id in {o.provider_id for o in orders if o.provider_id is not None}
        }
        return cls(
            clearing=await accounts.system(session, accounts.CLEARING),
            revenue=await accounts.system(session, accounts.REVENUE),
            wallets={owner: wallet for owner, wallet in wallets if owner is not None},
            providers=providers,
            charges=charges,
        )

    def legs(self, order: Order, remains: int) -> list[Leg]:
        paid = self.charges[order.id][order.account_id]
        refund = refund_for(paid, remains, order.quantity)
        delivered = order.quantity - remains
        cost = charge_for(order.cost_rate, delivered) if order.cost_rate is not None else Decimal(0)
        amounts: dict[int, Decimal] = defaultdict(Decimal)
        amounts[self.clearing] -= paid
        amounts[self.wallets[order.account_id]] += refund
        margin = Decimal(0)
        if order.reseller_id != order.account_id:
            reseller_paid = self.charges[order.id][order.reseller_id]
            reseller_kept = reseller_paid - refund_for(reseller_paid, remains, order.quantity)
            # Both refunds round down, so on tiny markups the difference can dip below zero.
            margin = max(Decimal(0), (paid - refund) - reseller_kept)
            amounts[self.wallets[order.reseller_id]] += margin
        if cost and order.provider_id is not None:
            amounts[self.providers[order.provider_id]] += cost
        amounts[self.revenue] += paid - refund - margin - cost
        return [Leg(account, amount) for account, amount in amounts.items() if amount != 0]
