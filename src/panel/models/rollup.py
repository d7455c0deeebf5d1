from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from panel.models.base import Base, Money


class SettledDay(Base):
    """The settlement journals of one UTC day for one buyer, service, provider and provider
    currency, summed once (`ledger.settled_days`): what tiers, levels and margin reports
    would otherwise sum from years of journals and entries on every read.

    Rows cover the journals up to `RollupCheckpoint.journal_id`; readers add the journals
    after it from the ledger itself, so their answer is exact whether or not the fold ran.
    """

    __tablename__ = "settled_day"
    __table_args__ = (
        # One row per key; an order without a provider (or a cost rate) has NULL there, and
        # NULLs must meet as equal for the fold's upsert to find their row.
        Index(
            "settled_day_key_idx",
            "day",
            "reseller_id",
            "account_id",
            "service_id",
            "provider_id",
            "currency",
            unique=True,
            postgresql_nulls_not_distinct=True,
        ),
        # A buyer's days, for its agency points.
        Index("settled_day_account_id_day_idx", "account_id", "day"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    reseller_id: Mapped[int] = mapped_column(ForeignKey("account.id"))
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"))  # the buyer
    service_id: Mapped[int] = mapped_column(ForeignKey("service.id"))
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("provider.id"))
    # The provider's currency of the orders that recorded a cost rate; NULL for the others.
    currency: Mapped[str | None] = mapped_column(String(3))
    journals: Mapped[int] = mapped_column(Integer)  # settlement journals folded
    booked: Mapped[int] = mapped_column(Integer)  # of them, with a revenue, provider or fx leg
    orders: Mapped[int] = mapped_column(Integer)  # of those, the buyers' own (not runs)
    buyer_kept: Mapped[Money]  # what the buyers paid less what settlement refunded them
    reseller_kept: Mapped[Money]  # the same at the reseller's own charge
    cost: Mapped[Money]  # the provider legs
    margin: Mapped[Money]  # the revenue legs
    fx: Mapped[Money]  # the fx legs
    provider_cost: Mapped[Money]  # the providers' rates for what was delivered, in `currency`


class RollupCheckpoint(Base):
    """How far `settled_day` has folded the ledger: every journal up to `journal_id`. One row,
    locked by the fold that moves it, so two folds never interleave."""

    __tablename__ = "rollup_checkpoint"
    __table_args__ = (CheckConstraint("id = 1", name="one_checkpoint"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    journal_id: Mapped[int] = mapped_column(BigInteger)
    folded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
