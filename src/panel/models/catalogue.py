from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from panel.models.base import Base, CreatedAt, Money
from panel.models.currency import ExchangeRateValue


class Provider(CreatedAt, Base):
    """An upstream panel Pasok buys from. `api_key` is a secret: never logged or returned."""

    __tablename__ = "provider"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    api_url: Mapped[str] = mapped_column(String(500))
    api_key: Mapped[str] = mapped_column(String(500))
    adapter: Mapped[str] = mapped_column(String(32), default="smm_v2")
    # For `adapter = "dialect"`: the document describing the provider's own API (TOML), as
    # the operator saved it; checked whenever it is loaded.
    dialect: Mapped[str | None] = mapped_column(Text)
    # Further credentials some APIs ask for beside the key: a user or API id (not a secret)
    # and a second secret (a `secret_key`, a callback secret); never logged or returned.
    api_id: Mapped[str | None] = mapped_column(String(200))
    api_secret: Mapped[str | None] = mapped_column(String(500))
    # ISO 4217: what the provider's rates and balance are in, set by the operator.
    currency: Mapped[str] = mapped_column(String(3))
    # Set when the provider last reported another currency than `currency`: its numbers are
    # then not used until an operator looks.
    reported_currency: Mapped[str | None] = mapped_column(String(3))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # What the provider last said Pasok has with it; routing skips a provider with nothing
    # left, and below `low_balance` an alert is raised.
    balance: Mapped[Decimal | None] = mapped_column(Numeric(20, 6))
    balance_checked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    low_balance: Mapped[Money] = mapped_column(default=Decimal(0), server_default="0")


class ProviderService(CreatedAt, Base):
    """One service as an upstream sells it; `rate` is Pasok's cost per 1000 in the provider's
    currency, `cost` the same in the panel's currency at `exchange_rate` (None while the
    provider's currency has no rate: such a route takes no orders)."""

    __tablename__ = "provider_service"
    __table_args__ = (UniqueConstraint("provider_id", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("provider.id"), index=True)
    external_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(500))
    type: Mapped[str] = mapped_column(String(64), default="Default")
    category: Mapped[str] = mapped_column(String(200), default="")
    rate: Mapped[Money]
    cost: Mapped[Decimal | None] = mapped_column(Numeric(20, 6))
    exchange_rate: Mapped[Decimal | None] = mapped_column(ExchangeRateValue)
    min_quantity: Mapped[int] = mapped_column(Integer, default=1)
    max_quantity: Mapped[int] = mapped_column(Integer, default=1)
    refill: Mapped[bool] = mapped_column(Boolean, default=False)
    cancel: Mapped[bool] = mapped_column(Boolean, default=False)
    dripfeed: Mapped[bool] = mapped_column(Boolean, default=False)
    description: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    synced_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ProviderServiceCost(CreatedAt, Base):
    """A provider service's rate from the time it was seen: the cost history."""

    __tablename__ = "provider_service_cost"
    __table_args__ = (Index("provider_service_cost_created_at_idx", "created_at"),)  # the purge

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    provider_service_id: Mapped[int] = mapped_column(ForeignKey("provider_service.id"), index=True)
    rate: Mapped[Money]


class Service(CreatedAt, Base):
    """What Pasok sells; its integer id is the `service` of API v2."""

    __tablename__ = "service"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(500))
    type: Mapped[str] = mapped_column(String(64), default="Default")
    category: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    min_quantity: Mapped[int] = mapped_column(Integer, default=1)
    max_quantity: Mapped[int] = mapped_column(Integer, default=1)
    refill: Mapped[bool] = mapped_column(Boolean, default=False)
    cancel: Mapped[bool] = mapped_column(Boolean, default=False)
    dripfeed: Mapped[bool] = mapped_column(Boolean, default=False)
    # Some upstreams refuse a second order on a link while one runs; Pasok refuses it first.
    one_order_per_link: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)


class Route(Base):
    """One upstream that can fulfil a service; the lowest `position` is tried first."""

    __tablename__ = "route"
    __table_args__ = (
        UniqueConstraint("service_id", "position"),
        UniqueConstraint("service_id", "provider_service_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("service.id"), index=True)
    provider_service_id: Mapped[int] = mapped_column(ForeignKey("provider_service.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
