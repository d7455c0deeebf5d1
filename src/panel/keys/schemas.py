from datetime import datetime
from typing import Annotated, Any

from pydantic import BeforeValidator, Field

from panel.keys.service import MAX_ADDRESSES
from panel.models import ApiKeyKind
from panel.plumbing.schemas import Out, Schema

# "203.0.113.7", "203.0.113.0/24", "2001:db8::/32"
Address = Annotated[str, Field(min_length=1, max_length=64)]
Addresses = Annotated[
    list[Address],
    Field(
        max_length=MAX_ADDRESSES,
        description="Client addresses or CIDR blocks the key may be used from; empty: anywhere.",
    ),
]


def _texts(networks: Any) -> Any:
    return [str(network) for network in networks] if isinstance(networks, list) else networks


class KeyCreate(Schema):
    label: str = Field(default="", max_length=100)
    allowed_addresses: Addresses = []


class KeyAddresses(Schema):
    allowed_addresses: Addresses


class KeyOut(Out):
    id: int
    account_id: int
    kind: ApiKeyKind
    label: str
    lookup_prefix: str
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None
    last_used_from: str | None = Field(description="The client address of the last use recorded.")
    allowed_addresses: Annotated[list[str], BeforeValidator(_texts)]


class IssuedKeyOut(KeyOut):
    key: str = Field(description="The key itself. Shown this once; Pasok keeps only its hash.")
