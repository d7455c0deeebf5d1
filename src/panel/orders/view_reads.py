"""Orders as `/v1` shows them to one viewer, read in one statement together with what the
viewer paid: plain rows, no ORM objects and no second query on the read path, as API v2's
`status` reads them (`status_reads`). Who may see what is `service.listed`'s rule."""

from typing import Any

from sqlalchemy import case, func, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from panel.models import Account, Order, OrderCharge
from panel.orders import service

# What `OrderView` shows, by its field names, but for what the viewer paid (`_of`).
_SHOWN = (
    Order.id,
    Order.service_id,
    Order.link,
    Order.quantity,
    Order.params,
    Order.status,
    Order.start_count,
    # `Order.undelivered`, in SQL: the whole quantity until the upstream reports progress.
    func.coalesce(Order.remains, Order.quantity).label("undelivered"),
    Order.serial,
    Order.created_at,
    Order.finished_at,
)


def _of(viewer: Account) -> Any:
    # What the viewer paid: a buyer's charge is the order's own (`Order.charge` is its buyer's
    # `order_charge` row), so only a reseller reading its agencies' orders looks up a row of
    # its own, as `status_reads` does; CASE evaluates the subquery only then, and LATERAL once
    # for both the column and the filter. An order the viewer paid nothing for is not its to
    # see.
    own_row = (
        select(OrderCharge.amount)
        .where(OrderCharge.order_id == Order.id, OrderCharge.account_id == viewer.id)
        .correlate(Order)
        .scalar_subquery()
    )
    paid = (
        select(case((Order.account_id == viewer.id, Order.charge), else_=own_row).label("paid"))
        .correlate(Order)
        .lateral()
    )
    return select(*_SHOWN, paid.c.paid).join(paid, true()).where(paid.c.paid.is_not(None))


async def one(session: AsyncSession, viewer: Account, order_id: int) -> Any | None:
    """One order `viewer` may see, as a row of `_SHOWN`; None for any other id."""
    query = _of(viewer).where(Order.id == order_id, *service.listed(viewer))
    return (await session.execute(query)).one_or_none()


async def page(session: AsyncSession, viewer: Account, found: service.Filter) -> list[Any]:
    """`service.listing`'s page, as rows of `_SHOWN`, newest first."""
    query = _of(viewer).where(*service.listed(viewer, found)).order_by(Order.id.desc())
    query = query.limit(found.limit)
    return list((await session.execute(query)).all())
