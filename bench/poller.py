"""How fast the poller settles in-progress orders against the sandbox over HTTP.

    .venv/bin/python bench/poller.py [orders=100000]

Builds a scratch database with N in-progress orders whose upstream ids are real orders in a
sandbox provider (its own process), all already finished upstream (30% partial), then runs
the poll job until none is open. Prints orders settled per second (target: >= 5,000).
"""

import asyncio
import cProfile
import os
import pstats
import sys
import time
from datetime import UTC, datetime
from decimal import Decimal

import httpx
from pydantic import SecretStr
from sqlalchemy import func, insert, select

from bench.setup import REDIS_URL, catalogue_for, free_port, process, scratch_database
from panel.config import Settings
from panel.ledger import accounts as ledger_accounts
from panel.ledger.audit import audit
from panel.ledger.service import Leg, post
from panel.models import JournalKind, Order, OrderCharge, OrderStatus
from panel.money import charge_for
from panel.plumbing.runtime import Runtime
from workers import order_jobs

QUANTITY = 1000
# Pollers at once, as several workers' crons would run; SKIP LOCKED keeps them apart.
POLLERS = int(os.environ.get("PASOK_BENCH_POLLERS", "2"))
RATE = Decimal("1.125")  # 0.90 cost + 25%


async def _upstream_orders(api: str, count: int) -> list[str]:
    """`count` orders placed in the sandbox by 16 clients, each sending back to back."""
    ids: list[str] = [""] * count
    async with httpx.AsyncClient(limits=httpx.Limits(max_connections=16), timeout=30) as http:

        async def client(first: int) -> None:
            for number in range(first, count, 16):
                form = {
                    "key": "bench",
                    "action": "add",
                    "service": "1",
                    "link": f"https://instagram.com/b{number}",
                    "quantity": str(QUANTITY),
                }
                ids[number] = str((await http.post(api, data=form)).json()["order"])

        await asyncio.gather(*(client(first) for first in range(16)))
    return ids


async def main(count: int) -> None:
    sandbox_port = free_port()
    base = f"http://127.0.0.1:{sandbox_port}"
    with process(
        ["sandbox", "--port", str(sandbox_port), "--speed", "1000000", "--start-delay", "0"],
        {},
        f"{base}/sandbox",
    ):
        httpx.post(f"{base}/sandbox/balance", json={"balance": "1000000000"})
        httpx.post(f"{base}/sandbox/services/1/behaviour", json={"partial_rate": 0.3})
        async with scratch_database() as url:
            world = await catalogue_for(url, f"{base}/api/v2", 1, Decimal(10) ** 9)
            started = time.perf_counter()
            upstream_ids = await _upstream_orders(f"{base}/api/v2", count)
            print(f"setup: {count} sandbox orders in {time.perf_counter() - started:.1f} s")

            settings = Settings(database_url=SecretStr(url), redis_url=SecretStr(REDIS_URL))
            runtime = await Runtime.start(settings)
            reseller_id = world["resellers"][0][0]  # type: ignore[index]
            charge = charge_for(RATE, QUANTITY)
            now = datetime.now(UTC)
            async with runtime.transaction() as session:
                rows = [
                    {
                        "account_id": reseller_id,
                        "reseller_id": reseller_id,
                        "service_id": world["service"],
                        "link": f"https://instagram.com/b{n}",
                        "quantity": QUANTITY,
                        "params": {"quantity": QUANTITY},
                        "rate": RATE,
                        "charge": charge,
                        "status": OrderStatus.in_progress,
                        "route_index": 0,
                        "provider_id": world["provider"],
                        "cost_rate": Decimal("0.90"),
                        "upstream_id": upstream_id,
                        "submit_attempts": 1,
                        "next_poll_at": now,
                        "submitted_at": now,
                    }
                    for n, upstream_id in enumerate(upstream_ids)
                ]
                order_ids = (await session.scalars(insert(Order).returning(Order.id), rows)).all()
                await session.execute(
                    insert(OrderCharge),
                    [
                        {"order_id": i, "account_id": reseller_id, "rate": RATE, "amount": charge}
                        for i in order_ids
                    ],
                )
                wallet = await ledger_accounts.wallet_of(session, reseller_id)
                clearing = await ledger_accounts.system(session, ledger_accounts.CLEARING)
                total = charge * count
                await post(
                    session,
                    kind=JournalKind.order,
                    reason="bench orders",
                    legs=[Leg(wallet.id, -total), Leg(clearing, total)],
                )
            print(f"setup: {count} in-progress orders in the database")

            profile = cProfile.Profile() if os.environ.get("PASOK_BENCH_PROFILE") else None
            started = time.perf_counter()
            settled = 0
            if profile:
                profile.enable()

            async def poller() -> int:
                # One poll job, run until nothing is due, as each worker's cron runs it.
                done = 0
                while applied := await order_jobs.poll_orders(runtime):
                    done += applied
                return done

            settled = sum(await asyncio.gather(*(poller() for _ in range(POLLERS))))
            seconds = time.perf_counter() - started
            if profile:
                profile.disable()
                pstats.Stats(profile).sort_stats("cumulative").print_stats(
                    "panel|asyncpg/connection|sqlalchemy/orm/(session|loading)|sql/compiler.py.*process",
                    40,
                )
            async with runtime.transaction() as session:
                still_open = await session.scalar(
                    select(func.count())
                    .select_from(Order)
                    .where(Order.status == OrderStatus.in_progress)
                )
                breaches = await audit(session)
            await runtime.close()
            print(
                f"poller ({POLLERS} at once): {settled} orders settled in {seconds:.2f} s = "
                f"{settled / seconds:,.0f} order updates/s (target >= 5,000); "
                f"open left {still_open}; ledger audit breaches {len(breaches)}"
            )


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000))
