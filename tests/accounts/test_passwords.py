"""Passwords at the panel's own argon2 cost: hashed and checked without stopping the process's
other requests meanwhile."""

import asyncio
import time
from collections.abc import Awaitable

import pytest
from argon2 import PasswordHasher
from sqlalchemy.ext.asyncio import AsyncSession

from panel.accounts import passwords
from panel.accounts import service as accounts
from panel.models import Account, AccountKind

PASSWORD = "a long enough password"


@pytest.fixture
def real_cost(monkeypatch: pytest.MonkeyPatch) -> PasswordHasher:
    hasher = PasswordHasher()
    monkeypatch.setattr(passwords, "HASHER", hasher)
    return hasher


@pytest.fixture
async def account(session: AsyncSession) -> Account:
    return await accounts.create(session, kind=AccountKind.reseller, name="R")


async def _ticks_during(work: Awaitable[object]) -> tuple[object, int, float]:
    """What `work` gave, how often a 1 ms sleep came round while it ran, and for how long it
    ran. Work held on the event loop lets no tick through until it is done."""
    task = asyncio.ensure_future(work)
    started, ticks = time.monotonic(), 0
    while not task.done():
        await asyncio.sleep(0.001)
        ticks += 1
    return await task, ticks, time.monotonic() - started


async def test_a_password_is_hashed_while_other_requests_go_on(
    real_cost: PasswordHasher, session: AsyncSession, account: Account
) -> None:
    _, ticks, took = await _ticks_during(passwords.set_password(session, account, PASSWORD))
    assert account.password_hash is not None
    assert account.password_hash.startswith("$argon2id$")
    assert real_cost.verify(account.password_hash, PASSWORD)
    assert took > 0.02, "argon2 at the panel's cost takes far longer than this"
    assert ticks >= 5, (ticks, took)


async def test_a_password_is_checked_while_other_requests_go_on(
    real_cost: PasswordHasher, account: Account
) -> None:
    account.password_hash = real_cost.hash(PASSWORD)
    matched, ticks, took = await _ticks_during(passwords.matches(account, PASSWORD))
    assert matched is True
    assert took > 0.02, "argon2 at the panel's cost takes far longer than this"
    assert ticks >= 5, (ticks, took)


async def test_only_the_right_password_matches(session: AsyncSession, account: Account) -> None:
    assert await passwords.matches(account, PASSWORD) is False  # none set yet
    await passwords.set_password(session, account, PASSWORD)
    assert await passwords.matches(account, PASSWORD) is True
    assert await passwords.matches(account, PASSWORD + "!") is False
    account.password_hash = "not a hash"
    assert await passwords.matches(account, PASSWORD) is False


async def _fastest(check: Awaitable[bool], *more: Awaitable[bool]) -> float:
    took = []
    for one in (check, *more):
        started = time.monotonic()
        assert await one is False
        took.append(time.monotonic() - started)
    return min(took)


async def test_an_unknown_email_takes_as_long_as_a_wrong_password(
    real_cost: PasswordHasher, account: Account
) -> None:
    """Otherwise the time of a refused sign-in tells which emails have accounts."""
    account.password_hash = real_cost.hash(PASSWORD)
    wrong = await _fastest(*(passwords.matches(account, "not it at all") for _ in range(3)))
    unknown = await _fastest(*(passwords.matches(None, "not it at all") for _ in range(3)))
    without = Account(kind=AccountKind.agency, name="API only")
    no_password = await _fastest(*(passwords.matches(without, "not it at all") for _ in range(3)))
    assert wrong > 0.02, "argon2 at the panel's cost takes far longer than this"
    assert unknown > wrong / 2, (unknown, wrong)
    assert no_password > wrong / 2, (no_password, wrong)
