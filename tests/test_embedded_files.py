"""The embedded servers keep their files to themselves and leave the folders above alone.

Under root (as these tests run in CI and in containers) PostgreSQL runs as a system user of
its own; the data folder here sits in parents that user may not enter, as under /root."""

import asyncio
import os
import stat
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import asyncpg
import pytest
from redis import Redis

from panel.plumbing import embedded

pytestmark = pytest.mark.slow


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


async def _current_user(url: str) -> str:
    connection = await asyncpg.connect(url, timeout=10)
    try:
        user: str = await connection.fetchval("select current_user")
        return user
    finally:
        await connection.close()


def _system_user(pid: int) -> int:
    return Path(f"/proc/{pid}").stat().st_uid


def test_the_data_folder_is_private_and_its_parents_are_left_as_they_were(
    tmp_path: Path,
) -> None:
    outer = tmp_path / "home"
    parent = outer / "panel"
    parent.mkdir(parents=True)
    outer.chmod(0o700)
    parent.chmod(0o700)
    data_dir = parent / ".pasok"
    above = [parent, *parent.parents]
    before = {folder: (_mode(folder), folder.stat().st_uid) for folder in above}

    try:
        database_url = embedded.start_postgres(data_dir)
        redis_url = embedded.start_redis(data_dir)
        assert asyncio.run(_current_user(database_url)) == "postgres"
        assert Redis.from_url(redis_url).ping()
        pid = embedded.postgres_pid(data_dir)
        assert pid is not None
        if os.geteuid() == 0:
            # Not root (PostgreSQL refuses it), and the parents were not opened for it.
            assert _system_user(pid) != 0
        [sockets] = parse_qs(urlsplit(database_url).query)["host"]
        assert _mode(Path(sockets)) == 0o700
        # Found running by a second start, as `pasok migrate` beside `pasok up` finds it.
        assert embedded.start_postgres(data_dir) == database_url
    finally:
        embedded.stop(data_dir)

    assert {folder: (_mode(folder), folder.stat().st_uid) for folder in above} == before
    for folder in (data_dir, data_dir / "postgres", data_dir / "redis"):
        assert _mode(folder) == 0o700, folder
    opened = [
        path
        for path in data_dir.rglob("*")
        if not path.is_symlink() and _mode(path) & (stat.S_IRWXG | stat.S_IRWXO)
    ]
    assert opened == []


def test_an_existing_data_folder_is_made_private(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    (data_dir / "redis").mkdir(parents=True, mode=0o755)
    data_dir.chmod(0o755)
    tmp_path.chmod(0o755)
    try:
        embedded.start_redis(data_dir)
    finally:
        embedded.stop(data_dir)
    assert _mode(data_dir) == 0o700
    assert _mode(data_dir / "redis") == 0o700
    assert _mode(tmp_path) == 0o755  # above the data folder: left as it was


def test_a_socket_that_does_not_fit_in_the_data_folder_gets_a_private_folder_of_its_own(
    tmp_path: Path,
) -> None:
    parent = tmp_path / ("a-long-folder-name-" * 5)
    parent.mkdir(mode=0o700)
    data_dir = parent / ".pasok"
    try:
        database_url = embedded.start_postgres(data_dir)
        assert asyncio.run(_current_user(database_url)) == "postgres"
        [host] = parse_qs(urlsplit(database_url).query)["host"]
        sockets = Path(host)
        assert not sockets.is_relative_to(data_dir)
        assert _mode(sockets) == 0o700
        pid = embedded.postgres_pid(data_dir)
        assert pid is not None
        assert sockets.stat().st_uid == _system_user(pid)  # the server's, not everyone's
    finally:
        embedded.stop(data_dir)
    assert not sockets.exists()
    assert _mode(parent) == 0o700
