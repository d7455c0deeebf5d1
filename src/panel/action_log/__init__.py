"""The operator action log: every write an operator makes (prices, accounts, money, orders,
the catalogue), from the console or `/admin/v1`, with the object before and after, recorded
in the transaction of the write itself, so a write that rolls back leaves no entry and one
that commits cannot lack one."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from panel.models import OperatorAction


def snapshot(thing: object, fields: Iterable[str]) -> dict[str, Any]:
    """The named attributes of `thing` as JSON values (amounts as decimal strings)."""
    return {name: _json(getattr(thing, name)) for name in fields}


def _json(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_json(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _json(item) for key, item in value.items()}
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


async def record(
    session: AsyncSession,
    actor_id: int,
    action: str,
    subject_type: str,
    subject_id: int | None,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    note: str = "",
) -> OperatorAction:
    entry = OperatorAction(
        actor_id=actor_id,
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        before=_json(before) if before is not None else None,
        after=_json(after) if after is not None else None,
        note=note[:1000],
    )
    session.add(entry)
    await session.flush()
    return entry


@dataclass(frozen=True)
class Filter:
    actor_id: int | None = None
    action: str | None = None  # an action, or its start ("service." for all service actions)
    subject_type: str | None = None
    subject_id: int | None = None
    before: int | None = None
    limit: int = 100


async def search(session: AsyncSession, found: Filter) -> Sequence[OperatorAction]:
    """Newest first; `before` is the last id of the page before."""
    query = select(OperatorAction)
    if found.actor_id is not None:
        query = query.where(OperatorAction.actor_id == found.actor_id)
    if found.action:
        query = query.where(OperatorAction.action.startswith(found.action, autoescape=True))
    if found.subject_type is not None:
        query = query.where(OperatorAction.subject_type == found.subject_type)
    if found.subject_id is not None:
        query = query.where(OperatorAction.subject_id == found.subject_id)
    if found.before is not None:
        query = query.where(OperatorAction.id < found.before)
    return (
        await session.scalars(query.order_by(OperatorAction.id.desc()).limit(found.limit))
    ).all()
