from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, DateTime, Enum, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from panel.models.base import Base, CreatedAt


class TwoFactor(CreatedAt, Base):
    """An account's TOTP secret: pending until a code confirms it, then asked at every web
    sign-in. A table of its own rather than columns of `account`: API processes keep accounts
    and forget them on every change to that table, and each sign-in writes the step used."""

    __tablename__ = "two_factor"

    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), primary_key=True)
    # Encrypted with the web secret (panel.accounts.totp): a database dump alone gives no codes.
    secret: Mapped[str] = mapped_column(String(200))
    enabled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The last time step a code was accepted for: the same code is not taken twice.
    last_step: Mapped[int | None] = mapped_column(BigInteger)


class RecoveryCode(CreatedAt, Base):
    """A one-time code that stands in for a TOTP code. Only its SHA-256 is stored."""

    __tablename__ = "recovery_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class SignInResult(StrEnum):
    ok = "ok"
    recovery_code = "recovery_code"  # signed in with a recovery code instead of a TOTP code
    bad_password = "bad_password"
    bad_code = "bad_code"
    locked = "locked"  # too many failures: refused without looking at the password
    refused = "refused"  # right password, but the account is suspended or not of this brand


class SignIn(Base):
    """One web sign-in attempt naming an existing account, shown to that account."""

    __tablename__ = "sign_in"
    # An account's attempts, newest first, a page at a time.
    __table_args__ = (
        Index("sign_in_account_id_id_idx", "account_id", "id"),
        Index("sign_in_at_idx", "at"),  # the purge
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    address: Mapped[str] = mapped_column(String(45))
    user_agent: Mapped[str] = mapped_column(String(300))
    result: Mapped[SignInResult] = mapped_column(
        Enum(SignInResult, native_enum=False, length=16, validate_strings=True)
    )
