"""A webhook goes only to an address that was checked, however the receiver's DNS answers.

The network is faked at its two edges with the operating system: name lookups
(`socket.getaddrinfo`, which both the check and any connection go through) and TCP
connections to public addresses (`anyio.connect_tcp`, under httpx), which fail as if nothing
answered, so that no test sends anything off this machine. Loopback connections are real.
"""

import ipaddress
import shutil
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import anyio
import pytest
from sqlalchemy import select

from panel.config import HttpSettings, Settings, WebhookSettings
from panel.models import WebhookAttempt
from panel.plumbing.runtime import Runtime
from panel.webhooks import network, sender
from panel.webhooks import service as webhooks
from panel.webhooks.service import Due
from tests.fixtures.factories import World
from tests.webhooks.receiver import Receiver
from workers import webhook_jobs

PUBLIC = "93.184.216.34"  # a public address; connections to it fail here, see Network


@dataclass
class Network:
    """Answers for names, one list per lookup (the last repeats), and every TCP connection
    the code asked for."""

    answers: dict[str, list[list[str]]] = field(default_factory=dict)
    lookups: list[str] = field(default_factory=list)
    connections: list[str] = field(default_factory=list)


@pytest.fixture
def net(monkeypatch: pytest.MonkeyPatch) -> Network:
    fake = Network()
    real_getaddrinfo = socket.getaddrinfo
    real_connect_tcp = anyio.connect_tcp

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else host
        if name not in fake.answers:
            return real_getaddrinfo(host, port, *args, **kwargs)
        fake.lookups.append(name)
        sequence = fake.answers[name]
        answer = sequence.pop(0) if len(sequence) > 1 else sequence[0]
        return [
            (
                socket.AF_INET6 if ":" in address else socket.AF_INET,
                socket.SOCK_STREAM,
                socket.IPPROTO_TCP,
                "",
                (address, int(port or 0)),
            )
            for address in answer
        ]

    async def connect_tcp(remote_host: Any, remote_port: int, **kwargs: Any) -> Any:
        fake.connections.append(str(remote_host))
        try:
            public = ipaddress.ip_address(str(remote_host)).is_global
        except ValueError:
            public = False  # a name: resolved by anyio itself, through getaddrinfo above
        if public:
            raise OSError(f"[fake] no route to {remote_host}")
        return await real_connect_tcp(remote_host, remote_port, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(anyio, "connect_tcp", connect_tcp)
    return fake


@pytest.fixture
def pipeline_settings(pipeline_settings: Settings) -> Settings:
    # Private receivers refused, as in production; a failed delivery is due again at once.
    hooks = WebhookSettings(timeout_s=2, first_retry_s=0.001, max_retry_s=0.001)
    return pipeline_settings.model_copy(update={"webhooks": hooks})


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    receiver = Receiver(port)
    receiver.up()
    yield receiver
    receiver.down()


async def _ping(runtime: Runtime, world: World, url: str) -> WebhookAttempt:
    """Register `url`, send it a ping, and return the one attempt logged."""
    async with runtime.transaction() as session:
        # Registered unchecked, as where the operator allows private receivers: what is tested
        # is the check made when the delivery connects.
        anywhere = WebhookSettings(allow_private_hosts=True)
        endpoint = await webhooks.create_endpoint(session, world.agency, url, None, anywhere)
        await webhooks.ping(session, world.agency, endpoint.id, datetime.now(UTC))
    await webhook_jobs.send_webhooks(runtime)
    async with runtime.transaction() as session:
        [attempt] = list(await session.scalars(select(WebhookAttempt)))
    return attempt


async def test_a_rebinding_dns_cannot_steer_a_delivery_to_loopback(
    runtime: Runtime, world: World, receiver: Receiver, net: Network
) -> None:
    """Public when checked, loopback a moment later: the delivery goes to the address that
    was checked, or nowhere; never to the loopback receiver."""
    net.answers["rebind.example"] = [[PUBLIC], ["127.0.0.1"]]
    attempt = await _ping(runtime, world, f"http://rebind.example:{receiver.port}/hooks")
    assert receiver.received == []
    assert net.lookups == ["rebind.example"]  # resolved once, for the check and the connection
    assert net.connections == [PUBLIC]
    assert attempt.status_code is None
    assert attempt.error is not None
    assert "private" not in attempt.error


async def test_a_name_with_any_private_address_is_refused(
    runtime: Runtime, world: World, receiver: Receiver, net: Network
) -> None:
    net.answers["mixed.example"] = [[PUBLIC, "::ffff:127.0.0.1", "10.1.2.3"]]
    attempt = await _ping(runtime, world, f"http://mixed.example:{receiver.port}/hooks")
    assert receiver.received == []
    assert net.connections == []  # not even the public address
    mapped = ipaddress.ip_address("::ffff:127.0.0.1")  # written as this Python writes it
    assert attempt.error == f"the receiver's address {mapped}, 10.1.2.3 is private; not sent"


async def test_allowed_private_receivers_get_the_name_they_were_registered_under(
    runtime: Runtime, world: World, receiver: Receiver, net: Network
) -> None:
    runtime.settings.webhooks.allow_private_hosts = True
    net.answers["hooks.internal"] = [["127.0.0.1"]]
    attempt = await _ping(runtime, world, f"http://hooks.internal:{receiver.port}/hooks")
    assert attempt.status_code == 200
    [hit] = receiver.received
    assert hit.headers["Host"] == f"hooks.internal:{receiver.port}"
    assert net.connections == ["127.0.0.1"]


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.0.0.1",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",  # cloud metadata
        "100.64.0.1",  # shared address space (CGNAT)
        "0.0.0.0",
        "224.0.0.1",  # multicast, which `is_global` lets through
        "240.0.0.1",
        "255.255.255.255",
        "::1",
        "::",
        "::ffff:10.0.0.1",
        "fe80::1",
        "fc00::1",
        "ff02::1",
        "2001:db8::1",
    ],
)
def test_addresses_inside_private_networks_are_refused(address: str) -> None:
    assert network.refused(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", [PUBLIC, "1.1.1.1", "2606:4700:4700::1111"])
def test_public_addresses_are_not_refused(address: str) -> None:
    assert not network.refused(ipaddress.ip_address(address))


# --- https: the server name and the certificate stay the receiver's host name --------------


def _openssl(*args: str | Path) -> None:
    subprocess.run(["openssl", *map(str, args)], check=True, capture_output=True)


@pytest.fixture(scope="module")
def authority(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A certificate authority and, signed by it, a certificate for `hooks.example` only."""
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command makes the test certificates")
    folder = tmp_path_factory.mktemp("tls")
    ca, hooks = folder / "ca", folder / "hooks"
    new_key = ["-newkey", "rsa:2048", "-nodes"]
    _openssl("req", "-x509", *new_key, "-days", "2", "-subj", "/CN=Pasok test CA",
             "-keyout", f"{ca}.key", "-out", f"{ca}.pem")  # fmt: skip
    _openssl("req", *new_key, "-subj", "/CN=hooks.example",
             "-keyout", f"{hooks}.key", "-out", f"{hooks}.csr")  # fmt: skip
    (folder / "san.cnf").write_text("subjectAltName=DNS:hooks.example\n")
    _openssl("x509", "-req", "-in", f"{hooks}.csr", "-CA", f"{ca}.pem", "-CAkey", f"{ca}.key",
             "-CAcreateserial", "-days", "2", "-extfile", folder / "san.cnf",
             "-out", f"{hooks}.pem")  # fmt: skip
    return folder


@dataclass
class TlsReceiver:
    port: int
    server_names: list[str | None]
    hosts: list[str]


@pytest.fixture
def tls_receiver(authority: Path) -> Iterator[TlsReceiver]:
    """An https receiver on loopback that answers with the `hooks.example` certificate and
    records the server name (SNI) and Host header of every request."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(authority / "hooks.pem", authority / "hooks.key")
    names: list[str | None] = []
    context.sni_callback = lambda _socket, name, _context: names.append(name)
    hosts: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (the standard library's name)
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            hosts.append(self.headers["Host"])
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    # The handshake in the request's own thread, so a failed one does not hold up the server.
    server.socket = context.wrap_socket(
        server.socket, server_side=True, do_handshake_on_connect=False
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield TlsReceiver(server.server_address[1], names, hosts)
    server.shutdown()
    server.server_close()


async def _send_tls(authority: Path, url: str) -> webhooks.Result:
    hooks = WebhookSettings(allow_private_hosts=True, timeout_s=5)
    trust = ssl.create_default_context(cafile=str(authority / "ca.pem"))
    async with network.build_client(HttpSettings(), hooks, verify=trust) as http:
        return await sender.send(http, Due(1, url, "whsec_test", "{}"), hooks)


async def test_https_checks_the_certificate_against_the_host_name(
    authority: Path, tls_receiver: TlsReceiver, net: Network
) -> None:
    net.answers["hooks.example"] = [["127.0.0.1"]]
    result = await _send_tls(authority, f"https://hooks.example:{tls_receiver.port}/hooks")
    assert result.status_code == 204, result.error
    assert net.connections == ["127.0.0.1"]
    assert tls_receiver.server_names == ["hooks.example"]
    assert tls_receiver.hosts == [f"hooks.example:{tls_receiver.port}"]


async def test_https_to_a_name_the_certificate_is_not_for_fails(
    authority: Path, tls_receiver: TlsReceiver, net: Network
) -> None:
    """Same address, same certificate, another name: connecting by address must not make
    the certificate check pass for whatever name the URL has."""
    net.answers["other.example"] = [["127.0.0.1"]]
    result = await _send_tls(authority, f"https://other.example:{tls_receiver.port}/hooks")
    assert result.status_code is None
    assert result.error is not None
    assert "CERTIFICATE_VERIFY_FAILED" in result.error
    assert tls_receiver.hosts == []
