"""Which PostgreSQL and Redis the tests use, in this order: the URLs in PASOK_TEST_DATABASE_URL
and PASOK_TEST_REDIS_URL; servers on their standard ports on 127.0.0.1; else embedded servers
under `.pasok-test/`, started here, so that the tests run on a machine with neither."""

import asyncio
import atexit
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
from redis import Redis
from redis.exceptions import RedisError

from panel.plumbing import embedded

EMBEDDED_DIR = Path(__file__).resolve().parents[1] / ".pasok-test"
LOCAL_DATABASE_URLS = (
    "postgresql://postgres@127.0.0.1:5432/test",
    "postgresql://root@127.0.0.1:5432/test",
)
LOCAL_REDIS_URL = "redis://127.0.0.1:6379/0"


@cache
def database_admin_url() -> str:
    """A URL whose user may create and drop databases."""
    if url := os.environ.get("PASOK_TEST_DATABASE_URL"):
        return url
    for url in LOCAL_DATABASE_URLS:
        if _postgres_answers(url):
            return url
    return _embedded(embedded.start_postgres)


@cache
def redis_url() -> str:
    """A Redis database of this test process's own: the tests flush it before each test, so
    parallel test processes (pytest-xdist's `gwN`) each take the next database number."""
    if url := os.environ.get("PASOK_TEST_REDIS_URL"):
        return _for_this_worker(url)
    if _redis_answers(LOCAL_REDIS_URL):
        return _for_this_worker(LOCAL_REDIS_URL)
    return _for_this_worker(_embedded(embedded.start_redis))


def _for_this_worker(url: str) -> str:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    parts = urlsplit(url)
    database = int(parts.path.strip("/") or 0) + int(worker.removeprefix("gw"))
    if database > 15:
        raise RuntimeError(f"Redis database {database} for {worker}: run fewer test processes")
    return urlunsplit(parts._replace(path=f"/{database}"))


def _postgres_answers(url: str) -> bool:
    async def probe() -> None:
        connection = await asyncpg.connect(url, timeout=3)
        await connection.close()

    # A thread of its own: the caller may already be inside an event loop.
    with ThreadPoolExecutor(max_workers=1) as pool:
        try:
            pool.submit(asyncio.run, probe()).result()
        except Exception:  # refused, timed out, unknown role or database: not usable
            return False
    return True


def _redis_answers(url: str) -> bool:
    client = Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
    try:
        return bool(client.ping())
    except (OSError, RedisError):
        return False
    finally:
        client.close()


def _embedded(start: Callable[[Path], str]) -> str:
    if not embedded.running(EMBEDDED_DIR):
        # Started by this test run, so stopped by it; servers found running are left running.
        atexit.register(embedded.stop, EMBEDDED_DIR)
    return start(EMBEDDED_DIR)
