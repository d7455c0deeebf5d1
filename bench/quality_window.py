"""The 30-day quality figures on a busy window: is the query itself fast enough?

    .venv/bin/python -m bench.quality_window [recent=1000000] [older=2000000]

A scratch database is filled with set-based SQL: 100 services routed over 10 providers,
`recent` orders that finished in the last 30 days (completed, partial, canceled and failed,
each with its sent, started and finished times) and `older` ones that finished before, with
a refill for one order in 50. Then `catalogue.quality.refresh` is timed as the cron runs it,
on the schema as it is, and with a partial index on `order.finished_at` added.
"""

import asyncio
import sys
import time
from datetime import UTC, datetime

from sqlalchemy import text

from bench.setup import scratch_database
from panel.catalogue import quality
from panel.plumbing.db import create_engine, create_sessionmaker

FILL = """
INSERT INTO provider (id, name, api_url, api_key, adapter, currency, enabled, low_balance)
SELECT g, 'Upstream ' || g, 'http://127.0.0.1:9/api/v2', 'key', 'smm_v2', 'USD', true, 0
  FROM generate_series(1, 10) g;
INSERT INTO service (id, name, type, category, description, min_quantity, max_quantity, refill,
                     cancel, dripfeed, one_order_per_link, enabled)
SELECT g, 'Service ' || g, 'Default', 'Instagram', '', 10, 100000, true, false, false, false, true
  FROM generate_series(1, 100) g;
INSERT INTO account (id, kind, name, status) VALUES (1, 'reseller', 'Reseller', 'active');
INSERT INTO "order" (id, account_id, reseller_id, service_id, provider_id, link, quantity,
                     params, rate, charge, status, route_index, submit_attempts, remains,
                     created_at, submitted_at, started_at, finished_at)
SELECT g, 1, 1, 1 + g % 100, 1 + g % 10, 'https://instagram.com/p/' || g, 1000, '{}', 1, 1,
       (ARRAY['completed', 'completed', 'completed', 'partial', 'canceled', 'failed'])[1 + g % 6],
       0, 1, CASE WHEN g % 6 IN (0, 1, 2) THEN 0 ELSE 500 END,
       at - interval '2 hours', at - interval '2 hours',
       CASE WHEN g % 6 < 4 THEN at - interval '1 hour' - (g % 3600) * interval '1 second' END,
       at
  FROM (SELECT g, CASE WHEN g <= CAST(:recent AS bigint)
                       THEN now() - (g % 43200) * interval '1 minute'
                       ELSE now() - interval '31 days' - (g % 525600) * interval '1 minute'
                  END AS at
          FROM generate_series(1, CAST(:recent AS bigint) + :older) g) o;
INSERT INTO refill (order_id, status, created_at, updated_at)
SELECT id, CASE WHEN id % 100 = 0 THEN 'rejected' ELSE 'completed' END, finished_at,
       finished_at + interval '1 hour'
  FROM "order" WHERE id % 50 = 0;
"""


async def _timed(url: str) -> float:
    engine = create_engine(url, pool_size=1, statement_timeout_s=0)  # a month of orders
    sessionmaker = create_sessionmaker(engine)
    started = time.perf_counter()
    async with sessionmaker() as session, session.begin():
        subjects = await quality.refresh(session, datetime.now(UTC))
    elapsed = time.perf_counter() - started
    await engine.dispose()
    if subjects != 110:
        sys.exit(f"expected figures for 110 services and providers, got {subjects}")
    return elapsed


async def main(recent: int, older: int) -> None:
    async with scratch_database() as url:
        engine = create_engine(url, pool_size=1, statement_timeout_s=0)  # a month of orders
        started = time.perf_counter()
        async with engine.begin() as connection:
            await connection.execute(text("SET session_replication_role = replica"))
            for statement in FILL.split(";\n"):
                if statement.strip():
                    await connection.execute(text(statement), {"recent": recent, "older": older})
        async with engine.connect() as connection:
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            await connection.execute(text("VACUUM ANALYZE"))
        print(f"history: {recent:,} orders finished in 30 days, {older:,} before, "
              f"filled in {time.perf_counter() - started:.1f} s")  # fmt: skip
        without_index = [await _timed(url) for _ in range(2)]
        async with engine.begin() as connection:
            await connection.execute(
                text(
                    'CREATE INDEX order_finished_at_idx ON "order" (finished_at) '
                    "WHERE finished_at IS NOT NULL"
                )
            )
        with_index = [await _timed(url) for _ in range(2)]
        await engine.dispose()
    print(f"quality refresh, as it is:            {min(without_index):.2f} s (best of 2)")
    print(f"quality refresh, finished_at indexed: {min(with_index):.2f} s (best of 2)")
    print("target: < 10 s on the window:", "met" if min(without_index) < 10 else "NOT met")


if __name__ == "__main__":
    arguments = [int(value) for value in sys.argv[1:3]]
    asyncio.run(main(*(arguments + [1_000_000, 2_000_000][len(arguments) :])))
