"""Orders' statuses as a buyer sees them, for any number of buyers in one statement: what API
v2 `status` answers, read without ORM objects, its numbers already as the text the answer
shows (PostgreSQL writes them faster than Python would), so that a poll of 100 ids costs one
row each and no Python work beyond putting the strings together.

Who may see what is `service.seen_by`'s rule, written here in SQL: a buyer its own orders, a
reseller its agencies' as well, never the runs of an emulated drip-feed; and the charge shown
is what the viewer paid, which only a viewer in the order's chain has.
"""

from collections.abc import Sequence
from functools import partial
from typing import NamedTuple

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from panel.models import Account, AccountKind, OrderStatus
from panel.plumbing.coalesce import Coalescer
from panel.plumbing.db import transaction
from panel.plumbing.runtime import Runtime

# A viewer and an order id: the viewer's id and whether it sees its agencies' orders too.
Asked = tuple[int, bool, int]


class Seen(NamedTuple):
    status: OrderStatus
    start_count: str  # "0" while the upstream has not said
    remains: str  # what is still to deliver, as `Order.undelivered` says it
    charge: str  # what the viewer paid, as `money.text` writes it
    serial: str | None  # what a prepaid product delivered


# By value, as the database gives it: a dict lookup per row rather than an enum call.
_STATUS = {status.value: status for status in OrderStatus}


def asked(viewer: Account, order_ids: Sequence[int]) -> list[Asked]:
    reseller = viewer.kind is AccountKind.reseller
    return [(viewer.id, reseller, order_id) for order_id in order_ids]


# The charge a buyer paid is the order's own (`Order.charge` is its buyer's `order_charge` row),
# so only a reseller reading its agencies' orders looks up a row of its own: CASE evaluates the
# subquery only then. Rows come back by their place in the arrays, not by the three keys.
_READ = text(
    """
    SELECT q.at, o.status, COALESCE(o.start_count, 0)::text,
           COALESCE(o.remains, o.quantity)::text, trim_scale(p.paid)::text, o.serial
      FROM unnest(CAST(:viewers AS bigint[]), CAST(:resellers AS boolean[]),
                  CAST(:ids AS bigint[])) WITH ORDINALITY AS q(viewer, reseller, id, at)
      JOIN "order" o ON o.id = q.id AND o.parent_id IS NULL
       AND CASE WHEN q.reseller THEN o.reseller_id ELSE o.account_id END = q.viewer
     CROSS JOIN LATERAL (
           SELECT CASE WHEN o.account_id = q.viewer THEN o.charge
                       ELSE (SELECT c.amount FROM order_charge c
                              WHERE c.order_id = o.id AND c.account_id = q.viewer) END AS paid
           ) p
     WHERE p.paid IS NOT NULL
    """
)


async def read(
    sessionmaker: async_sessionmaker[AsyncSession], keys: list[Asked]
) -> dict[Asked, Seen]:
    """What each viewer may see of each order it asked for; the rest are absent."""
    async with transaction(sessionmaker) as session:
        rows = await session.execute(
            _READ,
            {
                "viewers": [viewer for viewer, _, _ in keys],
                "resellers": [reseller for _, reseller, _ in keys],
                "ids": [order_id for _, _, order_id in keys],
            },
        )
        return {
            keys[at - 1]: Seen(_STATUS[status], start, remains, charge, serial)
            for at, status, start, remains, charge, serial in rows
        }


def coalesced(runtime: Runtime) -> Coalescer[Asked, Seen]:
    """The process's status reads: every request in flight read in one statement."""
    return runtime.part(_coalescer)


def _coalescer(runtime: Runtime) -> Coalescer[Asked, Seen]:
    return Coalescer(partial(read, runtime.sessionmaker))
