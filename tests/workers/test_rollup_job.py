"""The roll-up cron runs as a real arq job in a real worker (burst mode): it folds the settled
journals older than the settling time, and the margin report reads the same before and after."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from panel.config import Settings
from panel.models import Journal, OrderStatus, RollupCheckpoint, SettledDay
from panel.orders import service as orders
from panel.orders.settlement import settle
from panel.plumbing.job_queue import Queue
from panel.reports import service as reports
from tests.fixtures.factories import COST, build_world
from workers.worker import build


async def _run_fold_job(settings: Settings) -> None:
    assert settings.redis_url is not None
    queue = await Queue.connect(settings.redis_url.get_secret_value())
    try:
        assert await queue.enqueue("fold_settled_days", job_id="fold-test")
    finally:
        await queue.close()
    worker = build(settings, burst=True, crons=False)
    try:
        await worker.async_run()
    finally:
        await worker.close()
    assert worker.jobs_complete == 1, f"failed={worker.jobs_failed}"


async def test_the_fold_job_passes_settled_journals_and_the_report_stays_the_same(
    settings: Settings, queue: Queue, committed: async_sessionmaker[AsyncSession]
) -> None:
    async with committed.begin() as session:
        world = await build_world(session)
        order = await orders.accept(
            session,
            world.reseller,
            world.services["followers"].id,
            {"link": "https://instagram.com/fold", "quantity": "1000"},
        )
        order.provider_id, order.cost_rate = world.provider.id, COST
        assert await settle(session, order, OrderStatus.partial, 250, "test")
    async with committed.begin() as session:
        # Posted an hour ago, as if the worker had been down since.
        await session.execute(text("SET LOCAL session_replication_role = replica"))
        await session.execute(text("UPDATE journal SET created_at = now() - interval '1 hour'"))
    today = datetime.now(UTC).date()
    first, after = today - timedelta(days=1), today + timedelta(days=1)

    async def report() -> list[reports.Line]:
        async with committed() as session:
            return await reports.between(session, reports.Grouping.service, first, after)

    before = await report()
    assert [(line.orders, line.revenue, line.cost) for line in before] == [
        (1, Decimal("1.125"), Decimal("0.75"))
    ]
    await _run_fold_job(settings)
    async with committed() as session:
        assert await session.scalar(select(RollupCheckpoint.journal_id)) == await session.scalar(
            select(func.max(Journal.id))
        )
        assert await session.scalar(select(func.sum(SettledDay.journals))) == 1
    assert await report() == before
