"""How fast `/api/v2 add` accepts orders, beside the database's own ceiling for one order.

    .venv/bin/python bench/api_v2_add.py [seconds=15]

In one run, against one scratch database: pgbench runs the order-like transaction of
order_tx.sql (a conditional wallet UPDATE + INSERT) spread over 1000 wallets and on one hot
wallet; then `pasok api` (one process) takes `add` from 64 concurrent clients spread over 100
resellers, and then from 64 clients of one hot reseller. Prints orders/s, p50 and p99, and
the ratios (targets: API >= 0.20 x pgbench; hot >= 0.8 x spread; p99 <= 50 ms).
"""

import asyncio
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

import httpx
from sqlalchemy.engine import make_url

from bench.setup import REDIS_URL, catalogue_for, free_port, process, scratch_database

CLIENTS = 64
HERE = Path(__file__).parent
PGBENCH_SETUP = """
CREATE TABLE w (id int PRIMARY KEY, bal numeric(20,6));
INSERT INTO w SELECT g, 1e9 FROM generate_series(1, 1000) g;
CREATE TABLE o (id bigserial PRIMARY KEY, wid int, amt numeric(20,6),
                created_at timestamptz DEFAULT now());
"""


def pgbench(url: str, seconds: int, hot: bool) -> float:
    """Transactions per second of order_tx.sql, spread or on one wallet."""
    script = (HERE / "order_tx.sql").read_text()
    if hot:
        script = script.replace(r"\set wid random(1, 1000)", r"\set wid 1")
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as file:
        file.write(script)
    parsed = make_url(url)
    args = [
        "pgbench",
        "-n",
        "-c",
        "8",
        "-j",
        "2",
        "-T",
        str(seconds),
        "-f",
        file.name,
        "-h",
        str(parsed.query.get("host") or parsed.host or "127.0.0.1"),
        "-p",
        str(parsed.port or 5432),
        "-U",
        str(parsed.username or "postgres"),
        str(parsed.database),
    ]
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    os.unlink(file.name)
    found = re.search(r"tps = ([\d.]+)", out)
    assert found, out
    return float(found.group(1))


async def load(api: str, keys: list[str], service: int, seconds: int) -> tuple[int, list[float]]:
    """CLIENTS clients sending `add` back to back for `seconds`; (orders, latencies in s)."""
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=CLIENTS, max_keepalive_connections=CLIENTS)
    async with httpx.AsyncClient(limits=limits, timeout=30) as http:

        async def client(number: int) -> None:
            nonlocal errors
            rng = random.Random(number)
            sequence = 0
            while time.perf_counter() < deadline:
                sequence += 1
                form = {
                    "key": rng.choice(keys),
                    "action": "add",
                    "service": str(service),
                    "link": f"https://instagram.com/c{number}_{sequence}",
                    "quantity": "100",
                }
                started = time.perf_counter()
                answer = (await http.post(api, data=form)).json()
                latencies.append(time.perf_counter() - started)
                if "order" not in answer:
                    errors += 1

        await asyncio.gather(*(client(n) for n in range(CLIENTS)))
    assert errors == 0, f"{errors} adds refused"
    return len(latencies), latencies


def percentile(values: list[float], share: float) -> float:
    return statistics.quantiles(values, n=100)[int(share * 100) - 1] * 1000


async def main(seconds: int) -> None:
    async with scratch_database() as url:
        from sqlalchemy import text

        from panel.db import create_engine

        engine = create_engine(url, pool_size=1)
        async with engine.begin() as connection:
            for statement in filter(str.strip, PGBENCH_SETUP.split(";")):
                await connection.execute(text(statement))
        await engine.dispose()
        spread_tps = pgbench(url, seconds, hot=False)
        hot_tps = pgbench(url, seconds, hot=True)
        print(
            f"pgbench order_tx.sql: spread {spread_tps:,.0f} tps, one hot wallet {hot_tps:,.0f} tps"
        )

        world = await catalogue_for(url, "http://127.0.0.1:9/api/v2", 100, Decimal(10) ** 9)
        keys = [key for _, key in world["resellers"]]  # type: ignore[attr-defined]
        port = free_port()
        env = {
            "PASOK_DATABASE_URL": url,
            "PASOK_REDIS_URL": REDIS_URL,
            "PASOK_LOG_LEVEL": "WARNING",
            "PASOK_DB_POOL_SIZE": "20",
        }
        base = f"http://127.0.0.1:{port}"
        with process(["api", "--port", str(port)], env, f"{base}/healthz"):
            api = f"{base}/api/v2"
            await load(api, keys, world["service"], 2)  # type: ignore[arg-type]  # warm-up
            results = {}
            for name, chosen in (
                ("spread over 100 resellers", keys),
                ("one hot reseller", keys[:1]),
            ):
                count, latencies = await load(api, chosen, world["service"], seconds)  # type: ignore[arg-type]
                results[name] = count / seconds
                print(
                    f"/api/v2 add, {CLIENTS} clients, {name}: {count / seconds:,.0f} orders/s, "
                    f"p50 {percentile(latencies, 0.50):.1f} ms, "
                    f"p99 {percentile(latencies, 0.99):.1f} ms"
                )
        spread, hot = results["spread over 100 resellers"], results["one hot reseller"]
        print(f"ratio API spread / pgbench spread = {spread / spread_tps:.2f} (target >= 0.20)")
        print(f"ratio API hot / pgbench hot = {hot / hot_tps:.2f}")
        print(f"ratio API hot / API spread = {hot / spread:.2f} (target >= 0.8)")


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 15))
