"""The HTTP client webhooks are sent with: it connects only to addresses it has checked.

A receiver's host is resolved once per connection, every address it resolves to is checked,
and the connection goes to one of those same addresses. Checking a name and then letting the
client resolve it again would let a DNS server that answers differently the second time (DNS
rebinding) steer the delivery into the panel's own network after the check passed.

The check sits in the network backend, below the HTTP layer, so the URL is left as it is: the
Host header, TLS's server name (SNI) and the certificate check all stay on the receiver's
host name, and pooled connections stay keyed by that name.
"""

import ipaddress
import socket
import ssl
import typing

import anyio
import httpcore
import httpx

from panel.config import HttpSettings, WebhookSettings
from panel.plumbing import trust_store
from panel.plumbing.runtime import Runtime

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class PrivateAddress(httpcore.ConnectError):
    """The receiver's host is or resolves to an address inside a private network.

    A `ConnectError`, so httpx reports it like any other failed connection; `sender` tells it
    apart by the cause of the error httpx raises."""


def refused(address: Address) -> bool:
    """Whether an address is one a webhook must never be sent to: loopback, private,
    link-local, multicast, reserved, unspecified, shared (CGNAT) or documentation ranges."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
    # `is_global` alone lets multicast through (224.0.0.0/4 is not "private").
    return not address.is_global or address.is_multicast or address.is_reserved


class CheckedBackend(httpcore.AsyncNetworkBackend):
    """Resolves a host once, refuses it if ANY of its addresses is private, and connects to
    one of the addresses it checked.

    Any, not just the one used: a name that answers both a public and a private address is
    either misconfigured or an attack (rebinding servers answer both), and an honest
    receiver loses nothing by being refused.
    """

    def __init__(self, settings: WebhookSettings) -> None:
        # Read at each connection, not copied: the setting can change while the process runs.
        self._settings = settings
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        failure: httpcore.ConnectError | None = None
        try:
            # One deadline for the lookup and every connection attempt, as for the default
            # backend, whose timeout also covers its own lookup.
            with anyio.fail_after(timeout):
                addresses = await _resolve(host, port)
                if not self._settings.allow_private_hosts:
                    private = [str(a) for a in addresses if refused(a)]
                    if private:
                        raise PrivateAddress(
                            f"the receiver's address {', '.join(private)} is private; not sent"
                        )
                for address in addresses:
                    try:
                        return await self._inner.connect_tcp(
                            str(address),
                            port,
                            local_address=local_address,
                            socket_options=socket_options,
                        )
                    except httpcore.ConnectError as error:
                        failure = error  # the next checked address may answer
        except TimeoutError as error:
            raise httpcore.ConnectTimeout(f"timed out connecting to {host}") from error
        assert failure is not None  # _resolve returns at least one address
        raise failure

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("webhooks are sent over TCP only")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


async def private_addresses(host: str) -> list[str]:
    """The private addresses `host` is or resolves to now; none for a name that does not
    resolve (yet): it is checked again at every delivery."""
    try:
        addresses = await _resolve(host, 443)
    except httpcore.ConnectError:
        return []
    return [str(address) for address in addresses if refused(address)]


async def _resolve(host: str, port: int) -> list[Address]:
    """Every address `host` resolves to, once, in the resolver's order of preference."""
    try:
        infos = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as error:  # includes socket.gaierror: no such name
        raise httpcore.ConnectError(f"{host} does not resolve: {error}") from error
    addresses = dict.fromkeys(ipaddress.ip_address(info[4][0]) for info in infos)
    if not addresses:
        raise httpcore.ConnectError(f"{host} does not resolve")
    return list(addresses)


class _CheckedTransport(httpx.AsyncHTTPTransport):
    def __init__(self, settings: WebhookSettings, limits: httpx.Limits, verify: ssl.SSLContext):
        super().__init__(verify=verify, limits=limits, trust_env=False)
        # httpx's transport takes no network backend of its own; the pool it would build is
        # built again, with the same options, over the checking one. The rest of the transport
        # (requests, responses, errors) stays httpx's.
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=verify,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=CheckedBackend(settings),
        )


def build_client(
    http: HttpSettings, webhooks: WebhookSettings, verify: ssl.SSLContext | None = None
) -> httpx.AsyncClient:
    """The one client a process sends webhooks with: built at start-up, closed at shutdown.

    `verify` is the trust store for receivers' certificates; the system's by default."""
    limits = httpx.Limits(max_connections=http.max_connections)
    return httpx.AsyncClient(
        transport=_CheckedTransport(webhooks, limits, verify or trust_store.system()),
        timeout=httpx.Timeout(webhooks.timeout_s),
        # A redirect would be a second, unchecked destination: the receiver's answer is its
        # status, redirect or not.
        follow_redirects=False,
        # No proxy from the environment: a proxy resolves the host itself, past the check.
        trust_env=False,
    )


def client_of(runtime: Runtime) -> httpx.AsyncClient:
    """The process's client for buyers' receivers: its own, which connects only to checked
    addresses."""
    return runtime.part(_built)


def _built(runtime: Runtime) -> httpx.AsyncClient:
    return build_client(runtime.settings.http, runtime.settings.webhooks)
