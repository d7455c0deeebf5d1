"""Pasok as two hosts against one PostgreSQL and one Redis, one host killed mid-run.

    sudo .venv/bin/python -m bench.two_hosts [seconds=60] [rate=50]

Needs root: each host is a network namespace (`pasok-a`, `pasok-b`) joined to the root
namespace by a veth pair, running one `pasok api` and one `pasok worker`. The shared servers
live in the root namespace at 10.231.0.1 (an address added to its loopback for the run): a
TCP forwarder to the PostgreSQL at `PASOK_BENCH_DATABASE_URL` (a scratch database, migrated
with alembic) and to the Redis at `PASOK_BENCH_REDIS_URL` (its database is flushed first: it
is the benchmark's own), and the sandbox provider, which answers after a delay and ends some
orders partial, canceled or refused. Neither shared server is restarted or reconfigured.

API v2 `add` orders are sent through both hosts at `rate` orders/s for `seconds`, each with a
`request_id`, as a careful client would. At 40% of the run, while host a has requests under
way, every process of host a is killed (SIGKILL of `ip netns pids pasok-a`); requests it had not
answered are sent again, with the same `request_id`, to host b, which takes all the load from
then on. Then the run waits until no
order is open. It checks, and exits 1 if any check fails: every order a client was answered
with is in the database, terminal or parked for review; no order was bought upstream twice
(the sandbox's own orders, per link and per upstream id) and every upstream order belongs to
one order whose state matches; the ledger audit over the whole history is clean.

The namespaces, the veth pairs and the address are removed at the end (Ctrl-C included), and
any left by an earlier run at the start. Each process's output is kept in /tmp/pasok-two-hosts.
"""

import asyncio
import multiprocessing
import os
import re
import secrets
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from functools import partial
from pathlib import Path
from types import FrameType
from urllib.parse import urlsplit

import httpx
import redis
from arq.constants import default_queue_name, health_check_key_suffix
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.setup import ADMIN_URL, REDIS_URL, catalogue_for, process, scratch_database
from panel.ledger.incremental_audit import run as run_audit
from panel.plumbing.db import create_engine, create_sessionmaker

# The shared servers' address, on the root namespace's loopback: reachable from both hosts
# through their veth pairs, and from nowhere else.
SERVERS = "10.231.0.1"
POSTGRES_PORT, REDIS_PORT, SANDBOX_PORT, API_PORT = 5432, 6379, 8001, 8000
LOGS = Path("/tmp/pasok-two-hosts")

CLIENTS = 16  # half on each host until one dies
KILL_AT = 0.4  # of the run
QUANTITY = 100
TRIES = 10  # per order, against whichever host is alive
RETRY_PAUSE_S = 0.2
RATE_WINDOW_S = 10.0
DRAIN_LIMIT_S = 300.0  # a poll the dead worker had leased comes due again after 2 minutes
OPEN = ("pending", "submitting", "in_progress")

# What the sandbox's service does: each `add` and `status` answered after a delay, so that a
# worker always has calls under way, and orders that end in every way.
SANDBOX_BEHAVIOUR = {
    "latency_s": 0.1,
    "start_delay_s": 2,
    "speed": 100,  # a 100-unit order delivers within a second once started
    "partial_rate": 0.2,
    "cancel_rate": 0.1,
    "error_rate": 0.05,  # refused: no other route, so the order fails with a full refund
    "error_text": "Instagram account is private",
}
# Short clocks, so that what the dead host left behind is found within the run: a `pending`
# order whose job it had taken is driven again after 5 s, a `submitting` one (it may or may not
# have reached the sandbox) is parked for review after 25 s, longer than one call may take.
HOST_SETTINGS = {
    "PASOK_LOG_LEVEL": "WARNING",
    "PASOK_DB_POOL_SIZE": "5",
    "PASOK_RATE_LIMITS__ENABLED": "false",  # the load comes from one address and few keys
    "PASOK_ORDERS__PENDING_GRACE_S": "5",
    "PASOK_ORDERS__SUBMIT_TIMEOUT_S": "25",
    "PASOK_HTTP__READ_TIMEOUT_S": "15",
    "PASOK_ORDERS__FIRST_POLL_AFTER_S": "3",
    "PASOK_ORDERS__MIN_POLL_INTERVAL_S": "3",
}


@dataclass(frozen=True)
class Host:
    name: str
    subnet: int  # 10.231.<subnet>.0/30: .1 the root namespace's end, .2 the host's

    @property
    def namespace(self) -> str:
        return f"pasok-{self.name}"

    @property
    def root_link(self) -> str:
        return f"pasok-{self.name}0"

    @property
    def address(self) -> str:
        return f"10.231.{self.subnet}.2"

    @property
    def gateway(self) -> str:
        return f"10.231.{self.subnet}.1"

    @property
    def api(self) -> str:
        return f"http://{self.address}:{API_PORT}"


HOSTS = (Host("a", 1), Host("b", 2))
VICTIM, SURVIVOR = HOSTS


# --- the network -------------------------------------------------------------------------------


def ip(*args: str, check: bool = True) -> str:
    done = subprocess.run(["ip", *args], capture_output=True, text=True, check=False)
    if check and done.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)}: {done.stderr.strip()}")
    return done.stdout


def make_hosts() -> None:
    """Two namespaces, each with a veth pair to the root namespace and a default route
    through it; the shared servers' address on the root namespace's loopback."""
    ip("addr", "add", f"{SERVERS}/32", "dev", "lo")
    for host in HOSTS:
        inside = f"pasok-{host.name}1"
        ip("netns", "add", host.namespace)
        ip("link", "add", host.root_link, "type", "veth", "peer", "name", inside)
        ip("link", "set", inside, "netns", host.namespace)
        ip("addr", "add", f"{host.gateway}/30", "dev", host.root_link)
        ip("link", "set", host.root_link, "up")
        within = ("netns", "exec", host.namespace, "ip")
        ip(*within, "addr", "add", f"{host.address}/30", "dev", inside)
        ip(*within, "link", "set", inside, "up")
        ip(*within, "link", "set", "lo", "up")
        ip(*within, "route", "add", "default", "via", host.gateway)


def kill_host(host: Host) -> int:
    """SIGKILL every process in the host's namespace, as a power cut would end them; how many."""
    pids = [int(pid) for pid in ip("netns", "pids", host.namespace, check=False).split()]
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return len(pids)


def remove_hosts() -> None:
    """Undo `make_hosts`, and whatever an earlier run killed hard left behind."""
    for host in HOSTS:
        if host.namespace in ip("netns", "list", check=False).split():
            kill_host(host)
            ip("netns", "del", host.namespace, check=False)
        ip("link", "del", host.root_link, check=False)  # gone with its namespace, usually
    # Forwarders and sandboxes of a run that could not clean up still hold the ports.
    listening = subprocess.run(
        ["ss", "-Hltnp", "src", SERVERS], capture_output=True, text=True, check=False
    ).stdout
    for pid in {int(found) for found in re.findall(r"pid=(\d+)", listening)}:
        os.kill(pid, signal.SIGKILL)
    if f"inet {SERVERS}/32" in ip("-4", "addr", "show", "dev", "lo"):
        ip("addr", "del", f"{SERVERS}/32", "dev", "lo")


# --- the shared servers ------------------------------------------------------------------------


def _forward_all(routes: list[tuple[int, tuple[str, int]]]) -> None:
    """The forwarder process: accept on SERVERS:port, connect to the real server, copy both
    ways until either side closes (a dead host's connections close with its processes)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops it, with SIGTERM
    signal.signal(signal.SIGTERM, signal.SIG_DFL)

    async def serve() -> None:
        servers = [
            await asyncio.start_server(partial(_forward, target), SERVERS, port)
            for port, target in routes
        ]
        await asyncio.gather(*(server.serve_forever() for server in servers))

    asyncio.run(serve())


async def _forward(
    target: tuple[str, int], reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    try:
        upstream_reader, upstream_writer = await asyncio.open_connection(*target)
    except OSError:
        writer.close()
        return
    await asyncio.gather(_copy(reader, upstream_writer), _copy(upstream_reader, writer))


async def _copy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except OSError:
        pass
    finally:
        writer.close()


@contextmanager
def forwarded_servers() -> Iterator[tuple[str, str]]:
    """PostgreSQL and Redis at SERVERS, forwarded to the real ones; the hosts' URLs for them
    (the database's name is filled in later)."""
    database, cache = make_url(ADMIN_URL), urlsplit(REDIS_URL)
    routes = [
        (POSTGRES_PORT, (database.host or "127.0.0.1", database.port or 5432)),
        (REDIS_PORT, (cache.hostname or "127.0.0.1", cache.port or 6379)),
    ]
    # Forked before any event loop or thread exists in this process.
    forwarder = multiprocessing.get_context("fork").Process(target=_forward_all, args=(routes,))
    forwarder.start()
    try:
        credentials, at, _ = cache.netloc.rpartition("@")
        redis_url = cache._replace(netloc=f"{credentials}{at}{SERVERS}:{REDIS_PORT}").geturl()
        database_url = database.set(host=SERVERS, port=POSTGRES_PORT).render_as_string(False)
        yield database_url, redis_url
    finally:
        forwarder.terminate()
        forwarder.join()


def for_hosts(database_url: str, scratch: str) -> str:
    """The scratch database's URL as the hosts reach it: through the forwarder."""
    forwarded = make_url(database_url)
    return make_url(scratch).set(host=forwarded.host, port=forwarded.port).render_as_string(False)


def sandbox_provider(stack: ExitStack) -> str:
    """The sandbox in its own process in the root namespace; its base URL."""
    base = f"http://{SERVERS}:{SANDBOX_PORT}"
    args = ["sandbox", "--host", SERVERS, "--port", str(SANDBOX_PORT)]
    stack.enter_context(
        process(args, {"PASOK_LOG_LEVEL": "WARNING"}, f"{base}/sandbox", log=LOGS / "sandbox.log")
    )
    httpx.post(f"{base}/sandbox/balance", json={"balance": "1000000000"}).raise_for_status()
    httpx.post(f"{base}/sandbox/services/1/behaviour", json=SANDBOX_BEHAVIOUR).raise_for_status()
    return base


# --- the hosts' processes ----------------------------------------------------------------------


def start_host(stack: ExitStack, host: Host, env: dict[str, str]) -> None:
    """One `pasok api` and one `pasok worker` in the host's namespace."""
    inside = ["ip", "netns", "exec", host.namespace]
    api = ["api", "--host", "0.0.0.0", "--port", str(API_PORT)]
    stack.enter_context(
        process(api, env, f"{host.api}/readyz", prefix=inside, log=LOGS / f"{host.name}-api.log")
    )
    # A worker serves no URL; it is working once arq has recorded its health in Redis.
    health = default_queue_name + health_check_key_suffix
    queue = redis.Redis.from_url(REDIS_URL)
    queue.delete(health)
    stack.enter_context(
        process(
            ["worker"],
            env,
            lambda: bool(queue.exists(health)),
            prefix=inside,
            log=LOGS / f"{host.name}-worker.log",
        )
    )


# --- the load ----------------------------------------------------------------------------------


@dataclass
class Sent:
    """One order a client asked for, and what it was answered."""

    number: int
    host: Host  # the host its client sends to while that host lives
    answered_by: str | None = None
    answered_at: float = 0.0
    order: int | None = None
    error: str | None = None
    cut: int = 0  # tries that got no answer (the host died under them)

    @property
    def request_id(self) -> str:
        return f"two-hosts-{self.number}"

    @property
    def link(self) -> str:
        return f"https://instagram.com/two_hosts_{self.number}"


@dataclass
class Run:
    sent: list[Sent] = field(default_factory=list)
    dead: set[str] = field(default_factory=set)
    in_flight: Counter[str] = field(default_factory=Counter)  # requests under way, per host
    kill_moment: float = 0.0  # time.monotonic() at the kill
    killed_at: float = 0.0  # seconds into the run
    killed_at_wall: datetime = field(default_factory=lambda: datetime.now(UTC))
    killed_pids: int = 0
    killed_at_upstream: float = 0.0  # the sandbox's clock at the kill
    open_at_kill: dict[int, str] = field(default_factory=dict)  # order id: status
    load_ended: float = 0.0


async def place(http: httpx.AsyncClient, run: Run, sent: Sent, key: str, service: int) -> None:
    """Send the order until a host answers, to its client's host while that one lives, else to
    the survivor; the same `request_id` every time, so a retry never makes a second order."""
    form = {
        "key": key,
        "action": "add",
        "service": str(service),
        "link": sent.link,
        "quantity": str(QUANTITY),
        "request_id": sent.request_id,
    }
    for _ in range(TRIES):
        host = sent.host if sent.host.name not in run.dead else SURVIVOR
        run.in_flight[host.name] += 1
        try:
            body = (await http.post(f"{host.api}/api/v2", data=form)).json()
        except (httpx.HTTPError, ValueError):
            sent.cut += 1
            await asyncio.sleep(RETRY_PAUSE_S)
            continue
        finally:
            run.in_flight[host.name] -= 1
        sent.answered_by, sent.answered_at = host.name, time.monotonic()
        if "order" in body:
            sent.order = int(body["order"])
        else:
            sent.error = str(body.get("error", body))
        return


async def drive(
    engine: AsyncEngine, sandbox: str, keys: list[str], service: int, seconds: float, rate: float
) -> Run:
    """CLIENTS clients at `rate` orders/s in all for `seconds`; host a killed at KILL_AT."""
    run = Run()
    started = time.monotonic()
    interval = CLIENTS / rate

    async def client(http: httpx.AsyncClient, number: int) -> None:
        due = started + number * interval / CLIENTS
        while due < started + seconds:
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            due += interval
            sent = Sent(len(run.sent), HOSTS[number % len(HOSTS)])
            run.sent.append(sent)
            await place(http, run, sent, keys[sent.number % len(keys)], service)

    async def killer(http: httpx.AsyncClient) -> None:
        await asyncio.sleep(seconds * KILL_AT)
        # While host a has requests under way, so that some are cut and sent again to b.
        for _ in range(1000):
            if run.in_flight[VICTIM.name]:
                break
            await asyncio.sleep(0.002)
        run.dead.add(VICTIM.name)  # new orders go to the survivor from now on
        run.killed_pids = kill_host(VICTIM)
        run.kill_moment, run.killed_at_wall = time.monotonic(), datetime.now(UTC)
        run.killed_at = run.kill_moment - started
        run.killed_at_upstream = (await http.get(f"{sandbox}/sandbox/clock")).json()["now_s"]
        async with engine.connect() as connection:
            rows = await connection.execute(
                text('SELECT id, status FROM "order" WHERE status = ANY(:open)').bindparams(
                    open=list(OPEN)
                )
            )
            run.open_at_kill = dict(rows.all())

    limits = httpx.Limits(max_connections=CLIENTS * 2, max_keepalive_connections=CLIENTS * 2)
    async with httpx.AsyncClient(timeout=10, limits=limits) as http:
        await asyncio.gather(killer(http), *(client(http, number) for number in range(CLIENTS)))
    run.load_ended = time.monotonic() - started
    return run


async def wait_for_drain(engine: AsyncEngine) -> float | None:
    """Seconds until no order is open (terminal or parked for review), or None past the limit."""
    started = time.monotonic()
    shown = started
    while time.monotonic() - started < DRAIN_LIMIT_S:
        async with engine.connect() as connection:
            still = (
                await connection.execute(
                    text('SELECT count(*) FROM "order" WHERE status = ANY(:open)').bindparams(
                        open=list(OPEN)
                    )
                )
            ).scalar_one()
        if not still:
            return time.monotonic() - started
        if time.monotonic() - shown > 15:
            print(f"  draining: {still} orders open after {time.monotonic() - started:.0f} s")
            shown = time.monotonic()
        await asyncio.sleep(1)
    return None


# --- the checks --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Stored:
    id: int
    request_id: str | None
    link: str
    status: str
    upstream_id: str | None
    created_at: datetime
    settled_at: datetime  # when it ended, or was last changed


SANDBOX_STATUS = {"Completed": "completed", "Partial": "partial", "Canceled": "canceled"}


async def check(engine: AsyncEngine, run: Run, sandbox: str, drained: float | None) -> list[str]:
    """Print the figures; the failed checks."""
    async with engine.connect() as connection:
        rows = await connection.execute(
            text(
                "SELECT id, request_id, link, status, upstream_id, created_at,"
                ' coalesce(finished_at, updated_at) FROM "order"'
            )
        )
        stored = {row[0]: Stored(*row) for row in rows}
    upstream = httpx.get(f"{sandbox}/sandbox/orders", timeout=60).json()
    adds = httpx.get(f"{sandbox}/sandbox").json()["counts"].get("add", 0)

    # Every answered order is in the database and no longer open; nothing else was written.
    answered = [sent for sent in run.sent if sent.order is not None]
    lost = [sent for sent in answered if sent.order not in stored]
    unfinished = [o for o in stored.values() if o.status in OPEN]
    unanswered = [sent for sent in run.sent if sent.answered_by is None]
    refused = Counter(sent.error for sent in run.sent if sent.error is not None)
    by_request = {o.request_id: o.id for o in stored.values()}
    mismatched = [s for s in answered if by_request.get(s.request_id) != s.order]
    orphans = set(stored) - {sent.order for sent in answered}
    counted = {
        "answered orders missing from the database": len(lost),
        "orders still open after the drain": len(unfinished),
        "orders with no answer after every try": len(unanswered),
        f"orders refused {dict(refused)}": refused.total(),
        "answers naming another order than their request id's": len(mismatched),
        "orders in the database no client was answered with": len(orphans),
    }

    # Nothing bought upstream twice, and each upstream order is one Pasok order's, in its state.
    per_link = Counter(row["link"] for row in upstream)
    twice = [link for link, count in per_link.items() if count > 1]
    by_link = {o.link: o for o in stored.values()}
    by_upstream_id = Counter(o.upstream_id for o in stored.values() if o.upstream_id)
    shared_ids = [uid for uid, count in by_upstream_id.items() if count > 1]
    upstream_held_in_review = 0
    strays: list[int] = []
    wrong_state: list[int] = []
    for row in upstream:
        order = by_link.get(row["link"])
        if order is None:
            strays.append(row["id"])
        elif order.status == "needs_review" and order.upstream_id is None:
            upstream_held_in_review += 1  # the dead worker sent it and never heard back
        elif order.upstream_id != str(row["id"]) or SANDBOX_STATUS.get(row["status"]) != (
            order.status
        ):
            wrong_state.append(order.id)
    counted |= {
        "links bought upstream more than once": len(twice),
        "upstream ids shared by several orders": len(shared_ids),
        "upstream orders belonging to no order": len(strays),
        "orders whose state differs from their upstream order's": len(wrong_state),
    }

    # What `pasok audit --full` runs: every invariant over the whole history, in one snapshot.
    breaches = await run_audit(create_sessionmaker(engine), datetime.now(UTC), full=True)
    counted["ledger audit breaches"] = len(breaches)
    failures = [f"{count} {what}" for what, count in counted.items() if count]

    # Orders made upstream per second, by both workers just before the kill and by the one left
    # just after: with a backlog queued, what the workers can send.
    made_at = [row["created_at_s"] - run.killed_at_upstream for row in upstream]
    window = min(RATE_WINDOW_S, run.killed_at)
    rates = (
        sum(-window <= at < 0 for at in made_at) / window,
        sum(0 <= at < RATE_WINDOW_S for at in made_at) / RATE_WINDOW_S,
    )
    _print_figures(run, stored, drained, adds, len(upstream), upstream_held_in_review, rates)
    print(
        f"lost {len(lost) + len(unanswered)}; left open {len(unfinished)}; "
        f"duplicates {len(twice) + len(shared_ids)}; "
        f"ledger audit (full) {'clean' if not breaches else f'{len(breaches)} breaches'}"
    )
    return failures


def _print_figures(
    run: Run,
    stored: dict[int, Stored],
    drained: float | None,
    adds: int,
    upstream_orders: int,
    upstream_held_in_review: int,
    rates: tuple[float, float],
) -> None:
    answered = [sent for sent in run.sent if sent.order is not None]

    def count(host: Host, before: bool) -> int:
        return sum(
            1
            for s in answered
            if s.answered_by == host.name and (s.answered_at < run.kill_moment) == before
        )

    retried = [s for s in run.sent if s.cut]
    # A retried order written before the kill was written by the host that died.
    written_by_victim = sum(
        1 for s in retried if s.order in stored and stored[s.order].created_at < run.killed_at_wall
    )
    print(
        f"two hosts (1 api + 1 worker each), {len(run.sent):,} orders asked in "
        f"{run.load_ended:.1f} s by {CLIENTS} clients; host {VICTIM.name} killed at "
        f"{run.killed_at:.1f} s ({run.killed_pids} processes)"
    )
    print(
        f"accepted: {len(answered):,}: host {VICTIM.name} {count(VICTIM, True):,} before the "
        f"kill; host {SURVIVOR.name} {count(SURVIVOR, True):,} before, "
        f"{count(SURVIVOR, False):,} after"
    )
    print(
        f"requests cut by the kill: {len(retried)}, answered on retry by host "
        f"{SURVIVOR.name} with the same request_id ({written_by_victim} with the order host "
        f"{VICTIM.name} had written)"
    )
    opened = Counter(run.open_at_kill.values())
    ended = Counter(stored[i].status for i in run.open_at_kill if i in stored)
    last = max(
        (stored[i].settled_at for i in run.open_at_kill if i in stored),
        default=run.killed_at_wall,
    )
    print(
        f"open at the kill: {len(run.open_at_kill)} ("
        + ", ".join(f"{status} {n}" for status, n in sorted(opened.items()))
        + "); they ended "
        + ", ".join(f"{status} {n}" for status, n in sorted(ended.items()))
        + f", the last {(last - run.killed_at_wall).total_seconds():.1f} s after the kill"
    )
    states = Counter(o.status for o in stored.values())
    print(
        (f"drained {drained:.1f} s after the load ended" if drained is not None else "NOT drained")
        + ": "
        + ", ".join(f"{status} {n:,}" for status, n in sorted(states.items()))
        + f" (upstream holds {upstream_held_in_review} of those in review)"
    )
    print(
        f"sandbox: {adds:,} adds received, {upstream_orders:,} orders made; "
        f"{rates[0]:.1f} orders/s made in the {RATE_WINDOW_S:.0f} s before the kill (both "
        f"workers), {rates[1]:.1f}/s in the {RATE_WINDOW_S:.0f} s after (host {SURVIVOR.name}'s)"
    )


# --- the run -----------------------------------------------------------------------------------


async def main(seconds: float, rate: float, database_url: str, redis_url: str) -> bool:
    redis.Redis.from_url(REDIS_URL).flushdb()  # the benchmark's own database: no stale jobs
    with ExitStack() as stack:
        sandbox = sandbox_provider(stack)
        async with scratch_database() as scratch:
            world = await catalogue_for(scratch, f"{sandbox}/api/v2", 20, Decimal(10) ** 6)
            keys = [key for _, key in world["resellers"]]  # type: ignore[attr-defined]
            env = HOST_SETTINGS | {
                "PASOK_DATABASE_URL": for_hosts(database_url, scratch),
                "PASOK_REDIS_URL": redis_url,
                "PASOK_WEB__SECRET": secrets.token_urlsafe(32),  # one for every copy
            }
            with ExitStack() as hosts:
                for host in HOSTS:
                    start_host(hosts, host, env | {"PASOK_DATA_DIR": str(LOGS / host.name)})
                engine = create_engine(scratch, pool_size=2)
                try:
                    run = await drive(engine, sandbox, keys, world["service"], seconds, rate)  # type: ignore[arg-type]
                    drained = await wait_for_drain(engine)
                    failures = await check(engine, run, sandbox, drained)
                finally:
                    await engine.dispose()
    for failure in failures:
        print(f"FAILED: {failure}")
    if failures:
        print(f"logs in {LOGS}")
    return not failures


def _stop(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    if os.geteuid() != 0:
        sys.exit("bench.two_hosts makes network namespaces: run it as root")
    arguments = [float(a) for a in sys.argv[1:3]]
    seconds, rate = (arguments + [60.0, 50.0][len(arguments) :])[:2]
    signal.signal(signal.SIGTERM, _stop)
    LOGS.mkdir(exist_ok=True)
    remove_hosts()
    ok = False
    try:
        make_hosts()
        with forwarded_servers() as (database_url, redis_url):
            ok = asyncio.run(main(seconds, rate, database_url, redis_url))
    finally:
        remove_hosts()
    sys.exit(0 if ok else 1)
