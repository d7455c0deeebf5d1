"""Web panel passwords: argon2, the hash alone stored."""

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.ext.asyncio import AsyncSession

from panel.errors import Invalid
from panel.models import Account

_hasher = PasswordHasher()
MIN_LENGTH = 10


async def set_password(session: AsyncSession, account: Account, password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise Invalid(f"a password needs at least {MIN_LENGTH} characters")
    account.password_hash = _hasher.hash(password)
    await session.flush()


def matches(account: Account, password: str) -> bool:
    if account.password_hash is None:
        return False
    try:
        return _hasher.verify(account.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
