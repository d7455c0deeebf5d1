"""`pasok up` as a newcomer runs it: no URLs set, embedded servers, a demo, Ctrl-C, and a
restart that keeps the data."""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from panel.plumbing import embedded

pytestmark = pytest.mark.slow

READY_TIMEOUT_S = 30.0
EXIT_TIMEOUT_S = 30.0


def _free_port() -> int:
    """A port free for the API with the next one free for the sandbox `pasok up` starts
    there. Ports come out of the kernel in sequence, so the one after a free port is often
    taken, by the tests' own sandbox server for one."""
    while True:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port: int = probe.getsockname()[1]
        with socket.socket() as next_one:
            try:
                next_one.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
        return port


def _pasok() -> list[str]:
    script = Path(sys.executable).with_name("pasok")
    return [str(script)] if script.exists() else [sys.executable, "-m", "workers.command"]


@contextmanager
def _up(data_dir: Path, port: int, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in ("PASOK_DATABASE_URL", "PASOK_REDIS_URL", "PASOK_DATA_DIR")
    }
    with log.open("ab") as output:
        process = subprocess.Popen(
            [*_pasok(), "up", "--data-dir", str(data_dir), "--port", str(port)],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            # Its own process group, so that whatever it started can be killed if the test fails.
            start_new_session=True,
        )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(EXIT_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        embedded.stop(data_dir)


def _wait_ready(base_url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        assert process.poll() is None, f"pasok up exited early:\n{log.read_text()}"
        try:
            if httpx.get(f"{base_url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    pytest.fail(f"/readyz did not answer 200 within {READY_TIMEOUT_S:.0f}s:\n{log.read_text()}")


def _accounts(base_url: str, operator_token: str) -> list[dict[str, Any]]:
    response = httpx.get(
        f"{base_url}/admin/v1/accounts",
        headers={"Authorization": f"Bearer {operator_token}"},
        timeout=5,
    )
    assert response.status_code == 200, response.text
    accounts: list[dict[str, Any]] = response.json()
    return accounts


def _summary(accounts: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [(a["id"], a["kind"], a["name"], a.get("balance")) for a in accounts]


def _stop(process: subprocess.Popen[bytes], data_dir: Path, log: Path) -> None:
    process.send_signal(signal.SIGINT)
    assert process.wait(EXIT_TIMEOUT_S) == 0, log.read_text()
    assert embedded.postgres_pid(data_dir) is None
    assert embedded.redis_pid(data_dir) is None


def _agency_signs_in_on_the_demo_brand(port: int, agency: dict[str, str]) -> None:
    with httpx.Client(base_url=f"http://localhost:{port}", timeout=5) as web:
        form = web.get("/login")
        assert "<strong>Demo Sosmed</strong>" in form.text
        token = re.search(r'name="csrf" value="([^"]+)"', form.text)
        assert token is not None
        credentials = {"email": agency["email"], "password": agency["password"]}
        signed_in = web.post("/login", data=credentials | {"csrf": token.group(1)})
        assert signed_in.status_code == 303
        assert 'id="balance">US$20,00<' in web.get("/").text  # Indonesian style


def test_up_serves_a_demo_whose_order_completes_by_itself_and_keeps_it_across_restarts(
    tmp_path: Path,
) -> None:
    """api, worker and sandbox together: an order placed with the demo key over API v2 goes
    Pending, In progress, then Completed or Partial with nobody touching it; after a restart
    the data is all there and the demo is not seeded again. One test, so the embedded servers
    start twice rather than three times."""
    data_dir, log = tmp_path / "data", tmp_path / "up.log"
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"

    with _up(data_dir, port, log) as process:
        _wait_ready(base_url, process, log)
        demo = json.loads((data_dir / "demo.json").read_text())
        assert demo["base_url"] == base_url
        assert demo["reseller"]["api_key"]
        assert httpx.get(f"{base_url}/admin/v1/accounts", timeout=5).status_code == 401
        _agency_signs_in_on_the_demo_brand(port, demo["agency"])
        try:
            _demo_order_completes(base_url, data_dir)
        except (AssertionError, httpx.HTTPError) as failure:
            exited = process.poll()
            pytest.fail(f"{failure!r}; pasok up exit code {exited}\n{log.read_text()[-4000:]}")
        accounts = _accounts(base_url, demo["operator_token"])
        assert demo["reseller"]["id"] in [account["id"] for account in accounts]
        _stop(process, data_dir, log)

    with _up(data_dir, port, log) as process:
        _wait_ready(base_url, process, log)
        assert json.loads((data_dir / "demo.json").read_text()) == demo
        # Same accounts and balances: the data survived and the demo was not seeded again.
        assert _summary(_accounts(base_url, demo["operator_token"])) == _summary(accounts)
        _stop(process, data_dir, log)


def _demo_order_completes(base_url: str, data_dir: Path) -> None:
    """Place the smallest order of the first demo service; wait for it to finish."""
    key = json.loads((data_dir / "demo.json").read_text())["reseller"]["api_key"]
    api = f"{base_url}/api/v2"
    services = httpx.post(api, data={"key": key, "action": "services"}, timeout=10).json()
    service = services[0]
    placed = httpx.post(
        api,
        data={
            "key": key,
            "action": "add",
            "service": str(service["service"]),
            "link": "https://instagram.com/pasok.demo",
            "quantity": service["min"],
        },
        timeout=10,
    ).json()
    assert "order" in placed, placed
    seen = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        status = httpx.post(
            api, data={"key": key, "action": "status", "order": placed["order"]}, timeout=10
        ).json()["status"]
        if not seen or seen[-1] != status:
            seen.append(status)
        if status in ("Completed", "Partial"):
            break
        time.sleep(0.5)
    assert seen[-1] in ("Completed", "Partial"), seen
    assert seen[0] in ("Pending", "Processing", "In progress")
