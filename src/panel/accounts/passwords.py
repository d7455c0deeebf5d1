"""Web panel passwords: argon2, the hash alone stored. argon2 is slow on purpose, about a tenth
of a second of several cores: hashed and checked in a thread, so that a sign-in does not stop
every other request of its process meanwhile."""

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.ext.asyncio import AsyncSession

from panel.errors import Invalid
from panel.models import Account

HASHER = PasswordHasher()
MIN_LENGTH = 10


async def set_password(session: AsyncSession, account: Account, password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise Invalid(f"a password needs at least {MIN_LENGTH} characters")
    account.password_hash = await asyncio.to_thread(HASHER.hash, password)
    await session.flush()


async def matches(account: Account | None, password: str) -> bool:
    """Whether `password` is the account's. No account, or one without a password, costs a
    hash all the same: how long a sign-in takes must not tell which emails have accounts."""
    if account is None or account.password_hash is None:
        await asyncio.to_thread(HASHER.hash, password)
        return False
    try:
        return await asyncio.to_thread(HASHER.verify, account.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
