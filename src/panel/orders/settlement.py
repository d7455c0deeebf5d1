"""Settling an order: the one journal that closes its money, posted exactly once, in the
transaction that moves the order into its terminal state.

While an order is open its buyer's whole charge sits in `clearing`. Settlement splits it:
the undelivered share back to the buyer (rounded down), and for an agency's order the
reseller's margin on what was delivered; the upstream's cost to `provider:<id>`; the rest is
the panel's `revenue`. The reseller's margin is credited here rather than when the order was
accepted: credited earlier, it could be spent, and a later refund to the agency would then
have to overdraw the reseller. A referred agency's referrer is paid its share of that margin
in the same journal (`growth.referrals`), out of the reseller's part. A discount a reseller
paid for its agency's voucher (`growth.vouchers`) waits in `clearing` beside the agency's
payment and comes back to the reseller here, less what the voucher cost it.

Costs are booked in the panel's currency from what the order recorded when it was sent: the
provider's rate (in its currency) and the exchange rate used. What the provider charges is its
rate for what was delivered, converted at the exchange rate in force now; `revenue` gets the
margin at the recorded rate, and if the exchange rate has moved since, the difference goes to
`fx` (positive: a gain; negative: the provider cost more than expected).
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Integer, String, case, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from panel.currencies import service as currencies
from panel.growth import referrals, vouchers
from panel.ledger import accounts
from panel.ledger.service import Leg, Posting, post_many
from panel.models import (
    TERMINAL,
    JournalKind,
    LedgerAccount,
    Order,
    OrderCharge,
    OrderStatus,
    ReferralCommission,
)
from panel.money import charge_for, refund_for, round_half_up
from panel.plumbing.db import arrays_as_rows, one_of

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
        await referrals.record(session, book.commissions)
    return [e.order for e in settled]


def cost_for(order: Order, delivered: int) -> Decimal:
    """The provider's charge for `delivered` units at the rate the order was sent at, in the
    provider's currency: per item for a package or a prepaid product, else per 1000."""
    assert order.cost_rate is not None
    if order.cost_per_item:
        return round_half_up(order.cost_rate * delivered)
    return charge_for(order.cost_rate, delivered)


@dataclass
class _Book:
    """The ledger accounts and charges a batch of settlements needs, loaded in a few queries."""

    clearing: int
    revenue: int
    fx: int
    wallets: dict[int, int]  # account id -> its wallet
    providers: dict[int, int]  # provider id -> its ledger account
    charges: dict[int, dict[int, Decimal]]  # order id -> {payer account id: amount}
    # Exchange rates in force now, by currency; a currency without one (the panel's own)
    # settles at the rate its orders recorded.
    exchange_rates: dict[str, Decimal]
    # Order id -> its buyer's referrer, who earns a share of the reseller's margin.
    earners: dict[int, referrals.Earner]
    # Order id -> the discount its reseller paid into clearing for the agency's voucher.
    funded: dict[int, Decimal]
    # The referral commissions `legs` put in the journals, to record with them.
    commissions: list[ReferralCommission] = field(default_factory=list)

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
        converted = {o.provider_currency for o in orders if o.exchange_rate is not None}
        in_force = await currencies.latest(session, [c for c in converted if c is not None])
        agency_orders = [o.id for o in orders if o.account_id != o.reseller_id]
        earners = await referrals.earners(session, agency_orders)
        funded = await vouchers.funded(session, agency_orders)
        return cls(
            clearing=await accounts.system(session, accounts.CLEARING),
            revenue=await accounts.system(session, accounts.REVENUE),
            fx=await accounts.system(session, accounts.FX),
            wallets={owner: wallet for owner, wallet in wallets if owner is not None},
            providers=providers,
            charges=charges,
            exchange_rates={code: row.rate for code, row in in_force.items()},
            earners=earners,
            funded=funded,
        )

    def costs(self, order: Order, delivered: int) -> tuple[Decimal, Decimal]:
        """What the delivered part cost in the panel's currency at the exchange rate the order
        recorded, and what the provider charges for it at the rate in force now."""
        if order.cost_rate is None:
            return Decimal(0), Decimal(0)
        provider_cost = cost_for(order, delivered)  # in the provider's currency
        if order.exchange_rate is None:  # sent before currencies were recorded: as it was
            return provider_cost, provider_cost
        recorded = currencies.convert(provider_cost, order.exchange_rate)
        now = self.exchange_rates.get(order.provider_currency or "", order.exchange_rate)
        return recorded, currencies.convert(provider_cost, now)

    def legs(self, order: Order, remains: int) -> list[Leg]:
        paid = self.charges[order.id][order.account_id]
        # A reseller's voucher: the discount it paid waits in clearing with the buyer's payment.
        funded = self.funded.get(order.id, Decimal(0))
        refund = refund_for(paid, remains, order.quantity)
        delivered = order.quantity - remains
        cost, charged = self.costs(order, delivered)
        amounts: dict[int, Decimal] = defaultdict(Decimal)
        amounts[self.clearing] -= paid + funded
        amounts[self.wallets[order.account_id]] += refund
        to_reseller = Decimal(0)
        if order.reseller_id != order.account_id:
            reseller_paid = self.charges[order.id][order.reseller_id]
            reseller_kept = reseller_paid - refund_for(reseller_paid, remains, order.quantity)
            # The reseller's margin is what its agency paid for what was delivered less what the
            # reseller pays for it. Both refunds round down, so on tiny markups the difference
            # can dip below zero.
            margin = max(Decimal(0), (paid - refund) - reseller_kept)
            # What its own voucher cost it is in the margin already (the agency paid less), so
            # the discount it put in comes back whole, less any loss the voucher made it take.
            to_reseller = max(Decimal(0), funded + (paid - refund) - reseller_kept)
            # The referrer's commission comes out of the margin, never on top of it.
            earner = self.earners.get(order.id)
            commission = Decimal(0)
            if earner is not None:
                commission = referrals.commission(margin, earner.share_percent)
            amounts[self.wallets[order.reseller_id]] += to_reseller - commission
            if earner is not None and commission > 0:
                amounts[earner.wallet_id] += commission
                self.commissions.append(
                    ReferralCommission(
                        order_id=order.id,
                        referrer_id=earner.referrer_id,
                        referred_id=order.account_id,
                        amount=commission,
                    )
                )
        if order.provider_id is not None:
            amounts[self.providers[order.provider_id]] += charged
            amounts[self.fx] += cost - charged
        amounts[self.revenue] += paid + funded - refund - to_reseller - cost
        return [Leg(account, amount) for account, amount in amounts.items() if amount != 0]
