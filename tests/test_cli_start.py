"""What `pasok` says when it cannot start: one or two lines naming what is wrong and what to
do, exit status 2, and nothing changed. Each case runs the real command."""

import argparse
import fcntl
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from panel import cli
from panel.plumbing import preflight
from tests import servers

PASOK = str(Path(sys.executable).with_name("pasok"))
UNSET = ("PASOK_DATABASE_URL", "PASOK_REDIS_URL", "PASOK_DATA_DIR")


def _pasok(*arguments: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {name: value for name, value in os.environ.items() if name not in UNSET}
    return subprocess.run(
        [PASOK, *arguments], env=base | env, capture_output=True, text=True, timeout=60
    )


def _refused(result: subprocess.CompletedProcess[str]) -> str:
    """The refusal's text, once it is known to be a refusal and not a traceback."""
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert 1 <= len(lines) <= 2, result.stderr
    assert lines[0].startswith("pasok: ")
    return result.stderr


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield listener.getsockname()[1]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("mysql://root@127.0.0.1/test", "PASOK_DATABASE_URL is not a PostgreSQL URL"),
        ("postgresql://nobody@127.0.0.1:{port}/test", "cannot reach PostgreSQL at 127.0.0.1:"),
    ],
)
def test_a_wrong_or_unreachable_database_is_named(url: str, said: str, tmp_path: Path) -> None:
    url = url.format(port=_free_port())
    for command in (["migrate"], ["audit"], ["worker"], ["api", "--port", str(_free_port())]):
        out = _refused(
            _pasok(
                *command,
                PASOK_DATABASE_URL=url,
                PASOK_REDIS_URL=servers.redis_url(),
                PASOK_DATA_DIR=str(tmp_path),
            )
        )
        assert said in out


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("http://127.0.0.1:6379", "PASOK_REDIS_URL is not a Redis URL"),
        ("redis://127.0.0.1:{port}/0", "cannot reach Redis at 127.0.0.1:"),
    ],
)
def test_a_wrong_or_unreachable_redis_is_named(url: str, said: str) -> None:
    url = url.format(port=_free_port())
    out = _refused(
        _pasok("worker", PASOK_DATABASE_URL=servers.database_admin_url(), PASOK_REDIS_URL=url)
    )
    assert said in out


def test_a_port_in_use_is_named_before_anything_starts(busy_port: int, tmp_path: Path) -> None:
    database, redis = servers.database_admin_url(), servers.redis_url()
    api = _refused(
        _pasok("api", "--port", str(busy_port), PASOK_DATABASE_URL=database, PASOK_REDIS_URL=redis)
    )
    assert f"port {busy_port} on 127.0.0.1, for the API, is in use" in api
    assert "--port" in api
    # `up` checks its ports before it migrates or seeds anything: the data folder stays empty.
    data = tmp_path / "data"
    up = _refused(_pasok("up", "--port", str(busy_port), "--data-dir", str(data)))
    assert "for the API, is in use" in up
    sandbox = _refused(_pasok("up", "--port", str(busy_port - 1), "--data-dir", str(data)))
    assert f"port {busy_port} on 127.0.0.1, for the sandbox provider" in sandbox
    assert sorted(path.name for path in data.iterdir()) == [preflight.LOCK_FILE]


def test_a_data_folder_that_cannot_be_made_is_named(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    out = _refused(_pasok("up", "--port", str(_free_port()), "--data-dir", str(blocker / "data")))
    assert f"the data folder {blocker / 'data'} cannot be used" in out
    assert "--data-dir" in out


def test_a_second_up_on_a_served_data_folder_is_refused_and_changes_nothing(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "demo.json").write_text('{"kept": true}\n')
    # Held as a serving `pasok up` holds it, by another process: this test's.
    with (data / preflight.LOCK_FILE).open("a+") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        held.write("process 4242, port 8000 on 127.0.0.1\n")
        held.flush()
        out = _refused(_pasok("up", "--port", str(_free_port()), "--data-dir", str(data)))
    assert "pasok up is already serving" in out
    assert "process 4242, port 8000 on 127.0.0.1" in out
    assert (data / "demo.json").read_text() == '{"kept": true}\n'
    assert sorted(path.name for path in data.iterdir()) == ["demo.json", preflight.LOCK_FILE]


def test_a_wrong_setting_is_named_not_traced() -> None:
    out = _refused(_pasok("migrate", PASOK_DB_POOL_SIZE="many"))
    assert "PASOK_DB_POOL_SIZE" in out


def test_help_describes_every_option() -> None:
    commands = next(
        action
        for action in cli._parser()._actions
        if isinstance(action, argparse._SubParsersAction)
    )
    for name, parser in commands.choices.items():
        for action in parser._actions:
            if not isinstance(action, argparse._HelpAction):
                assert action.help, f"pasok {name} {'/'.join(action.option_strings)}"
