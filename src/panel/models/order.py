from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from panel.models.base import Base, CreatedAt, Money
from panel.models.currency import ExchangeRateValue


class OrderStatus(StrEnum):
    pending = "pending"  # accepted and paid, not yet sent upstream
    submitting = "submitting"  # marked before the upstream `add`: its outcome may be unknown
    in_progress = "in_progress"
    completed = "completed"
    partial = "partial"
    canceled = "canceled"
    failed = "failed"  # rejected upstream on every route: fully refunded
    needs_review = "needs_review"  # outcome unknown: an operator decides


TERMINAL = frozenset(
    {OrderStatus.completed, OrderStatus.partial, OrderStatus.canceled, OrderStatus.failed}
)
# Written out rather than passed as a parameter: PostgreSQL uses a partial index only where
# the query's own condition implies the index's, and a plan made once for any value of a
# parameter (as pooled connections come to use) cannot know that it does.
REVIEW_SQL = "status = 'needs_review'"
OPEN_SQL = "status IN ({})".format(
    ", ".join(f"'{status.value}'" for status in sorted(frozenset(OrderStatus) - TERMINAL))
)


class Order(CreatedAt, Base):
    """One order of a reseller or an agency, forwarded to an upstream route."""

    __tablename__ = "order"
    __table_args__ = (
        # The safe retry of `add`: one order per account and request id.
        UniqueConstraint("account_id", "request_id"),
        # The poller takes due orders oldest first; only open orders are in this index.
        Index(
            "order_next_poll_at_idx",
            "next_poll_at",
            postgresql_where=text("status = 'in_progress'"),
        ),
        # Runs of an emulated drip-feed, found from their order; and such orders, in progress
        # with no upstream order of their own, found when their runs may have ended.
        Index("order_parent_id_idx", "parent_id", postgresql_where=text("parent_id IS NOT NULL")),
        Index(
            "order_emulated_idx",
            "id",
            postgresql_where=text("status = 'in_progress' AND upstream_id IS NULL"),
        ),
        # A link's open orders, for services that take one open order per link: found
        # without reading the buyer's past orders, however many there are.
        Index("order_open_link_idx", "account_id", "link", postgresql_where=text(OPEN_SQL)),
        # A buyer's orders newest first, a page at a time, however many it has: the listings
        # of /v1, the web panel and API v2 read a page, not the buyer's whole history.
        Index("order_account_id_id_idx", "account_id", "id"),
        Index("order_reseller_id_id_idx", "reseller_id", "id"),
        # The operator's search by the upstream's order id and by any part of the link, and
        # the review queue, on a history of millions (bench/README.md, long history).
        Index("order_upstream_id_idx", "upstream_id"),
        # On lower(link), not the link itself: the search ignores case, and PostgreSQL would
        # take an index on the link for exact-link filters too, where on a long history it is
        # the worst choice (bench/README.md, long history).
        Index("order_link_trgm_idx", text("lower(link) gin_trgm_ops"), postgresql_using="gin"),
        Index("order_review_idx", "id", postgresql_where=text(REVIEW_SQL)),
        Index(
            "order_open_status_idx",
            "status",
            "updated_at",
            postgresql_where=text("status IN ('pending', 'submitting')"),
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"))
    # The reseller at the top of the buyer's chain: every query is scoped to a tree.
    reseller_id: Mapped[int] = mapped_column(ForeignKey("account.id"))
    service_id: Mapped[int] = mapped_column(ForeignKey("service.id"), index=True)
    # Set on the runs of a drip-feed that Pasok emulates for an upstream without one: each run
    # is an order of its own upstream, free to its buyer (the parent order was paid), settled
    # with the parent once every run has ended. Runs are never shown to the buyer.
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("order.id"))
    link: Mapped[str] = mapped_column(Text)
    quantity: Mapped[int] = mapped_column(Integer)
    # Type-specific API v2 parameters (comments, usernames, runs, interval, ...), as given.
    params: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    request_id: Mapped[str | None] = mapped_column(String(64))
    rate: Mapped[Money]
    charge: Mapped[Money]
    status: Mapped[OrderStatus] = mapped_column(
        Enum(OrderStatus, native_enum=False, length=16, validate_strings=True)
    )
    # The route being tried (index into the service's live routes) and where it went.
    route_index: Mapped[int] = mapped_column(Integer, default=0)
    provider_service_id: Mapped[int | None] = mapped_column(ForeignKey("provider_service.id"))
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("provider.id"))
    # The route's cost as the order was sent on it: the provider's rate per 1000 in its
    # currency, the exchange rate used, and the cost per 1000 in the panel's currency.
    # Settlement books from these, not from the route as it is by then.
    cost_rate: Mapped[Decimal | None] = mapped_column(Numeric(20, 6))
    provider_currency: Mapped[str | None] = mapped_column(String(3))
    exchange_rate: Mapped[Decimal | None] = mapped_column(ExchangeRateValue)
    converted_cost_rate: Mapped[Decimal | None] = mapped_column(Numeric(20, 6))
    # True when the route's rate is per item (a package, a prepaid product), not per 1000.
    cost_per_item: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    # The provider's handle for the order: its order id, or for a prepaid purchase our
    # reference with the product and customer number it was bought under.
    upstream_id: Mapped[str | None] = mapped_column(String(128))
    start_count: Mapped[int | None] = mapped_column(Integer)
    remains: Mapped[int | None] = mapped_column(Integer)
    # What a prepaid product delivered: the provider's serial number (the token, for
    # electricity), shown to the buyer.
    serial: Mapped[str | None] = mapped_column(Text)
    submit_attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    next_poll_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    review_reason: Mapped[str | None] = mapped_column(Text)
    cancel_requested_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # When delivery was first seen under way (remains below quantity), or at the latest when
    # it finished: the upstream's start delay, for the quality figures.
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )

    @property
    def undelivered(self) -> int:
        """What buyers are told is still to deliver: what the upstream last reported, else the
        whole quantity. Settlement always records it, so only an open order lacks it, and a
        script computing quantity - remains must not read "nothing known" as "all delivered"."""
        return self.quantity if self.remains is None else self.remains


class OrderCharge(Base):
    """One link of an order's chain: what `account_id` pays for it at its own rate. The buyer's
    row is the order's charge; an agency order also has its reseller's row."""

    __tablename__ = "order_charge"

    order_id: Mapped[int] = mapped_column(ForeignKey("order.id"), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), primary_key=True)
    rate: Mapped[Money]
    amount: Mapped[Money]


class RefillStatus(StrEnum):
    pending = "pending"  # asked, not yet sent upstream
    in_progress = "in_progress"
    completed = "completed"
    rejected = "rejected"


class Refill(CreatedAt, Base):
    """A refill of a finished order, forwarded upstream and tracked by polling."""

    __tablename__ = "refill"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("order.id"), index=True)
    status: Mapped[RefillStatus] = mapped_column(
        Enum(RefillStatus, native_enum=False, length=16, validate_strings=True)
    )
    upstream_id: Mapped[str | None] = mapped_column(String(64))
    next_poll_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )
