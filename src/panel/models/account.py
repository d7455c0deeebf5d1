from datetime import datetime
from enum import StrEnum
from ipaddress import IPv4Network, IPv6Network

from sqlalchemy import CheckConstraint, DateTime, Enum, ForeignKey, String, text
from sqlalchemy.dialects.postgresql import ARRAY, CIDR
from sqlalchemy.orm import Mapped, mapped_column

from panel.models.base import Base, CreatedAt


class AccountKind(StrEnum):
    operator = "operator"
    reseller = "reseller"
    agency = "agency"


# The accounts that order, and open /api/v2 and /v1 with their keys.
BUYERS = frozenset({AccountKind.reseller, AccountKind.agency})


class AccountStatus(StrEnum):
    active = "active"
    suspended = "suspended"


class Account(CreatedAt, Base):
    """Anyone who signs in: an operator, a reseller, or an agency under one reseller."""

    __tablename__ = "account"
    __table_args__ = (
        # An agency always hangs under a reseller; nobody else has a parent.
        CheckConstraint("(kind = 'agency') = (parent_id IS NOT NULL)", name="agency_has_parent"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[AccountKind] = mapped_column(
        Enum(AccountKind, native_enum=False, length=16, validate_strings=True)
    )
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320), unique=True)
    # argon2; only accounts that sign in to the web panel have one.
    password_hash: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[AccountStatus] = mapped_column(
        Enum(AccountStatus, native_enum=False, length=16, validate_strings=True),
        default=AccountStatus.active,
    )
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"), index=True)
    tier_id: Mapped[int | None] = mapped_column(ForeignKey("tier.id"), index=True)
    # Since when the reseller's 90-day spend has been below its tier: demotion waits a grace.
    tier_below_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ApiKeyKind(StrEnum):
    # Reseller and agency keys open /api/v2 and /v1; operator tokens open /admin/v1 only.
    api = "api"
    operator = "operator"


class ApiKey(CreatedAt, Base):
    """A secret that opens an API for its account. Only its SHA-256 is stored."""

    __tablename__ = "api_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    kind: Mapped[ApiKeyKind] = mapped_column(
        Enum(ApiKeyKind, native_enum=False, length=16, validate_strings=True)
    )
    label: Mapped[str] = mapped_column(String(100), default="")
    lookup_prefix: Mapped[str] = mapped_column(String(16), index=True)
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The client address of that use, recorded with the time and as rarely.
    last_used_from: Mapped[str | None] = mapped_column(String(45))
    # Where the key may be used from; empty: anywhere. Many providers' panels limit keys so, and
    # a key copied off a reseller's server is then worth nothing elsewhere.
    allowed_addresses: Mapped[list[IPv4Network | IPv6Network]] = mapped_column(
        ARRAY(CIDR), default=list, server_default=text("'{}'")
    )
