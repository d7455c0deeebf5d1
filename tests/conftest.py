"""Fixtures: a real PostgreSQL database per test run (migrated with alembic), a transaction
rolled back after each test, and a real Redis flushed before each test."""

import asyncio
import graphlib
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Protocol

import httpx
import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient
from pydantic import SecretStr
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from panel.accounts import passwords
from panel.accounts import service as accounts
from panel.app import create_app
from panel.config import Settings
from panel.keys import service as keys
from panel.models import Account, AccountKind
from panel.plumbing.db import async_url, create_engine
from panel.plumbing.job_queue import Queue
from panel.plumbing.migrations import upgrade
from panel.plumbing.runtime import Runtime
from panel.plumbing.upstream_http import build_client
from tests import servers

pytest_plugins = [
    "tests.fixtures.sandbox",
    "tests.fixtures.gateway",
    "tests.fixtures.world",
    "tests.fixtures.pipeline",
    "tests.web.browsing",
]


def pytest_configure(config: pytest.Config) -> None:
    # With parallel test processes, the one that starts them finds (or starts) the servers
    # first: embedded ones are then started once, and stopped when the whole run ends rather
    # than when the first test process does.
    if not hasattr(config, "workerinput") and getattr(config.option, "numprocesses", None):
        servers.database_admin_url()
        servers.redis_url()


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashes() -> Iterator[None]:
    """argon2 at the panel's cost takes a tenth of a second of several cores a hash, and the
    tests set and check hundreds of passwords; here it costs almost nothing. What argon2 is
    worth is argon2's own tests' concern; the commands the tests run as processes (`pasok
    init`, `pasok up`) and the tests that time passwords use the panel's own."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            passwords, "HASHER", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
        )
        yield


# Tables that the first migration fills and every test expects to find.
SYSTEM_LEDGER_ACCOUNTS = (
    "INSERT INTO ledger_account (code, kind) VALUES "
    "('clearing', 'clearing'), ('revenue', 'revenue'), ('external', 'external'), ('fx', 'fx'), "
    "('payment_fees', 'payment_fees')"
)


async def _admin_execute(admin_url: str, statement: str) -> None:
    engine = create_engine(admin_url, pool_size=1)
    async with engine.connect() as connection:
        await connection.execution_options(isolation_level="AUTOCOMMIT")
        await connection.execute(text(statement))
    await engine.dispose()


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    admin_url = servers.database_admin_url()
    name = f"pasok_test_{uuid.uuid4().hex[:10]}"
    asyncio.run(_admin_execute(admin_url, f'CREATE DATABASE "{name}"'))
    url = make_url(async_url(admin_url)).set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    yield url
    if not os.environ.get("PASOK_TEST_KEEP_DATABASE"):
        asyncio.run(_admin_execute(admin_url, f'DROP DATABASE "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def settings(database_url: str) -> Settings:
    return Settings(
        database_url=SecretStr(database_url),
        redis_url=SecretStr(servers.redis_url()),
        environment="test",
    )


@pytest.fixture(scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url, pool_size=20)
    yield engine
    await engine.dispose()


@pytest.fixture
async def connection(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    async with engine.connect() as connection:
        transaction = await connection.begin()
        yield connection
        await transaction.rollback()


@pytest.fixture
def sessionmaker(connection: AsyncConnection) -> async_sessionmaker[AsyncSession]:
    # Each session's commit releases a savepoint; the test's outer transaction is rolled back.
    return async_sessionmaker(
        bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
    )


@pytest.fixture
async def session(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    async with sessionmaker() as session:
        yield session


@pytest.fixture
async def committed(engine: AsyncEngine) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """A sessionmaker whose commits are real, for tests that need many connections at once.
    Everything is wiped afterwards."""
    yield async_sessionmaker(engine, expire_on_commit=False)
    async with engine.begin() as connection:
        await _wipe(connection)


async def _wipe(connection: AsyncConnection) -> None:
    """Every table back to how the migrations left it, every sequence restarted. The ledger's
    append-only tables are truncated (with what refers to them), the other tables with rows
    emptied by DELETE, referencing tables first: a TRUNCATE costs milliseconds a table even
    when the table is empty, and its CASCADE reaches nearly all sixty."""
    order = await _deletion_order(connection)
    probe = " UNION ALL ".join(f"(SELECT '{name}' FROM \"{name}\" LIMIT 1)" for name in order)
    filled = set(await connection.scalars(text(probe)))
    ledger = [name for name in APPEND_ONLY if name in filled]
    if ledger:
        await connection.execute(text(f"TRUNCATE {', '.join(ledger)} CASCADE"))
    deletes = "".join(
        f'DELETE FROM "{name}"; ' for name in order if name in filled and name not in APPEND_ONLY
    )
    if deletes:
        await connection.execute(text(f"DO $$ BEGIN {deletes}END $$"))
    await connection.execute(
        text(
            "SELECT setval(c.oid, s.seqstart, false) FROM pg_class c "
            "JOIN pg_sequence s ON s.seqrelid = c.oid WHERE c.relkind = 'S'"
        )
    )
    await connection.execute(text(SYSTEM_LEDGER_ACCOUNTS))


# Their triggers refuse DELETE: history is corrected by new journals (see the first migration).
APPEND_ONLY = ("journal", "entry")


_deletion_orders: list[list[str]] = []


async def _deletion_order(connection: AsyncConnection) -> list[str]:
    """The tables, each after every table whose foreign keys point at it (the schema is the
    same for the whole run: read once)."""
    if not _deletion_orders:
        tables = await connection.scalars(
            text(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                "AND tablename <> 'alembic_version'"
            )
        )
        sorter: graphlib.TopologicalSorter[str] = graphlib.TopologicalSorter(
            {name: set() for name in tables}
        )
        references = await connection.execute(
            text(
                "SELECT conrelid::regclass::text, confrelid::regclass::text FROM pg_constraint "
                "WHERE contype = 'f' AND connamespace = 'public'::regnamespace"
            )
        )
        for child, parent in references:
            if child != parent:
                sorter.add(parent.strip('"'), child.strip('"'))
        _deletion_orders.append(list(sorter.static_order()))
    return _deletion_orders[0]


@pytest.fixture
async def redis(settings: Settings) -> AsyncIterator[Redis]:
    assert settings.redis_url is not None
    client = Redis.from_url(settings.redis_url.get_secret_value())
    await client.flushdb()
    yield client
    await client.aclose()


@pytest.fixture
async def queue(redis: Redis, settings: Settings) -> AsyncIterator[Queue]:
    assert settings.redis_url is not None
    queue = await Queue.connect(settings.redis_url.get_secret_value())
    yield queue
    await queue.close()


@pytest.fixture
async def http(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The upstream HTTP client, built as a process builds it."""
    client = build_client(settings.http)
    yield client
    await client.aclose()


class AppFor(Protocol):
    def __call__(
        self, sessionmaker: async_sessionmaker[AsyncSession], *, fresh: bool = False
    ) -> FastAPI: ...


@pytest.fixture(scope="session")
def built_apps(settings: Settings) -> list[FastAPI]:
    """Apps built once per test process and lent to one test at a time. FastAPI resolves an
    app's included routes on its first request, about half a second for Pasok's: paid once
    per app here rather than once per test. Nothing but `state.runtime` differs between two
    tests' apps, and `app_for` replaces it."""
    return []


@pytest.fixture
def app_for(
    settings: Settings,
    engine: AsyncEngine,
    redis: Redis,
    queue: Queue,
    http: httpx.AsyncClient,
    built_apps: list[FastAPI],
) -> AppFor:
    """The app on the real PostgreSQL and Redis, its sessions drawn from the given maker: the
    test's rolled-back connection, or `committed` for requests that race each other. Each
    call within a test gives another app; `fresh`, one that no other test shares, for a test
    that adds routes of its own."""
    lent = 0

    def build(sessionmaker: async_sessionmaker[AsyncSession], *, fresh: bool = False) -> FastAPI:
        nonlocal lent
        if fresh:
            app = create_app(settings)
        else:
            if lent == len(built_apps):
                built_apps.append(create_app(settings))
            app = built_apps[lent]
            lent += 1
        app.state.runtime = Runtime(settings, engine, sessionmaker, redis, queue, http)
        return app

    return build


@pytest.fixture
async def client(
    app_for: AppFor, sessionmaker: async_sessionmaker[AsyncSession]
) -> AsyncIterator[AsyncClient]:
    app = app_for(sessionmaker)
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://pasok.test") as c:
        yield c


@dataclass
class Operator:
    account: Account
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@pytest.fixture
async def operator(sessionmaker: async_sessionmaker[AsyncSession]) -> Operator:
    async with sessionmaker.begin() as session:
        account = await accounts.create(session, kind=AccountKind.operator, name="Ops")
        issued = await keys.issue(session, account, "tests")
    return Operator(account, issued.plaintext)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Slow files first: test processes take whole files, so a slow one picked up last would
    # keep one process busy while the others sit idle at the end of the run.
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)
