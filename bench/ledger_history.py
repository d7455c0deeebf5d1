"""The ledger audit on a long history: the full audit against the incremental one.

    .venv/bin/python -m bench.ledger_history [orders=1000000] [new=10000]

A scratch database is filled with set-based SQL (not the API): 5,000 resellers, 50,000
agencies, a top-up for each, and `orders` agency orders over twelve months, each paid (an
`order` journal) and, but for the newest 2%, settled (a `settlement` journal paying the
reseller's margin, the provider's cost and the panel's revenue), as the pipeline would book
them. Wallet balances are their entries' sums, so the audit finds the ledger clean. Then:

1. the full audit (`pasok audit --full`), over every journal and entry;
2. the first incremental audit: no checkpoint yet, so it reads everything once;
3. `new` more orders paid and settled in the last hour (older than the audit's settling
   time), and the incremental audit again: the one that runs every ten minutes.

Each is checked clean; any breach fails the run. Then the periodic readers of settled money,
tier review's 90-day spend of every reseller and the 30-day margin report (by day and by
reseller), are timed three ways: before the settled-day roll-up was ever folded (so they sum
the journals themselves, as they did before the roll-up), after the first fold, which is
timed too, and after the `new` orders (the fold that runs every five minutes, and the
readers adding what it has not folded yet).
"""

import asyncio
import sys
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bench.setup import scratch_database
from panel.ledger import rollup
from panel.ledger.incremental_audit import run
from panel.plumbing.db import create_engine, create_sessionmaker
from panel.pricing import standing
from panel.reports import service as reports

RESELLERS = 5_000
AGENCIES = 50_000
OPEN_SHARE = 50  # one order in 50 still open
TOP_UP = 1_000_000
TOP_UPS = 1_000_000_000  # the opening top-ups' journal ids start here, above every order's
# An agency pays 1.2 for an order its reseller pays 1.0 for and the provider charges 0.8.
AGENCY, RESELLER, COST = "1.2", "1.0", "0.8"

ACCOUNTS = f"""
INSERT INTO provider (id, name, api_url, api_key, adapter, currency, enabled, low_balance)
VALUES (1, 'Upstream', 'http://127.0.0.1:9/api/v2', 'key', 'smm_v2', 'USD', true, 0);
INSERT INTO provider_service (id, provider_id, external_id, name, type, category, rate,
                              min_quantity, max_quantity, refill, cancel, dripfeed,
                              description, active)
VALUES (1, 1, '1', 'Followers', 'Default', 'Instagram', 0.8, 10, 100000, false, false, false,
        '', true);
INSERT INTO service (id, name, type, category, description, min_quantity, max_quantity, refill,
                     cancel, dripfeed, one_order_per_link, enabled)
VALUES (1, 'Followers', 'Default', 'Instagram', '', 10, 100000, false, false, false, false,
        true);
INSERT INTO account (id, kind, name, status)
SELECT g, 'reseller', 'Reseller ' || g, 'active' FROM generate_series(1, {RESELLERS}) g;
INSERT INTO account (id, kind, name, status, parent_id)
SELECT {RESELLERS} + g, 'agency', 'Agency ' || g, 'active', 1 + (g - 1) % {RESELLERS}
  FROM generate_series(1, {AGENCIES}) g;
INSERT INTO ledger_account (code, kind, owner_id, balance)
SELECT 'wallet:' || id, 'wallet', id, 0 FROM account;
INSERT INTO ledger_account (code, kind, provider_id) VALUES ('provider:1', 'provider', 1);
INSERT INTO journal (id, kind, reason, created_at)
SELECT {TOP_UPS} + id, 'topup', 'opening funds', now() - interval '400 days' FROM account;
INSERT INTO entry (journal_id, ledger_account_id, amount, created_at)
SELECT j.id, w.id, {TOP_UP}, j.created_at
  FROM journal j JOIN ledger_account w ON w.owner_id = j.id - {TOP_UPS}
UNION ALL
SELECT j.id, (SELECT id FROM ledger_account WHERE code = 'external'), -{TOP_UP}, j.created_at
  FROM journal j;
"""

# Orders `first`..`last`, spread evenly from `since` to `until`; the last 1 in OPEN_SHARE of
# all orders stays open. Journal ids are the order's id (its payment) and `settled` + the order's
# id (its settlement), so the entries find their journals without a lookup.
ORDERS = f"""
INSERT INTO "order" (id, account_id, reseller_id, service_id, link, quantity, params,
                     request_id, rate, charge, status, route_index, submit_attempts,
                     provider_service_id, provider_id, cost_rate, provider_currency,
                     converted_cost_rate, upstream_id, remains, created_at, finished_at)
SELECT g, a, 1 + (a - {RESELLERS} - 1) % {RESELLERS}, 1, 'https://instagram.com/p/' || g, 1000,
       '{{}}', NULL, {AGENCY}, {AGENCY},
       CASE WHEN g > :open_after THEN 'in_progress' ELSE 'completed' END, 0, 1, 1, 1, 0.8, 'USD',
       0.8, 'up' || g, CASE WHEN g > :open_after THEN NULL ELSE 0 END, at,
       CASE WHEN g > :open_after THEN NULL ELSE at END
  FROM (SELECT g, {RESELLERS} + 1 + (g * 7919) % {AGENCIES} AS a,
               CAST(:since AS timestamptz)
                 + (CAST(:until AS timestamptz) - CAST(:since AS timestamptz))
                   * (CAST(g - :first AS float8) / GREATEST(:last - :first, 1)) AS at
          FROM generate_series(CAST(:first AS bigint), :last) g) o;
INSERT INTO order_charge (order_id, account_id, rate, amount)
SELECT id, account_id, {AGENCY}, {AGENCY} FROM "order" WHERE id BETWEEN :first AND :last
UNION ALL
SELECT id, reseller_id, {RESELLER}, {RESELLER} FROM "order" WHERE id BETWEEN :first AND :last;
INSERT INTO journal (id, kind, reason, order_id, created_at)
SELECT id, 'order', 'order ' || id, id, created_at FROM "order" WHERE id BETWEEN :first AND :last
UNION ALL
SELECT :settled + id, 'settlement', 'completed upstream', id, finished_at
  FROM "order" WHERE id BETWEEN :first AND :last AND status = 'completed';
INSERT INTO entry (journal_id, ledger_account_id, amount, created_at)
SELECT o.id, w.id, -{AGENCY}, o.created_at
  FROM "order" o JOIN ledger_account w ON w.owner_id = o.account_id
 WHERE o.id BETWEEN :first AND :last
UNION ALL
SELECT o.id, :clearing, {AGENCY}, o.created_at FROM "order" o WHERE o.id BETWEEN :first AND :last
UNION ALL
SELECT :settled + o.id, leg.account, leg.amount, o.finished_at
  FROM "order" o
  JOIN ledger_account r ON r.owner_id = o.reseller_id
  CROSS JOIN LATERAL (VALUES (:clearing, -{AGENCY}), (r.id, {AGENCY} - {RESELLER}),
                             (:provider, {COST}), (:revenue, {RESELLER} - {COST}))
       AS leg(account, amount)
 WHERE o.id BETWEEN :first AND :last AND o.status = 'completed';
"""

BALANCES = """
UPDATE ledger_account a SET balance = s.total
  FROM (SELECT ledger_account_id, sum(amount) AS total FROM entry GROUP BY ledger_account_id) s
 WHERE s.ledger_account_id = a.id AND a.kind = 'wallet'
"""


async def fill(engine: AsyncEngine, orders: int, new: int) -> tuple[dict[str, int], float]:
    """The accounts and `orders` orders of twelve months, then VACUUM ANALYZE: the ledger
    accounts' ids and the settlement journals' id base (for `more`), and the seconds taken.
    Room is left for `new` orders more (three batches of them) after the history."""
    settled = 10 * (orders + new)
    async with engine.begin() as connection:
        # Bulk load: foreign keys and the append-only trigger are checked by the audit itself.
        await connection.execute(text("SET session_replication_role = replica"))
        started = time.perf_counter()
        for statement in ACCOUNTS.split(";\n"):
            if statement.strip():
                await connection.execute(text(statement))
        ids = dict(
            (code, account_id)
            for code, account_id in await connection.execute(
                text("SELECT code, id FROM ledger_account WHERE owner_id IS NULL")
            )
        )
        common = {
            "clearing": ids["clearing"],
            "revenue": ids["revenue"],
            "provider": ids["provider:1"],
            "settled": settled,
        }
        now = datetime.now(UTC)
        year = {
            "first": 1,
            "last": orders,
            "open_after": orders - orders // OPEN_SHARE,
            "since": now - timedelta(days=365),
            "until": now - timedelta(hours=2),
        }
        for statement in ORDERS.split(";\n"):
            if statement.strip():
                await connection.execute(text(statement), common | year)
        await connection.execute(text(BALANCES))
        filled_s = time.perf_counter() - started
    async with engine.connect() as connection:
        await connection.execution_options(isolation_level="AUTOCOMMIT")
        await connection.execute(text("VACUUM ANALYZE"))
        counts = await connection.execute(
            text("SELECT (SELECT count(*) FROM journal), (SELECT count(*) FROM entry)")
        )
        journals, entries = counts.one()
    print(f"history: {orders:,} orders, {journals:,} journals, {entries:,} entries, "
          f"filled in {filled_s:.1f} s")  # fmt: skip
    return common, filled_s


async def _fill(url: str, orders: int, new: int) -> dict[str, float]:
    engine = create_engine(url, pool_size=2, statement_timeout_s=0)  # a year of history
    sessionmaker = create_sessionmaker(engine)
    figures: dict[str, float] = {}
    common, figures["fill_s"] = await fill(engine, orders, new)

    figures["full_s"] = await _timed(sessionmaker, full=True)
    figures["first_incremental_s"] = await _timed(sessionmaker, full=False)
    # The hour's orders all settled, older than the audit's settling time.
    await more(engine, common, orders, new, 60, 6)
    figures["hour_incremental_s"] = await _timed(sessionmaker, full=False)
    figures["quiet_incremental_s"] = await _timed(sessionmaker, full=False)
    await _readers(sessionmaker, figures, "unfolded")
    figures["first_fold_s"] = await _folded(sessionmaker)
    await _readers(sessionmaker, figures, "folded")
    # Settlement journal ids above every earlier journal's, as a live ledger's would be.
    await more(engine, common | {"settled": 2 * TOP_UPS}, orders + new, new, 60, 6)
    figures["hour_fold_s"] = await _folded(sessionmaker)
    # Too recent to fold: the readers add these from the ledger.
    await more(engine, common | {"settled": 3 * TOP_UPS}, orders + 2 * new, new, 4, 0)
    await _readers(sessionmaker, figures, "tail")
    await engine.dispose()
    return figures


async def more(
    engine: AsyncEngine, common: dict[str, int], after: int, count: int, since: int, until: int
) -> None:
    """`count` more orders paid and settled between `since` and `until` minutes ago."""
    async with engine.begin() as connection:
        await connection.execute(text("SET session_replication_role = replica"))
        now = datetime.now(UTC)
        batch = {
            "first": after + 1,
            "last": after + count,
            "open_after": after + count,
            "since": now - timedelta(minutes=since),
            "until": now - timedelta(minutes=until),
        }
        for statement in ORDERS.split(";\n"):
            if statement.strip():
                await connection.execute(text(statement), common | batch)
        await connection.execute(text(BALANCES))


async def _folded(sessionmaker: async_sessionmaker[AsyncSession]) -> float:
    started = time.perf_counter()
    await rollup.catch_up(sessionmaker, datetime.now(UTC), run_for_s=3600)
    return time.perf_counter() - started


async def _readers(
    sessionmaker: async_sessionmaker[AsyncSession], figures: dict[str, float], when: str
) -> None:
    now = datetime.now(UTC)
    today = now.date()
    async with sessionmaker() as session:
        resellers = list(range(1, RESELLERS + 1))
        started = time.perf_counter()
        spent = await standing.spend_90d(session, resellers, now)
        figures[f"tiers_{when}_s"] = time.perf_counter() - started
        for by in (reports.Grouping.day, reports.Grouping.reseller):
            started = time.perf_counter()
            lines = await reports.between(session, by, today - timedelta(days=29), today)
            figures[f"report_{by}_{when}_s"] = time.perf_counter() - started
        if not lines or not any(spent.values()):
            sys.exit("the readers found no settled money")


async def audited(sessionmaker: async_sessionmaker[AsyncSession], *, full: bool) -> None:
    """The audit, full or incremental, which must find the ledger clean."""
    breaches = await run(sessionmaker, datetime.now(UTC), full=full)
    if breaches:
        sys.exit(f"the audit found {len(breaches)} breaches, first: {breaches[0]}")


async def _timed(sessionmaker: async_sessionmaker[AsyncSession], *, full: bool) -> float:
    started = time.perf_counter()
    await audited(sessionmaker, full=full)
    return time.perf_counter() - started


async def main(orders: int, new: int) -> None:
    async with scratch_database() as url:
        figures = await _fill(url, orders, new)
    print(f"full audit:                           {figures['full_s']:.2f} s")
    print(f"first incremental audit (no mark):    {figures['first_incremental_s']:.2f} s")
    print(f"incremental after {new:,} new orders: {figures['hour_incremental_s']:.2f} s")
    print(f"incremental with nothing new:         {figures['quiet_incremental_s']:.2f} s")
    print("target: an hour of new work checked in < 5 s:", end=" ")
    print("met" if figures["hour_incremental_s"] < 5 else "NOT met")
    print(f"first fold of the settled-day roll-up:  {figures['first_fold_s']:.2f} s")
    print(f"fold of {new:,} orders of the last hour: {figures['hour_fold_s']:.2f} s")
    for what, name in (
        ("tier review's 90-day spend, every reseller", "tiers"),
        ("30-day margin report by day", "report_day"),
        ("30-day margin report by reseller", "report_reseller"),
    ):
        print(f"{what}: never folded {figures[f'{name}_unfolded_s']:.2f} s, "
              f"folded {figures[f'{name}_folded_s']:.2f} s, "
              f"{new:,} after the checkpoint {figures[f'{name}_tail_s']:.2f} s")  # fmt: skip


if __name__ == "__main__":
    arguments = [int(value) for value in sys.argv[1:3]]
    asyncio.run(main(*(arguments + [1_000_000, 10_000][len(arguments) :])))
