"""Accepting orders and answering for them: the rules every surface (API v2, /v1, the web
panel) shares."""

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import ColumnElement, and_, false, select
from sqlalchemy.ext.asyncio import AsyncSession

from panel.errors import NotFound
from panel.models import (
    Account,
    AccountKind,
    Order,
    OrderCharge,
    OrderStatus,
    Refill,
    RefillStatus,
    Service,
)
from panel.orders import dripfeed, intake, refills, texts
from panel.orders.jobs import cancel_later, submit_later
from panel.orders.settlement import settle
from panel.orders.texts import Refused
from panel.plumbing import outbox
from panel.plumbing.schemas import MAX_ID
from panel.pricing import service as pricing

REFILLABLE = refills.REFILLABLE
MAX_ORDER_ID = 2**63 - 1  # an order's id is a BIGINT


async def accept(
    session: AsyncSession,
    buyer: Account,
    service_id: int,
    fields: Mapping[str, str],
    *,
    request_id: str | None = None,
) -> Order:
    """Validate, price and pay for an order in the session's transaction, then queue its
    submission. With a `request_id` already used by this buyer, the first order is returned
    instead (a safe retry)."""
    intent = intake.draft(buyer, await quote(session, buyer, service_id), fields, request_id)
    [outcome] = await intake.write(session, [intent])
    order = await session.get_one(Order, outcome.order())
    if not outcome.repeat:
        submit_later(session, order)
    return order


async def quote(session: AsyncSession, buyer: Account, service_id: int) -> pricing.Quote:
    """The service with its chain of rates for `buyer`; a service that cannot be ordered
    (unknown, disabled, or with no live route) is refused as API v2 refuses it."""
    try:
        if 1 <= service_id <= MAX_ID:
            return await pricing.quote(session, buyer, service_id)
    except NotFound:
        pass
    raise Refused(texts.INCORRECT_SERVICE)


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


@dataclass(frozen=True)
class Filter:
    """Which of the orders a viewer may see a list keeps, and how many. `buyer_id` keeps one
    buyer's: a reseller's own, or one of its agencies'. `search` is what a buyer types to find
    an order: its id, or any part of its link. `before` is the last id of the page before."""

    statuses: Collection[OrderStatus] | None = None
    service_id: int | None = None
    link: str | None = None
    buyer_id: int | None = None
    before: int | None = None
    search: str | None = None
    limit: int = 100


async def listing(session: AsyncSession, viewer: Account, found: Filter = Filter()) -> list[Order]:
    """The orders `viewer` may see that `found` keeps, newest first."""
    query = select(Order).where(*listed(viewer, found)).order_by(Order.id.desc())
    return list(await session.scalars(query.limit(found.limit)))


def listed(viewer: Account, found: Filter = Filter()) -> list[ColumnElement[bool]]:
    """The conditions of `listing`, for reads that select other columns than an Order's."""
    wanted = [seen_by(viewer)]
    if found.search:
        wanted.append(_searched(found.search))
    if found.buyer_id is not None:
        wanted.append(Order.account_id == found.buyer_id)
    if found.statuses is not None:
        wanted.append(Order.status.in_(found.statuses))
    if found.service_id is not None:
        wanted.append(Order.service_id == found.service_id)
    if found.link is not None:
        wanted.append(Order.link == found.link)
    if found.before is not None:
        wanted.append(Order.id < found.before)
    return wanted


def _searched(text: str) -> ColumnElement[bool]:
    # Digits alone (or "#123") are an order id, as buyers copy it from the list or a script:
    # matching them inside links too would bury that one order under every link holding them.
    wanted = text.removeprefix("#")
    if wanted.isascii() and wanted.isdigit():
        return Order.id == int(wanted) if int(wanted) <= MAX_ORDER_ID else false()
    # A link holds % and _ often enough (URL escapes, usernames) that they must match
    # themselves, not any text.
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return Order.link.ilike(f"%{escaped}%", escape="\\")


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
    running = order.id in await refills.running(session, [order.id])
    if (refused := refills.refusal(order, service, running)) is not None:
        raise Refused(refused)
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
