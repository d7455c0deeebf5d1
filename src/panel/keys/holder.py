"""A live key with the account it opens, and whether it may be used from an address. Apart
from the service so that the read cache can keep holders without importing the service."""

from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address

from panel.models import Account, ApiKey

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
