"""Accepting orders and answering for them: the rules every surface (API v2, /v1, the web
panel) shares."""

from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from panel import outbox
from panel.errors import InsufficientFunds, NotFound
from panel.ledger import accounts as ledger_accounts
from panel.ledger.service import Leg, Posting, post_many
from panel.models import (
    TERMINAL,
    Account,
    AccountKind,
    JournalKind,
    Order,
    OrderCharge,
    OrderStatus,
    Refill,
    RefillStatus,
    Service,
)
from panel.orders import dripfeed, texts, validation
from panel.orders.jobs import cancel_later, submit_later
from panel.orders.settlement import settle
from panel.orders.texts import Refused
from panel.pricing import service as pricing
from panel.schemas import MAX_ID

OPEN = frozenset(OrderStatus) - TERMINAL
REFILLABLE = frozenset({OrderStatus.completed, OrderStatus.partial})


async def accept(
    session: AsyncSession,
    buyer: Account,
    service_id: int,
    fields: Mapping[str, str],
    *,
    request_id: str | None = None,
) -> Order:
    """Validate, price and pay for an order, then queue its submission. With a `request_id`
    already used by this buyer, the first order is returned instead (a safe retry)."""
    if request_id is not None and (earlier := await _by_request(session, buyer, request_id)):
        return earlier
    try:
        # The service is read once, with its price; a service that cannot be ordered
        # (unknown, disabled, or with no live route) has neither.
        offer = (
            await pricing.quote(session, buyer, service_id) if 1 <= service_id <= MAX_ID else None
        )
    except NotFound:
        offer = None
    if offer is None:
        raise Refused(texts.INCORRECT_SERVICE)
    service = offer.service
    draft = validation.read(service, fields)
    if service.one_order_per_link:
        # Held to the end of the transaction: two orders on one link cannot both pass.
        key = f"link:{buyer.id}:{draft.link}"
        await session.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(key, 0))))
        if await _link_busy(session, buyer, draft.link):
            raise Refused(texts.LINK_BUSY)
    charges = offer.charges(draft.quantity, per_package=service.type in validation.PACKAGE_TYPES)
    order = Order(
        account_id=buyer.id,
        reseller_id=buyer.parent_id if buyer.kind is AccountKind.agency else buyer.id,
        service_id=service.id,
        link=draft.link,
        quantity=draft.quantity,
        params=draft.params,
        request_id=request_id,
        rate=charges[0].rate,
        charge=charges[0].amount,
        status=OrderStatus.pending,
        route_index=0,
        submit_attempts=0,
    )
    if request_id is None:
        session.add(order)
        await session.flush()
    else:
        try:
            # A savepoint only where a race is possible: the same request id sent twice at once.
            async with session.begin_nested():
                session.add(order)
                await session.flush()
        except IntegrityError:
            if earlier := await _by_request(session, buyer, request_id):
                return earlier  # the order that won the race is the answer
            raise
    session.add_all(
        OrderCharge(order_id=order.id, account_id=c.account_id, rate=c.rate, amount=c.amount)
        for c in charges
    )
    # Written now rather than at commit: paying locks the buyer's wallet, and the less comes
    # after that, the sooner the wallet is free for the buyer's next order.
    await session.flush()
    if order.charge > 0:
        await _pay(session, buyer, order)
    submit_later(session, order)
    return order


async def _pay(session: AsyncSession, buyer: Account, order: Order) -> None:
    """The buyer's whole charge goes into clearing until the order settles."""
    wallet, clearing = await ledger_accounts.wallet_and_system(
        session, buyer.id, ledger_accounts.CLEARING
    )
    legs = [Leg(wallet, -order.charge), Leg(clearing, order.charge)]
    try:
        await post_many(
            session, [Posting(JournalKind.order, f"order {order.id}", legs, buyer.id, order.id)]
        )
    except InsufficientFunds:
        raise InsufficientFunds(texts.NOT_ENOUGH_FUNDS) from None


async def _by_request(session: AsyncSession, buyer: Account, request_id: str) -> Order | None:
    found: Order | None = await session.scalar(
        select(Order).where(Order.account_id == buyer.id, Order.request_id == request_id)
    )
    return found


async def _link_busy(session: AsyncSession, buyer: Account, link: str) -> bool:
    busy = await session.scalar(
        select(Order.id)
        .where(Order.account_id == buyer.id, Order.link == link, Order.status.in_(OPEN))
        .limit(1)
    )
    return busy is not None


def seen_by(viewer: Account) -> ColumnElement[bool]:
    """The orders `viewer` may see: its own, and a reseller's agencies' orders; never the runs
    of an emulated drip-feed, which belong to their order."""
    owner = Order.reseller_id if viewer.kind is AccountKind.reseller else Order.account_id
    return and_(owner == viewer.id, Order.parent_id.is_(None))


async def visible(
    session: AsyncSession, viewer: Account, order_ids: Sequence[int]
) -> dict[int, Order]:
    """The orders among `order_ids` that `viewer` may see: its own, and a reseller's agencies'
    orders. Anything else is absent, exactly as if it did not exist; so are the runs of an
    emulated drip-feed, which belong to their order."""
    if not order_ids:
        return {}
    query = select(Order).where(Order.id.in_(order_ids), seen_by(viewer))
    return {order.id: order for order in await session.scalars(query)}


async def listing(
    session: AsyncSession,
    viewer: Account,
    *,
    statuses: Collection[OrderStatus] | None = None,
    service_id: int | None = None,
    link: str | None = None,
    buyer_id: int | None = None,
    before: int | None = None,
    limit: int = 100,
) -> list[Order]:
    """The orders `viewer` may see, newest first; `before` is the last id of the page before.
    `buyer_id` keeps one buyer's: a reseller's own, or one of its agencies'."""
    query = select(Order).where(seen_by(viewer))
    if buyer_id is not None:
        query = query.where(Order.account_id == buyer_id)
    if statuses is not None:
        query = query.where(Order.status.in_(statuses))
    if service_id is not None:
        query = query.where(Order.service_id == service_id)
    if link is not None:
        query = query.where(Order.link == link)
    if before is not None:
        query = query.where(Order.id < before)
    return list(await session.scalars(query.order_by(Order.id.desc()).limit(limit)))


async def services_of(session: AsyncSession, found: Iterable[Order]) -> dict[int, Service]:
    """The services of some orders, by id: one query for a whole page of orders."""
    wanted = {order.service_id for order in found}
    if not wanted:
        return {}
    return {s.id: s for s in await session.scalars(select(Service).where(Service.id.in_(wanted)))}


async def paid_by(
    session: AsyncSession, viewer: Account, found: Iterable[Order]
) -> dict[int, Decimal]:
    """What `viewer` paid for each order: a reseller sees its own charge for an agency's
    order, never the agency's."""
    ids = [order.id for order in found]
    if not ids:
        return {}
    rows = await session.execute(
        select(OrderCharge.order_id, OrderCharge.amount).where(
            OrderCharge.order_id.in_(ids), OrderCharge.account_id == viewer.id
        )
    )
    return {order_id: amount for order_id, amount in rows}


async def request_cancel(session: AsyncSession, viewer: Account, order_id: int) -> Order:
    """Cancel an order: at once if it never left, otherwise by asking the upstream."""
    order = (await visible(session, viewer, [order_id])).get(order_id)
    if order is None:
        raise Refused(texts.INCORRECT_ORDER)
    service = await session.get_one(Service, order.service_id)
    if not service.cancel:
        raise Refused(texts.CANCEL_DISABLED)
    locked = await session.get_one(Order, order_id, with_for_update=True, populate_existing=True)
    if locked.status is OrderStatus.pending:
        await settle(
            session, locked, OrderStatus.canceled, locked.quantity, "canceled before submission"
        )
        return locked
    if locked.status is not OrderStatus.in_progress or locked.cancel_requested_at is not None:
        raise Refused(texts.CANCEL_NOT_ELIGIBLE)
    if dripfeed.is_emulated(locked):
        await dripfeed.cancel_runs(session, locked, datetime.now(UTC))
        return locked
    locked.cancel_requested_at = datetime.now(UTC)
    cancel_later(session, locked)
    return locked


async def request_refill(session: AsyncSession, viewer: Account, order_id: int) -> Refill:
    """Ask the upstream to refill a finished order; tracked by polling like an order."""
    order = (await visible(session, viewer, [order_id])).get(order_id)
    if order is None:
        raise Refused(texts.INCORRECT_ORDER)
    service = await session.get_one(Service, order.service_id)
    if not service.refill:
        raise Refused(texts.REFILL_DISABLED)
    if order.status not in REFILLABLE or order.upstream_id is None:
        raise Refused(texts.REFILL_NOT_ELIGIBLE)
    running = await session.scalar(
        select(Refill.id).where(
            Refill.order_id == order.id,
            Refill.status.in_((RefillStatus.pending, RefillStatus.in_progress)),
        )
    )
    if running is not None:
        raise Refused(texts.REFILL_NOT_ELIGIBLE)
    refill = Refill(order_id=order.id, status=RefillStatus.pending)
    session.add(refill)
    await session.flush()
    outbox.later(session, "refill_upstream", refill.id, job_id=f"refill:{refill.id}")
    return refill


async def visible_refills(
    session: AsyncSession, viewer: Account, refill_ids: Sequence[int]
) -> dict[int, Refill]:
    """The refills among `refill_ids` of orders `viewer` may see."""
    if not refill_ids:
        return {}
    query = (
        select(Refill)
        .join(Order, Order.id == Refill.order_id)
        .where(Refill.id.in_(refill_ids), seen_by(viewer))
    )
    return {refill.id: refill for refill in await session.scalars(query)}
