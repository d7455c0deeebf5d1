"""What a `pasok` command checks before it starts anything: a newcomer reads one or two lines
saying what is wrong and what to do, not a traceback, and nothing has been changed yet.
"""

import asyncio
import fcntl
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import asyncpg  # type: ignore[import-untyped]
from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from panel.plumbing.db import async_url

CONNECT_TIMEOUT_S = 5.0
LOCK_FILE = "up.lock"


class StartError(Exception):
    """Why a command will not start, in words for the person who ran it."""


def data_folder(path: Path) -> None:
    """The data folder exists (made private if it did not) and this user may write in it."""
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        probe = path / ".write-check"
        probe.touch()
        probe.unlink()
    except OSError as error:
        raise StartError(
            f"the data folder {path} cannot be used ({error.strerror or error}); "
            "choose another with --data-dir or PASOK_DATA_DIR"
        ) from None


def port_free(host: str, port: int, what: str, option: str) -> None:
    """Nothing listens on `host:port` yet; `what` names who needs it, `option` how to move it."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            reason = "in use" if error.errno == 98 else (error.strerror or str(error))
            raise StartError(
                f"port {port} on {host}, for {what}, is {reason}; choose another with {option}"
            ) from None


@contextmanager
def only_up(data_dir: Path, host: str, port: int) -> Iterator[None]:
    """Hold the data folder for one `pasok up`: a second one is refused, naming the first,
    before it has changed anything. The lock ends with the process, however it ends."""
    path = data_dir / LOCK_FILE
    handle: IO[str] = path.open("a+")
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise StartError(
                f"pasok up is already serving {data_dir} ({holder}); stop it first, "
                "or give this one another --data-dir"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"process {os.getpid()}, port {port} on {host}\n")
        handle.flush()
        yield
    finally:
        handle.close()


def database(url: str) -> None:
    """`url` is a PostgreSQL URL this machine can connect to."""
    try:
        parsed = make_url(async_url(url))
    except (ValueError, ArgumentError):
        raise StartError(
            "PASOK_DATABASE_URL is not a PostgreSQL URL: write it as "
            "postgresql://user:password@host:5432/database"
        ) from None
    where = _where(parsed.host, parsed.port or 5432, parsed.query.get("host"))

    async def connect() -> None:
        connection = await asyncpg.connect(
            parsed.set(drivername="postgresql").render_as_string(hide_password=False),
            timeout=CONNECT_TIMEOUT_S,
        )
        await connection.close()

    try:
        asyncio.run(connect())
    except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
        raise StartError(
            f"cannot reach PostgreSQL at {where}: {_reason(error)}; is it running, and is "
            "PASOK_DATABASE_URL right? (unset it to use the embedded one)"
        ) from None


def redis(url: str) -> None:
    """`url` is a Redis URL this machine can connect to."""
    try:
        client = Redis.from_url(url, socket_connect_timeout=CONNECT_TIMEOUT_S)
    except ValueError:
        raise StartError(
            "PASOK_REDIS_URL is not a Redis URL: write it as redis://host:6379/0"
        ) from None
    kwargs = client.connection_pool.connection_kwargs
    where = _where(kwargs.get("host"), kwargs.get("port", 6379), kwargs.get("path"))

    async def ping() -> None:
        try:
            await client.ping()
        finally:
            await client.aclose()

    try:
        asyncio.run(ping())
    except (OSError, RedisError) as error:
        raise StartError(
            f"cannot reach Redis at {where}: {_reason(error)}; is it running, and is "
            "PASOK_REDIS_URL right? (unset it to use the embedded one)"
        ) from None


def _where(host: object, port: object, socket_path: object) -> str:
    if socket_path:
        return f"the socket {socket_path}"
    return f"{host or 'localhost'}:{port}"


def _reason(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0]
