from decimal import Decimal

from sqlalchemy import BigInteger, ForeignKey, Index, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from panel.models.base import Base, CreatedAt

# An exchange rate's scale: enough for a rupiah in dollars (0.000061) and a dollar in rupiah
# (16250) alike, both exact.
ExchangeRateValue = Numeric(20, 10)


class ExchangeRate(CreatedAt, Base):
    """What one unit of `currency` is worth in the panel's currency, from `created_at` on.
    Rows are never changed: the newest per currency is the rate in force, the rest its
    history."""

    __tablename__ = "exchange_rate"
    __table_args__ = (Index("exchange_rate_currency_created_at_idx", "currency", "created_at"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    currency: Mapped[str] = mapped_column(String(3))
    rate: Mapped[Decimal] = mapped_column(ExchangeRateValue)
    # "manual" (an operator through /admin/v1) or "source" (the automatic rate source).
    source: Mapped[str] = mapped_column(String(16))
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
