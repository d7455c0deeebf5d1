"""A live key with the account it opens, and whether it may be used from an address; kept by
the read cache between calls."""

import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address

from panel.models import Account, ApiKey
from panel.plumbing.read_cache import ReadCache, detached

Network = IPv4Network | IPv6Network


@dataclass(frozen=True)
class Holder:
    """A live key and the account it opens."""

    key: ApiKey
    account: Account

    def admits(self, address: str | None) -> bool:
        """Whether the key may be used from `address`: from anywhere when it names no
        addresses; otherwise only from one of them, and never from an address not known."""
        return admits(self.key.allowed_addresses, address)


async def kept(
    reads: ReadCache, key: str, authenticate: Callable[[], Awaitable[Holder | None]]
) -> Holder | None:
    """The key `key` is and the account it opens (None: it opens none), read by
    `authenticate` when not known or too old. The key comes with its allowed addresses, so
    that each request is checked against them without a read."""

    async def read() -> Holder | None:
        found = await authenticate()
        if found is None:
            return None
        return Holder(detached(found.key), detached(found.account))

    # Kept by digest: the plaintext is never kept.
    return await reads.kept("caller", hashlib.sha256(key.encode()).hexdigest(), read)


def admits(allowed: list[Network], address: str | None) -> bool:
    if not allowed:
        return True
    client = _address(address)
    return client is not None and any(client in network for network in allowed)


def _address(text: str | None) -> IPv4Address | IPv6Address | None:
    if not text:
        return None
    try:
        client = ip_address(text)
    except ValueError:
        return None
    # A dual-stack socket reports an IPv4 client as ::ffff:a.b.c.d; the list names a.b.c.d.
    if isinstance(client, IPv6Address) and client.ipv4_mapped is not None:
        return client.ipv4_mapped
    return client
