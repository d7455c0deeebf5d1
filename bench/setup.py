"""What the benchmarks share: a scratch database migrated to head, a sandbox provider in its own
process, and a priced catalogue built through Pasok's own services. Nothing here is a test."""

import asyncio
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager, nullcontext
from decimal import Decimal
from pathlib import Path

import httpx
from sqlalchemy import text
from sqlalchemy.engine import make_url

from panel.accounts import service as accounts
from panel.catalogue import routes
from panel.catalogue import service as catalogue
from panel.ledger import service as ledger
from panel.models import AccountKind
from panel.plumbing.db import async_url, create_engine, create_sessionmaker, transaction
from panel.plumbing.migrations import upgrade
from panel.pricing import rule_book, tiers

ADMIN_URL = os.environ.get("PASOK_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("PASOK_BENCH_REDIS_URL", "redis://127.0.0.1:6379/7")
PASOK = str(Path(sys.executable).with_name("pasok"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def _admin(statement: str) -> None:
    engine = create_engine(ADMIN_URL, pool_size=1)
    async with engine.connect() as connection:
        await connection.execution_options(isolation_level="AUTOCOMMIT")
        await connection.execute(text(statement))
    await engine.dispose()


@asynccontextmanager
async def scratch_database() -> AsyncIterator[str]:
    """A new database migrated to head, dropped afterwards."""
    name = f"pasok_bench_{uuid.uuid4().hex[:8]}"
    await _admin(f'CREATE DATABASE "{name}"')
    url = make_url(async_url(ADMIN_URL)).set(database=name).render_as_string(hide_password=False)
    try:
        await asyncio.to_thread(upgrade, url)
        yield url
    finally:
        await _admin(f'DROP DATABASE "{name}" WITH (FORCE)')


def load_env(url: str) -> dict[str, str]:
    """What `pasok api` runs with under a load benchmark: the load comes from one address and a
    few keys, far past any sane rate limit, so limits are off."""
    return {
        "PASOK_DATABASE_URL": url,
        "PASOK_REDIS_URL": REDIS_URL,
        "PASOK_LOG_LEVEL": "WARNING",
        "PASOK_DB_POOL_SIZE": "20",
        "PASOK_RATE_LIMITS__ENABLED": "false",
    }


@contextmanager
def process(
    args: list[str],
    env: dict[str, str],
    ready: str | Callable[[], bool],
    *,
    prefix: Sequence[str] = (),
    log: Path | None = None,
) -> Iterator[subprocess.Popen[bytes]]:
    """A `pasok` subcommand in its own process, stopped afterwards. `ready` is a URL that
    answers once it serves, or a check that is true once it works (a worker serves no URL).
    `prefix` runs it through another command (`ip netns exec <name>`); `log` keeps its output."""
    # The child keeps its own copy of the log file: ours is closed once it has started.
    with open(log, "wb") if log else nullcontext(subprocess.DEVNULL) as output:
        child = subprocess.Popen(
            [*prefix, PASOK, *args], env=os.environ | env, stdout=output, stderr=output
        )
    try:
        deadline = time.monotonic() + 30
        while not _started(ready):
            if time.monotonic() > deadline or child.poll() is not None:
                raise RuntimeError(f"pasok {args[0]} did not start")
            time.sleep(0.2)
        yield child
    finally:
        child.terminate()
        child.wait(timeout=15)


def _started(ready: str | Callable[[], bool]) -> bool:
    if callable(ready):
        return ready()
    try:
        httpx.get(ready, timeout=1)
    except httpx.HTTPError:
        return False
    return True


async def catalogue_for(
    url: str, sandbox_api: str, resellers: int, balance: Decimal, services: int = 1
) -> dict[str, object]:
    """A provider (the sandbox), `services` services routed to its service 1, a 25% tier and
    `resellers` funded resellers, each with an API key; "service" is the first service."""
    from panel.keys import service as keys

    engine = create_engine(url, pool_size=2)
    made: dict[str, object] = {}
    async with transaction(create_sessionmaker(engine)) as session:
        provider = await catalogue.create_provider(
            session, name="Sandbox", api_url=sandbox_api, api_key="bench", currency="USD"
        )
        upstream = await catalogue.upsert_provider_service(
            session,
            provider.id,
            "1",
            panel_currency="USD",
            name="Followers",
            rate=Decimal("0.90"),
            min_quantity=10,
            max_quantity=100_000,
        )
        service = await catalogue.create_service(
            session, name="Followers", min_quantity=10, max_quantity=100_000
        )
        await routes.replace(session, service.id, [upstream.id])
        for number in range(1, services):
            more = await catalogue.create_service(
                session, name=f"Followers {number}", min_quantity=10, max_quantity=100_000
            )
            await routes.replace(session, more.id, [upstream.id])
        tier = await tiers.create(session, name="Standard", min_spend_90d=Decimal(0))
        await rule_book.create(session, tier_id=tier.id, markup_percent=Decimal(25))
        keys_by_reseller = []
        for number in range(resellers):
            reseller = await accounts.create(
                session, kind=AccountKind.reseller, name=f"R{number}", tier_id=tier.id
            )
            await ledger.top_up(session, reseller.id, balance, "bench funds", None)
            issued = await keys.issue(session, reseller)
            keys_by_reseller.append((reseller.id, issued.plaintext))
        made = {"provider": provider.id, "service": service.id, "resellers": keys_by_reseller}
    await engine.dispose()
    return made
