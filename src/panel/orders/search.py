"""Finding orders for an operator: by one or many ids, a part of the link, the upstream's id,
the buyer, the provider, the service, the status and the day. One search for `/admin/v1` and
the console alike."""

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import ColumnElement, false, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from panel.models import Account, Order, OrderStatus

MAX_ORDER_ID = 2**63 - 1
MAX_IDS = 500  # a pasted column of ids from a ticket or a spreadsheet


@dataclass(frozen=True)
class Filter:
    ids: tuple[int, ...] = ()
    link: str | None = None  # any part of it
    upstream_id: str | None = None
    buyer: str | None = None  # an account id, or a part of its name or email
    provider_id: int | None = None
    service_id: int | None = None
    status: OrderStatus | None = None
    since: date | None = None  # placed on or after this day (UTC)
    until: date | None = None  # placed on or before this day (UTC)
    before: int | None = None  # the last id of the page before
    limit: int = 50


def id_words(text: str) -> list[str]:
    """The words of ids as panels take them pasted: "1, 2 3", "#4;5", one a line."""
    return [word.removeprefix("#") for word in re.split(r"[\s,;]+", text.strip()) if word]


def as_id(word: str) -> int | None:
    """An order id, or None; a word of thousands of digits is not one (and is not converted)."""
    if word.isascii() and word.isdigit() and len(word) <= 19 and 0 < int(word) <= MAX_ORDER_ID:
        return int(word)
    return None


def parse_ids(text: str) -> tuple[int, ...]:
    """Ids as pasted; anything not an id is left out, and so are repeats."""
    found: dict[int, None] = {}
    for word in id_words(text):
        if (order_id := as_id(word)) is not None:
            found[order_id] = None
    return tuple(found)[:MAX_IDS]


def _part(text: str) -> str:
    # % and _ are common in links and names: they match themselves.
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _buyer(text: str) -> ColumnElement[bool]:
    wanted = text.strip()
    if wanted.isascii() and wanted.isdigit():
        return Order.account_id == int(wanted) if int(wanted) <= MAX_ORDER_ID else false()
    matching = select(Account.id).where(
        or_(
            Account.name.ilike(_part(wanted), escape="\\"),
            Account.email.ilike(_part(wanted), escape="\\"),
        )
    )
    return Order.account_id.in_(matching.scalar_subquery())


async def search(session: AsyncSession, found: Filter) -> list[Order]:
    """Orders matching every filter given, newest first; drip-feed runs included, since an
    operator follows them upstream too."""
    query = select(Order)
    if found.ids:
        query = query.where(Order.id.in_(found.ids))
    if found.link and found.link.strip():
        # lower() on both sides rather than ILIKE: the trigram index is on lower(link).
        part = func.lower(literal(_part(found.link.strip())))
        query = query.where(func.lower(Order.link).like(part, escape="\\"))
    if found.upstream_id and found.upstream_id.strip():
        query = query.where(Order.upstream_id == found.upstream_id.strip())
    if found.buyer and found.buyer.strip():
        query = query.where(_buyer(found.buyer))
    if found.provider_id is not None:
        query = query.where(Order.provider_id == found.provider_id)
    if found.service_id is not None:
        query = query.where(Order.service_id == found.service_id)
    if found.status is not None:
        query = query.where(Order.status == found.status)
    if found.since is not None:
        query = query.where(Order.created_at >= datetime.combine(found.since, time(), UTC))
    if found.until is not None:
        end = datetime.combine(found.until + timedelta(days=1), time(), UTC)
        query = query.where(Order.created_at < end)
    if found.before is not None:
        query = query.where(Order.id < found.before)
    return list(await session.scalars(query.order_by(Order.id.desc()).limit(found.limit)))
