"""The plans PostgreSQL chooses for Pasok's hot queries on a long history.

Each query is run through the domain function that serves it (so the SQL is exactly what
the product sends), its statements are caught as they go to the driver, and each is run once
more under `EXPLAIN (ANALYZE, BUFFERS)` in a transaction that is rolled back. What is printed
for each: the statements' execution times and every scan node of their plans; a sequential
scan of a table that grows with the history is flagged.
"""

import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from panel.ledger import service as ledger
from panel.models import Account, OrderStatus
from panel.orders import polling, review, search, status_reads, view_reads

GROWING = ("order", "order_charge", "journal", "entry", "order_event", "refill")
_SCAN = re.compile(r"((?:Parallel )?(?:Seq|Index|Index Only|Bitmap Heap|Bitmap Index) Scan"
                   r"(?: Backward)?)(?: using (\S+))? on (\S+)")  # fmt: skip
SLOW_MS = 100.0  # a hot query slower than this on the history is flagged too
_TIME = re.compile(r"Execution Time: ([\d.]+) ms")

Job = Callable[[AsyncSession], Awaitable[object]]


async def explained(engine: AsyncEngine, label: str, job: Job) -> list[str]:
    """`job`'s statements and their plans, in lines to print; a line starting with "!" is a
    sequential scan of a growing table or a statement slower than SLOW_MS."""
    caught: list[tuple[str, Any]] = []

    def catch(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        caught.append((statement, parameters))

    maker = async_sessionmaker(engine, expire_on_commit=False)
    async with maker() as session:
        event.listen(engine.sync_engine, "before_cursor_execute", catch)
        try:
            await job(session)
        finally:
            event.remove(engine.sync_engine, "before_cursor_execute", catch)
        await session.rollback()
    lines = []
    async with engine.connect() as connection:
        transaction = await connection.begin()
        for statement, parameters in caught:
            if not statement.lstrip().upper().startswith(("SELECT", "WITH", "UPDATE")):
                continue
            plan = "\n".join(
                row[0]
                for row in await connection.exec_driver_sql(
                    f"EXPLAIN (ANALYZE, BUFFERS) {statement}", parameters
                )
            )
            took = _TIME.search(plan)
            scans = sorted({" ".join(filter(None, m.groups())) for m in _SCAN.finditer(plan)})
            lines.append(f"{label}: {took.group(1) if took else '?'} ms; " + "; ".join(scans))
            if took and float(took.group(1)) > SLOW_MS:
                lines.append(f"! {label}: {took.group(1)} ms")
            for scan in scans:
                if (
                    scan.startswith(("Seq Scan", "Parallel Seq Scan"))
                    and scan.split()[-1].strip('"') in GROWING
                ):
                    lines.append(f"! {label}: {scan}")
        await transaction.rollback()
    return lines


async def hot_queries(engine: AsyncEngine, reseller_id: int, agency_id: int) -> list[str]:
    """Every hot query, as `reseller_id` and `agency_id` (one of its agencies) would cause it:
    API v2 multi-status, `/v1/orders` pages and filters, the wallet statement's pages, the
    poller's claim, the review queue and the operator's search by link and upstream id."""
    async with engine.connect() as connection:
        ids = list(
            (
                await connection.execute(
                    text(
                        'SELECT id FROM "order" WHERE reseller_id = :r ORDER BY id DESC LIMIT 100'
                    ),
                    {"r": reseller_id},
                )
            ).scalars()
        )
        link, upstream_id = (
            await connection.execute(
                text('SELECT link, upstream_id FROM "order" WHERE id = :id'),
                {"id": ids[len(ids) // 2]},
            )
        ).one()
    found: list[str] = []

    async def viewer(session: AsyncSession, account_id: int) -> Account:
        account = await session.get(Account, account_id)
        assert account is not None
        return account

    async def statuses(session: AsyncSession) -> object:
        reseller = await viewer(session, reseller_id)
        maker = async_sessionmaker(bind=session.bind, expire_on_commit=False)
        return await status_reads.read(maker, status_reads.asked(reseller, ids))

    async def first_page(session: AsyncSession) -> object:
        return await view_reads.page(session, await viewer(session, reseller_id), limit=100)

    async def later_page(session: AsyncSession) -> object:
        reseller = await viewer(session, reseller_id)
        return await view_reads.page(session, reseller, before=ids[-1], limit=100)

    async def open_only(session: AsyncSession) -> object:
        reseller = await viewer(session, reseller_id)
        statuses = [OrderStatus.in_progress]
        return await view_reads.page(session, reseller, statuses=statuses, limit=100)

    async def by_link(session: AsyncSession) -> object:
        return await view_reads.page(session, await viewer(session, reseller_id), link=link)

    async def statement(session: AsyncSession) -> object:
        return await ledger.statement(session, agency_id, limit=100)

    async def statement_later(session: AsyncSession) -> object:
        lines = await ledger.statement(session, agency_id, limit=100)
        return await ledger.statement(session, agency_id, before=lines[-1].entry_id, limit=100)

    async def claim(session: AsyncSession) -> object:
        return await polling.claim_due(session, datetime.now(UTC), 2000)

    async def review_queue(session: AsyncSession) -> object:
        return await review.waiting(session)

    async def operator_link(session: AsyncSession) -> object:
        return await search.search(session, search.Filter(link=link.rsplit("/", 1)[-1]))

    async def operator_upstream(session: AsyncSession) -> object:
        return await search.search(session, search.Filter(upstream_id=upstream_id))

    jobs: dict[str, Job] = {
        "API v2 status, 100 ids": statuses,
        "/v1/orders, first page": first_page,
        "/v1/orders, a later page (cursor)": later_page,
        "/v1/orders?status=in_progress": open_only,
        "/v1/orders?link=": by_link,
        "wallet statement, first page": statement,
        "wallet statement, next page (cursor)": statement_later,
        "poller's claim of 2,000": claim,
        "review queue": review_queue,
        "operator search, part of a link": operator_link,
        "operator search, upstream id": operator_upstream,
    }
    for label, job in jobs.items():
        found.extend(await explained(engine, label, job))
    return found
