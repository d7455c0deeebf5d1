"""How fast `/api/v2` answers the calls child panels poll with, beside `add` in the same run.

    .venv/bin/python bench/api_v2_reads.py [seconds=10] [call ...]

One scratch database: 2,000 services priced through a 25% tier, and 1M orders filled with
set-based SQL, of which the caller's are a few thousand. `pasok api --processes 2` then takes
`status` (one id), `status` (100 ids), `services` (plain and gzip), `balance`, the same
orders through `/v1` (one, and the newest 100) and `add` from 64 wrk connections, one call
after another. Every answer is checked, in wrk's Lua and from
Python against the database; a wrong or an error answer fails the run.
"""

import asyncio
import json
import os
import re
import subprocess
import sys
import tempfile
from decimal import Decimal

import httpx
from sqlalchemy import text

from bench.api_v2_add import CLIENTS, WARM_UP, _ms
from bench.setup import catalogue_for, free_port, load_env, process, scratch_database

PROCESSES = 2
SERVICES = 2000
ORDERS = 1_000_000
CALLER_EVERY = 250  # one order in 250 is the caller's: 4,000 of the million
MARKUP = Decimal("1.25")  # the tier's 25% rule over the route's 0.90, as setup.py builds it
UPSTREAM_RATE = Decimal("0.90")
STATUSES = ("pending", "in_progress", "completed", "partial", "canceled")
SHOWN = {
    "pending": "Pending",
    "in_progress": "In progress",
    "completed": "Completed",
    "partial": "Partial",
    "canceled": "Canceled",
}

# Set-based, so that a million rows take seconds: the caller's orders every CALLER_EVERY-th id,
# the rest spread over the other resellers; remains as each status leaves them.
FILL = """
INSERT INTO "order" (account_id, reseller_id, service_id, link, quantity, params, rate, charge,
                     status, route_index, submit_attempts, start_count, remains)
SELECT s.account, s.account, s.service, 'https://instagram.com/p/b' || s.g, s.quantity, '{}',
       1.125, round(s.quantity * 1.125 / 1000, 6), s.status, 0, 0,
       CASE WHEN s.status = 'pending' THEN NULL ELSE s.g % 1000 END,
       CASE s.status WHEN 'pending' THEN NULL WHEN 'in_progress' THEN s.quantity / 2
                     WHEN 'completed' THEN 0 WHEN 'partial' THEN s.quantity / 3
                     ELSE s.quantity END
  FROM (SELECT g,
               CASE WHEN g % :every = 0 THEN :caller
                    ELSE (CAST(:others AS bigint[]))[1 + g % :n_others] END AS account,
               (CAST(:services AS bigint[]))[1 + g % :n_services] AS service,
               100 + g % 900 AS quantity,
               (CAST(:statuses AS text[]))[1 + g % 5] AS status
          FROM generate_series(1, :orders) g) s
"""
CHARGES = """
INSERT INTO order_charge (order_id, account_id, rate, amount)
SELECT id, account_id, rate, charge FROM "order" WHERE id > :before
"""

# Counts per thread, summed in done(): wrk keeps each thread's Lua state apart.
LUA_COMMON = """
local threads = {}
function setup(thread)
  table.insert(threads, thread)
end
function init(args)
  bad_status = 0
  bad_body = 0
end
-- A plain search from one match to the next: no copy of the body, no pattern (a services
-- answer is more than a megabyte, and gsub on it cost wrk more than the server spent).
local function count(body, needle)
  local found, at = 0, 1
  while true do
    local start, stop = string.find(body, needle, at, true)
    if not start then return found end
    found, at = found + 1, stop + 1
  end
end
function response(status, headers, body)
  if status ~= 200 then
    bad_status = bad_status + 1
  elseif string.find(body, '"error"', 1, true) or not good(body) then
    bad_body = bad_body + 1
  end
end
function done(summary, latency, requests)
  local statuses, bodies = 0, 0
  for _, thread in ipairs(threads) do
    statuses = statuses + thread:get("bad_status")
    bodies = bodies + thread:get("bad_body")
  end
  io.write(string.format("CHECKED non200=%%d badbody=%%d\\n", statuses, bodies))
end
local ids = {%(ids)s}
local sent = 0
local headers = {["Content-Type"] = "application/x-www-form-urlencoded"}
local function post(body, accept)
  local sent_headers = headers
  if accept then
    sent_headers = {["Content-Type"] = headers["Content-Type"], ["Accept-Encoding"] = accept}
  end
  return wrk.format("POST", "/api/v2", sent_headers, "key=%(key)s&" .. body)
end
local function get(path)
  return wrk.format("GET", path, {["Authorization"] = "Bearer %(key)s"})
end
"""
LUA_CALLS = {
    "status": """
request = function()
  sent = sent + 1
  return post("action=status&order=" .. ids[math.random(1, #ids)])
end
function good(body)
  return count(body, '"status"') == 1 and count(body, '"charge"') == 1
    and count(body, '"remains"') == 1 and count(body, '"currency"') == 1
end
""",
    "status, orders= 100 ids": """
request = function()
  local start = math.random(1, #ids - 100)
  local chosen = {}
  for i = start, start + 99 do table.insert(chosen, ids[i]) end
  return post("action=status&orders=" .. table.concat(chosen, "%%2C"))
end
function good(body)
  return count(body, '"status"') == 100 and count(body, '"charge"') == 100
    and count(body, '"remains"') == 100
end
""",
    # Both services answers are the kept bytes, the same from both processes: checked by their
    # length here and decoded and checked from Python. Three scans of each 1.3 MB answer in
    # wrk's Lua took from the server's two cores: 451 plain lists/s checked so, 775/s by length.
    "services": """
request = function() return post("action=services") end
function good(body)
  return #body == %(plain)d
end
""",
    # As python-requests, Go and curl --compressed ask.
    "services, gzip": """
request = function() return post("action=services", "gzip, deflate") end
function good(body)
  return #body == %(gzipped)d
end
""",
    "balance": """
request = function() return post("action=balance") end
function good(body)
  return count(body, '"balance"') == 1 and count(body, '"currency"') == 1
end
""",
    # The same orders through /v1, as JSON objects with what the caller paid for each.
    "GET /v1/orders/{id}": """
request = function() return get("/v1/orders/" .. ids[math.random(1, #ids)]) end
function good(body)
  return count(body, '"link"') == 1 and count(body, '"charge"') == 1
end
""",
    "GET /v1/orders?limit=100": """
request = function() return get("/v1/orders?limit=100") end
function good(body)
  return count(body, '"link"') == 100 and count(body, '"charge"') == 100
end
""",
    "add": """
request = function()
  sent = sent + 1
  return post("action=add&service=%(service)d&quantity=100"
    .. "&link=https%%3A%%2F%%2Finstagram.com%%2Fr" .. sent .. "_" .. math.random(1, 2000000000))
end
function good(body)
  return string.match(body, '"order": *%%d+') ~= nil
end
""",
}


def wrk(base: str, call: str, fields: dict[str, object], seconds: int) -> tuple[int, float, float]:
    """CLIENTS connections sending `call` for `seconds`: (requests, p50 ms, p99 ms); raises on
    any non-200 or wrong answer."""
    script = (LUA_COMMON + LUA_CALLS[call]) % fields
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as file:
        file.write(script)
    args = ["wrk", "-t2", f"-c{CLIENTS}", f"-d{seconds}s", "--latency", "-s", file.name, base]
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    os.unlink(file.name)
    requests = re.search(r"(\d+) requests in", out)
    p50 = re.search(r"50%\s+([\d.]+)(us|ms|s)", out)
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    checked = re.search(r"CHECKED non200=(\d+) badbody=(\d+)", out)
    if not (requests and p50 and p99 and checked):
        raise RuntimeError(f"wrk printed no figures:\n{out}")
    if checked.group(1) != "0" or checked.group(2) != "0" or "Non-2xx" in out:
        raise SystemExit(f"{call}: {checked.group(0)}\n{out}")
    return int(requests.group(1)), _ms(p50), _ms(p99)


async def fill(
    url: str,
    caller: int,
    others: list[int],
    orders: int = ORDERS,
    every: int = CALLER_EVERY,
    services_of: int | None = None,
) -> tuple[list[int], list[int]]:
    """`orders` orders (one in `every` the caller's, the rest the others') of the services of
    provider `services_of` (every service by default) and their charges, then ANALYZE: (the
    caller's ids, the service ids). Orders already there are left as they are."""
    from panel.plumbing.db import create_engine

    engine = create_engine(url, pool_size=1, statement_timeout_s=0)  # seeding: long statements
    async with engine.begin() as connection:
        before = await connection.scalar(text('SELECT coalesce(max(id), 0) FROM "order"'))
        services = list(
            (
                await connection.execute(
                    text(
                        "SELECT DISTINCT r.service_id FROM route r "
                        "JOIN provider_service p ON p.id = r.provider_service_id "
                        "WHERE CAST(:provider AS bigint) IS NULL OR p.provider_id = :provider "
                        "ORDER BY r.service_id"
                    ),
                    {"provider": services_of},
                )
            ).scalars()
        )
        await connection.execute(
            text(FILL),
            {
                "every": every,
                "caller": caller,
                "others": others,
                "n_others": len(others),
                "services": services,
                "n_services": len(services),
                "statuses": list(STATUSES),
                "orders": orders,
            },
        )
        await connection.execute(text(CHARGES), {"before": before})
        ids = list(
            (
                await connection.execute(
                    text('SELECT id FROM "order" WHERE account_id = :a ORDER BY id'), {"a": caller}
                )
            ).scalars()
        )
    async with engine.connect() as connection:
        await connection.execution_options(isolation_level="AUTOCOMMIT")
        await connection.execute(text('ANALYZE "order"'))
        await connection.execute(text("ANALYZE order_charge"))
    await engine.dispose()
    return ids, services


async def check_sample(
    url: str, base: str, key: str, caller: int, ids: list[int]
) -> tuple[int, int]:
    """A sample of answers against the database: status, charge, remains, currency, and the
    charge `/v1` shows; the services list's size and the caller's rate, plain and compressed;
    the balance. The sizes of the plain and the compressed list."""
    from panel.ledger import service as ledger
    from panel.plumbing.db import create_engine, create_sessionmaker, transaction

    engine = create_engine(url, pool_size=1, statement_timeout_s=0)  # seeding: long statements
    sample = ids[:: max(1, len(ids) // 50)][:50]
    async with engine.connect() as connection:
        rows = {
            row.id: row
            for row in await connection.execute(
                text(
                    'SELECT o.id, o.status, o.quantity, o.remains, c.amount FROM "order" o '
                    "JOIN order_charge c ON c.order_id = o.id AND c.account_id = o.account_id "
                    "WHERE o.id = ANY(:ids)"
                ),
                {"ids": sample},
            )
        }
    async with transaction(create_sessionmaker(engine)) as session:
        funds = await ledger.balance(session, caller)
    await engine.dispose()
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:

        async def ask(**fields: object) -> object:
            answer = await client.post("/api/v2", data={"key": key, **fields})
            assert answer.status_code == 200, answer.text
            return answer.json()

        balance = await ask(action="balance")
        assert isinstance(balance, dict), balance
        assert Decimal(balance["balance"]) == funds, (balance, funds)
        currency = balance["currency"]
        many = await ask(action="status", orders=",".join(map(str, sample)))
        assert isinstance(many, dict)
        for order_id in sample:
            one = await ask(action="status", order=order_id)
            row = rows[order_id]
            expected = {
                "status": SHOWN[row.status],
                "charge": row.amount,
                "remains": row.quantity if row.remains is None else row.remains,
                "currency": currency,
            }
            for seen in (one, many[str(order_id)]):
                assert isinstance(seen, dict), seen
                got = {
                    "status": seen["status"],
                    "charge": Decimal(seen["charge"]),
                    "remains": int(seen["remains"]),
                    "currency": seen["currency"],
                }
                assert got == expected, (order_id, got, expected)
            viewed = await client.get(
                f"/v1/orders/{order_id}", headers={"Authorization": f"Bearer {key}"}
            )
            assert viewed.status_code == 200, viewed.text
            assert Decimal(viewed.json()["charge"]) == row.amount, (order_id, viewed.json())
        plain = await client.post("/api/v2", data={"key": key, "action": "services"})
        assert plain.status_code == 200, plain.text
        listed = plain.json()
        packed = await client.post(
            "/api/v2",
            data={"key": key, "action": "services"},
            headers={"Accept-Encoding": "gzip"},
        )
        assert packed.headers["content-encoding"] == "gzip"
        assert packed.json() == listed
        assert isinstance(listed, list), listed
        assert len(listed) == SERVICES, len(listed)
        rates = {Decimal(row["rate"]) for row in listed}
        assert rates == {UPSTREAM_RATE * MARKUP}, rates
        return len(plain.content), int(packed.headers["content-length"])


async def main(seconds: int, calls: list[str]) -> None:
    """Every call in LUA_CALLS, or only those named in `calls`."""
    async with scratch_database() as url:
        world = await catalogue_for(
            url, "http://127.0.0.1:9/api/v2", 100, Decimal(10) ** 9, services=SERVICES
        )
        resellers: list[tuple[int, str]] = world["resellers"]  # type: ignore[assignment]
        caller, key = resellers[0]
        ids, _ = await fill(url, caller, [account for account, _ in resellers[1:]])
        print(f"{ORDERS:,} orders, {len(ids):,} of them the caller's; {SERVICES:,} services")
        port = free_port()
        env = load_env(url)
        base = f"http://127.0.0.1:{port}"
        fields: dict[str, object] = {
            "ids": ",".join(map(str, ids)),
            "key": key,
            "services": SERVICES,
            "service": world["service"],
        }
        api = ["api", "--port", str(port), "--processes", str(PROCESSES)]
        with process(api, env, f"{base}/healthz"):
            fields["plain"], fields["gzipped"] = await check_sample(url, base, key, caller, ids)
            for call in calls or LUA_CALLS:
                wrk(base, call, fields, WARM_UP)
                count, p50, p99 = wrk(base, call, fields, seconds)
                label = call if call.startswith("GET /v1") else f"/api/v2 {call}"
                print(
                    f"{label}, {CLIENTS} clients, {PROCESSES} API processes: "
                    f"{count / seconds:,.0f} requests/s, p50 {p50:.1f} ms, p99 {p99:.1f} ms"
                )
            # After the load too: what was served under it is still what the database holds.
            await check_sample(url, base, key, caller, ids)
        print(json.dumps({"checked": "ok"}))


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 10, sys.argv[2:]))
