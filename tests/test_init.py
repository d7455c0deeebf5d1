"""`pasok init` as someone putting Pasok in production runs it: the real command on an empty
database, then `pasok api` on the same data folder, and the operator signing in."""

import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import yaml
from httpx import ASGITransport, AsyncClient
from pydantic import SecretStr
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from panel.config import Settings, WebSettings
from panel.plumbing import embedded, web_secret
from panel.plumbing.db import async_url, create_engine
from panel.web import sessions
from tests import servers
from tests.conftest import AppFor

pytestmark = pytest.mark.slow

PASOK = str(Path(sys.executable).with_name("pasok"))
READY_TIMEOUT_S = 30.0
PASSWORD = "a long enough password"
EMAIL = "boss@example.com"


async def _execute(url: str, statement: str) -> list[tuple[object, ...]]:
    engine = create_engine(url, pool_size=1)
    try:
        async with engine.connect() as connection:
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            result = await connection.execute(text(statement))
            return [tuple(row) for row in result] if result.returns_rows else []
    finally:
        await engine.dispose()


@pytest.fixture
def empty_database() -> Iterator[str]:
    """A database of this test's own, without even the schema."""
    admin_url = servers.database_admin_url()
    name = f"pasok_init_{uuid.uuid4().hex[:10]}"
    asyncio.run(_execute(admin_url, f'CREATE DATABASE "{name}"'))
    yield make_url(async_url(admin_url)).set(database=name).render_as_string(hide_password=False)
    asyncio.run(_execute(admin_url, f'DROP DATABASE "{name}" WITH (FORCE)'))


def _env(database_url: str, **more: str) -> dict[str, str]:
    unset = ("PASOK_DATABASE_URL", "PASOK_REDIS_URL", "PASOK_DATA_DIR", "PASOK_WEB__SECRET")
    base = {name: value for name, value in os.environ.items() if name not in unset}
    # The URL as a newcomer writes it, not SQLAlchemy's driver form.
    plain = database_url.replace("postgresql+asyncpg://", "postgresql://")
    return base | {"PASOK_DATABASE_URL": plain, "PASOK_REDIS_URL": servers.redis_url()} | more


def _init(
    database_url: str, data_dir: Path, *arguments: str, **env: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PASOK, "init", "--data-dir", str(data_dir), *arguments],
        env=_env(database_url, **env),
        stdin=subprocess.DEVNULL,  # no terminal: nothing is prompted for
        capture_output=True,
        text=True,
        timeout=120,
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def _api(database_url: str, data_dir: Path, log: Path) -> Iterator[str]:
    """`pasok api` on the data folder, with no PASOK_WEB__SECRET: its base URL once ready."""
    port = _free_port()
    with log.open("ab") as output:
        process = subprocess.Popen(
            [PASOK, "api", "--data-dir", str(data_dir), "--port", str(port)],
            env=_env(database_url),
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + READY_TIMEOUT_S
        while True:
            assert process.poll() is None, f"pasok api exited early:\n{log.read_text()}"
            try:
                if httpx.get(f"{base_url}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, f"pasok api not ready:\n{log.read_text()}"
            time.sleep(0.2)
        yield base_url
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _csrf(page: httpx.Response) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found is not None, page.text
    return found.group(1)


def _sign_in(web: httpx.Client, email: str, password: str) -> httpx.Response:
    token = _csrf(web.get("/login"))
    return web.post("/login", data={"email": email, "password": password, "csrf": token})


def _printed(output: str, pattern: str) -> str:
    found = re.search(pattern, output)
    assert found is not None, output
    return found.group(1)


def test_init_then_the_operator_signs_in_on_a_panel_without_demo(
    empty_database: str, tmp_path: Path
) -> None:
    data_dir, password_file = tmp_path / "data", tmp_path / "password"
    password_file.write_text(PASSWORD + "\n")
    done = _init(
        empty_database,
        data_dir,
        "--email",
        "Boss@Example.com",
        "--password-file",
        str(password_file),
    )
    assert done.returncode == 0, done.stderr
    token = _printed(done.stdout, r"Operator token\s+(op_[0-9a-f]+)")
    assert "POST /admin/v1/accounts" in done.stdout  # how to make more operators
    secret_file = data_dir / "web-secret"
    assert secret_file.stat().st_mode & 0o777 == 0o600

    with _api(empty_database, data_dir, tmp_path / "api.log") as base_url:
        # /admin/v1 takes the token init printed, and sees the one operator: no demo.
        listed = httpx.get(
            f"{base_url}/admin/v1/accounts",
            headers={"Authorization": f"Bearer {token}"},
            timeout=5,
        )
        assert listed.status_code == 200, listed.text
        assert [(a["kind"], a["email"], a["name"]) for a in listed.json()] == [
            ("operator", EMAIL, "Operator")
        ]
        services = httpx.get(
            f"{base_url}/admin/v1/providers",
            headers={"Authorization": f"Bearer {token}"},
            timeout=5,
        )
        assert services.status_code == 200
        assert services.json() == []
        with httpx.Client(base_url=base_url, timeout=5) as web:
            assert _sign_in(web, EMAIL, "not the password").status_code == 401
            signed_in = _sign_in(web, EMAIL, PASSWORD)
            assert signed_in.status_code == 303, signed_in.text
            assert web.get("/ops/review").status_code == 200
            cookie = web.cookies[sessions.COOKIE]
    # The API process signed the session with the folder's secret, the one `init` made and
    # `pasok up` passes to its children.
    signer = sessions.Signer(secret_file.read_text().strip(), 3600)
    assert signer.read(cookie).account_id == listed.json()[0]["id"]

    # Another `pasok api` on the same folder accepts the session the first one made.
    with _api(empty_database, data_dir, tmp_path / "api2.log") as base_url:
        with httpx.Client(base_url=base_url, timeout=5) as web:
            web.cookies.set(sessions.COOKIE, cookie)
            answer = web.get("/ops/review")
            assert answer.status_code == 200
            assert "/login" not in answer.headers.get("location", "")


def test_without_a_password_init_prints_a_one_time_link(
    empty_database: str, tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    done = _init(empty_database, data_dir, "--email", EMAIL, "--url", "http://panel.example")
    assert done.returncode == 0, done.stderr
    path = _printed(done.stdout, r"http://panel\.example(/join/[\w-]+)")
    with _api(empty_database, data_dir, tmp_path / "api.log") as base_url:
        with httpx.Client(base_url=base_url, timeout=5) as web:
            # A GET, as a chat app's link preview makes, only shows the form: the link lives on.
            assert web.get(path).status_code == 200
            form = web.get(path)
            assert form.status_code == 200
            chosen = web.post(path, data={"password": PASSWORD, "csrf": _csrf(form)})
            assert chosen.status_code == 303, chosen.text
            assert web.get("/ops/review").status_code == 200
            # Used once, it opens nothing again.
            assert web.get(path).status_code == 404
        with httpx.Client(base_url=base_url, timeout=5) as web:
            assert _sign_in(web, EMAIL, PASSWORD).status_code == 303


def test_init_refuses_a_database_that_has_accounts_and_changes_nothing(
    empty_database: str, tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    first = _init(empty_database, data_dir, "--email", EMAIL, PASOK_INIT_PASSWORD=PASSWORD)
    assert first.returncode == 0, first.stderr
    counts = "SELECT (SELECT count(*) FROM account), (SELECT count(*) FROM api_key)"
    before = asyncio.run(_execute(empty_database, counts))
    again = _init(empty_database, data_dir, "--email", "other@example.com")
    assert again.returncode == 2
    assert "already holds accounts" in again.stderr
    assert "Traceback" not in again.stderr
    assert asyncio.run(_execute(empty_database, counts)) == before


@pytest.mark.parametrize(
    ("arguments", "said"),
    [
        (("--email", "not-an-address"), "is not an email address"),
        (("--email", EMAIL, "--password-file", "/nonexistent/password"), "--password-file"),
        (("--email", EMAIL, "--name", " "), "--name"),
    ],
)
def test_bad_input_is_refused_before_anything_is_made(
    empty_database: str, tmp_path: Path, arguments: tuple[str, ...], said: str
) -> None:
    refused = _init(empty_database, tmp_path / "data", *arguments)
    assert refused.returncode == 2, refused.stderr
    assert said in refused.stderr
    short = _init(empty_database, tmp_path / "data", "--email", EMAIL, PASOK_INIT_PASSWORD="short")
    assert short.returncode == 2
    assert "at least 10 characters" in short.stderr
    # Not even the schema: nothing was changed.
    tables = "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
    assert asyncio.run(_execute(empty_database, tables)) == [(0,)]
    assert not (tmp_path / "data" / "web-secret").exists()


def test_the_secret_is_the_setting_else_the_folder_file_made_once(tmp_path: Path) -> None:
    in_folder = Settings(data_dir=tmp_path / "data")
    made = web_secret.resolve(in_folder)
    assert len(made) == 64
    assert web_secret.resolve(in_folder) == made
    assert web_secret.path(in_folder).stat().st_mode & 0o777 == 0o600
    configured = Settings(
        data_dir=tmp_path / "data", web=WebSettings(secret=SecretStr("configured"))
    )
    assert web_secret.resolve(configured) == "configured"


async def test_without_a_secret_the_page_names_the_setting(
    app_for: AppFor, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    app = app_for(sessionmaker)
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://a.example") as web:
        answer = await web.get("/login", headers={"accept-language": "id"})
        assert answer.status_code == 503
        assert "PASOK_WEB__SECRET" in answer.text
        assert "Panel belum" in answer.text


def test_compose_gives_every_container_the_same_secret() -> None:
    compose = yaml.safe_load((Path(__file__).parents[1] / "compose.yaml").read_text())
    shared = compose["x-pasok"]["environment"]
    # Required: compose refuses to start without it rather than each container making its own.
    assert shared["PASOK_WEB__SECRET"].startswith("${PASOK_WEB__SECRET:?")
    for name in ("migrate", "api", "worker"):
        environment = compose["services"][name]["environment"]
        assert environment["PASOK_WEB__SECRET"] == shared["PASOK_WEB__SECRET"]
        assert {"PASOK_DATABASE_URL", "PASOK_REDIS_URL"} <= set(environment)


def test_init_on_the_embedded_servers_of_a_data_folder(tmp_path: Path) -> None:
    """No URLs set: init starts the folder's own servers, as `pasok migrate` does, and stops
    them again; what it made is there on the next start."""
    data_dir = tmp_path / "data"
    unset = ("PASOK_DATABASE_URL", "PASOK_REDIS_URL", "PASOK_DATA_DIR", "PASOK_WEB__SECRET")
    env = {name: value for name, value in os.environ.items() if name not in unset}

    def init(email: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [PASOK, "init", "--data-dir", str(data_dir), "--email", email],
            env=env | {"PASOK_INIT_PASSWORD": PASSWORD},
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=180,
        )

    try:
        done = init(EMAIL)
        assert done.returncode == 0, done.stderr
        assert embedded.postgres_pid(data_dir) is None
        assert embedded.redis_pid(data_dir) is None
        again = init("other@example.com")
        assert again.returncode == 2
        assert "already holds accounts" in again.stderr
    finally:
        embedded.stop(data_dir)
