"""Deleting old rows a bounded batch at a time.

A purge behind a year of backlog must not become one statement over millions of rows: that
holds its locks and its snapshot until it ends, bloats the table at once and keeps vacuum
from cleaning anything else meanwhile. Each domain's purge removes at most `batch` rows per
statement, oldest first along an index, and the retention crons commit after every call and
call again until nothing is left. Rows another transaction holds are skipped, not waited for:
a purge never stands in the way of the work the panel is doing, and takes them next time.
"""

from typing import Any, cast

from sqlalchemy import ColumnElement, Select, Table, any_, delete, func, literal_column
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase, QueryableAttribute

BATCH = 10_000


async def delete_batch(
    session: AsyncSession,
    model: type[DeclarativeBase],
    chosen: Select[*tuple[Any, ...]],
    *,
    oldest_first: ColumnElement[Any] | QueryableAttribute[Any],
    batch: int,
) -> int:
    """Delete up to `batch` rows of `model` among those `chosen` selects (its FROM and WHERE;
    the columns do not matter), oldest by `oldest_first` first; returns how many."""
    table = cast(Table, model.__table__)
    key = list(table.primary_key.columns)
    # The rows are found as an array, not with `IN (subquery)`: PostgreSQL would join that
    # subquery to a scan of the whole table; `= ANY(array)` is a lookup per row. A composite
    # key has no such lookup, so its rows are named by their physical address, which they
    # keep while this statement holds them locked.
    column = key[0] if len(key) == 1 else literal_column(f'"{table.name}".ctid')
    picked = (
        chosen.with_only_columns(column)
        .order_by(oldest_first)
        .limit(batch)
        .with_for_update(skip_locked=True, of=model)
    )
    target = key[0] if len(key) == 1 else literal_column("ctid")
    result = await session.execute(
        delete(model)
        .where(target == any_(func.array(picked.scalar_subquery())))
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
