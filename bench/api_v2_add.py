"""How fast `/api/v2 add` accepts orders, beside the database's own ceiling for one order.

    .venv/bin/python bench/api_v2_add.py [seconds=15]

In one run, against one scratch database: pgbench runs the order-like transaction of
order_tx.sql (a conditional wallet UPDATE + INSERT) spread over 1000 wallets and on one hot
wallet; then `pasok api` (one process per core) takes `add` from 64 concurrent wrk connections
spread over 100 resellers, and then from 64 of one hot reseller. Prints orders/s, p50 and p99, and
the ratios (targets: API >= 0.20 x pgbench; hot >= 0.8 x spread; p99 <= 50 ms).
"""

import asyncio
import os
import re
import subprocess
import sys
import tempfile
from decimal import Decimal
from pathlib import Path

from sqlalchemy.engine import make_url

from bench.setup import catalogue_for, free_port, load_env, process, scratch_database

CLIENTS = 64
# Seconds of load before measuring: every API process has read what it keeps and prepared its
# statements on each pooled connection (the first batches take hundreds of milliseconds).
WARM_UP = 5
# One per core: more processes than cores only fight PostgreSQL for them.
PROCESSES = int(os.environ.get("PASOK_BENCH_API_PROCESSES", os.cpu_count() or 1))
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


# wrk sends the load: a Python client would take a good share of the cores it measures.
WRK_SCRIPT = """
local keys = {%(keys)s}
local sent = 0
request = function()
  sent = sent + 1
  local body = "key=" .. keys[(sent %% #keys) + 1] .. "&action=add&service=%(service)d"
    .. "&link=https%%3A%%2F%%2Finstagram.com%%2Fc" .. sent .. "_" .. math.random(1, 2000000000)
    .. "&quantity=100"
  local headers = {["Content-Type"] = "application/x-www-form-urlencoded"}
  return wrk.format("POST", "/api/v2", headers, body)
end
"""


def load(base: str, keys: list[str], service: int, seconds: int) -> tuple[int, float, float]:
    """CLIENTS connections sending `add` back to back for `seconds`: (requests, p50 ms, p99 ms)."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as file:
        file.write(WRK_SCRIPT % {"keys": ",".join(f'"{key}"' for key in keys), "service": service})
    args = ["wrk", "-t1", f"-c{CLIENTS}", f"-d{seconds}s", "--latency", "-s", file.name, base]
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    os.unlink(file.name)
    requests = re.search(r"(\d+) requests in", out)
    p50 = re.search(r"50%\s+([\d.]+)(us|ms|s)", out)
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    if not (requests and p50 and p99):
        raise RuntimeError(f"wrk printed no figures:\n{out}")
    return int(requests.group(1)), _ms(p50), _ms(p99)


def _ms(found: re.Match[str]) -> float:
    return float(found.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[found.group(2)]


async def _orders(url: str) -> int:
    from sqlalchemy import text

    from panel.plumbing.db import create_engine

    engine = create_engine(url, pool_size=1, statement_timeout_s=0)  # seeding: long statements
    async with engine.connect() as connection:
        count: int = (await connection.execute(text('SELECT count(*) FROM "order"'))).scalar_one()
    await engine.dispose()
    return count


async def main(seconds: int) -> None:
    async with scratch_database() as url:
        from sqlalchemy import text

        from panel.plumbing.db import create_engine

        engine = create_engine(url, pool_size=1, statement_timeout_s=0)  # seeding: long statements
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
        env = load_env(url)
        base = f"http://127.0.0.1:{port}"
        api = ["api", "--port", str(port), "--processes", str(PROCESSES)]
        with process(api, env, f"{base}/healthz"):
            load(base, keys, world["service"], WARM_UP)  # type: ignore[arg-type]
            results = {}
            for name, chosen in (
                ("spread over 100 resellers", keys),
                ("one hot reseller", keys[:1]),
            ):
                before = await _orders(url)
                count, p50, p99 = load(base, chosen, world["service"], seconds)  # type: ignore[arg-type]
                # Every request answered must be an order: a refusal would flatter the figure.
                made = await _orders(url) - before
                assert made >= count, f"{count} requests answered, {made} orders made"
                results[name] = count / seconds
                print(
                    f"/api/v2 add, {CLIENTS} clients, {PROCESSES} API processes, {name}: "
                    f"{count / seconds:,.0f} orders/s, p50 {p50:.1f} ms, p99 {p99:.1f} ms"
                )
        spread, hot = results["spread over 100 resellers"], results["one hot reseller"]
        print(f"ratio API spread / pgbench spread = {spread / spread_tps:.2f} (target >= 0.20)")
        print(f"ratio API hot / pgbench hot = {hot / hot_tps:.2f}")
        print(f"ratio API hot / API spread = {hot / spread:.2f} (target >= 0.8)")


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 15))
