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
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from panel.ledger import accounts
from panel.ledger.service import Leg, post
from panel.models import TERMINAL, JournalKind, Order, OrderCharge, OrderStatus
from panel.money import charge_for, refund_for


async def settle(
    session: AsyncSession, order: Order, status: OrderStatus, remains: int, reason: str
) -> bool:
    """Move `order` into terminal `status` with `remains` undelivered and post its journal.
    False when the order was already terminal: settlement never happens twice."""
    assert status in TERMINAL
    remains = max(0, min(remains, order.quantity))
    now = datetime.now(UTC)
    moved = await session.scalar(
        update(Order)
        .where(Order.id == order.id, Order.status.not_in(TERMINAL))
        .values(status=status, remains=remains, finished_at=now, next_poll_at=None)
        .returning(Order.id)
        .execution_options(synchronize_session=False)
    )
    if moved is None:
        return False
    order.status, order.remains, order.finished_at = status, remains, now
    legs = await _legs(session, order, remains)
    if legs:
        await post(
            session, kind=JournalKind.settlement, reason=reason, legs=legs, order_id=order.id
        )
    return True


async def _legs(session: AsyncSession, order: Order, remains: int) -> list[Leg]:
    charges = {
        charge.account_id: charge.amount
        for charge in await session.scalars(
            select(OrderCharge).where(OrderCharge.order_id == order.id)
        )
    }
    paid = charges[order.account_id]
    refund = refund_for(paid, remains, order.quantity)
    delivered = order.quantity - remains
    cost = charge_for(order.cost_rate, delivered) if order.cost_rate is not None else Decimal(0)

    amounts: dict[int, Decimal] = defaultdict(Decimal)
    amounts[await accounts.system(session, accounts.CLEARING)] -= paid
    buyer_wallet = await accounts.wallet_of(session, order.account_id)
    amounts[buyer_wallet.id] += refund
    margin = Decimal(0)
    if order.reseller_id != order.account_id:
        reseller_paid = charges[order.reseller_id]
        reseller_kept = reseller_paid - refund_for(reseller_paid, remains, order.quantity)
        # Both refunds round down, so on tiny markups the difference can dip below zero.
        margin = max(Decimal(0), (paid - refund) - reseller_kept)
        amounts[(await accounts.wallet_of(session, order.reseller_id)).id] += margin
    if cost and order.provider_id is not None:
        amounts[await accounts.of_provider(session, order.provider_id)] += cost
    amounts[await accounts.system(session, accounts.REVENUE)] += paid - refund - margin - cost
    return [Leg(account, amount) for account, amount in amounts.items() if amount != 0]
