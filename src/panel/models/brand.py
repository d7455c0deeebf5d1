from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from panel.models.base import Base, CreatedAt


class Brand(CreatedAt, Base):
    """How a reseller's panel looks to its agencies: name, logo, colours, support link."""

    __tablename__ = "brand"

    id: Mapped[int] = mapped_column(primary_key=True)
    reseller_id: Mapped[int] = mapped_column(ForeignKey("account.id"), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    logo_url: Mapped[str | None] = mapped_column(String(2048))
    primary_color: Mapped[str] = mapped_column(String(7), default="#1f6feb")
    accent_color: Mapped[str] = mapped_column(String(7), default="#0e1116")
    whatsapp_url: Mapped[str | None] = mapped_column(String(2048))
    payment_instructions: Mapped[str] = mapped_column(Text, default="")


class BrandHost(Base):
    """A host name a brand answers on; the Host header picks the brand."""

    __tablename__ = "brand_host"

    host: Mapped[str] = mapped_column(String(253), primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brand.id"), index=True)
