"""Who may sign in to the web panel, and where: the password check with its lock-out, and the
rule of which accounts belong on which brand's hosts. The pages ask; the rules are here.

Failures count per email and per address in Redis (`throttle`); once either reaches the limit,
even the right password is refused until the window has passed, and the attempt is logged as
locked. A wrong password, an account that is not active or one of another brand are all the
same to the visitor; the owner's sign-in history tells them apart.
"""

from dataclasses import dataclass

from redis.asyncio import Redis
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from panel.accounts import passwords, sign_ins
from panel.models import Account, AccountKind, AccountStatus, SignInResult
from panel.plumbing import throttle


def belongs(account: Account, brand_reseller_id: int | None) -> bool:
    """On a reseller's hosts: that reseller and its agencies. On the operator's (no reseller):
    resellers and operators."""
    if brand_reseller_id is None:
        return account.kind in (AccountKind.reseller, AccountKind.operator)
    if account.kind is AccountKind.agency:
        return account.parent_id == brand_reseller_id
    return account.id == brand_reseller_id


def may_sign_in(account: Account | None, brand_reseller_id: int | None) -> bool:
    """Active, and of this brand."""
    return (
        account is not None
        and account.status is AccountStatus.active
        and belongs(account, brand_reseller_id)
    )


@dataclass(frozen=True)
class Visitor:
    """Who is trying: the email typed, and from where."""

    email: str
    address: str
    user_agent: str | None


@dataclass(frozen=True)
class Checked:
    """The account whose password was right, or why none: `locked` (too many failures) or
    `wrong` (anything else)."""

    account: Account | None
    refusal: str | None = None


async def check_password(
    session: AsyncSession,
    redis: Redis,
    visitor: Visitor,
    password: str,
    brand_reseller_id: int | None,
    *,
    attempts: int,
    window_s: int,
) -> Checked:
    """The first step of signing in. A refusal is counted and logged; a right password is not
    logged yet, since a second step may follow (`log` it once signed in)."""
    who = visitor.email.strip().lower()
    account = await session.scalar(select(Account).where(func.lower(Account.email) == who))
    if await locked(redis, visitor, attempts):
        await log(session, account, visitor, SignInResult.locked)
        return Checked(None, "locked")
    refused: SignInResult | None = None
    matched = await passwords.matches(account, password)  # as long for an unknown email
    if account is None or not matched:
        refused = SignInResult.bad_password
    elif not may_sign_in(account, brand_reseller_id):
        refused = SignInResult.refused
    if account is None or refused is not None:
        await count_failure(redis, visitor, window_s)
        await log(session, account, visitor, refused or SignInResult.bad_password)
        return Checked(None, "wrong")
    return Checked(account)


async def locked(redis: Redis, visitor: Visitor, attempts: int) -> bool:
    """Too many failures for this email or from this address, in their windows: every step of
    signing in is refused until they lapse."""
    who = visitor.email.strip().lower()
    counts = [
        await throttle.failures(redis, "login-email", who),
        await throttle.failures(redis, "login-ip", visitor.address),
    ]
    return max(counts) >= attempts


async def count_failure(redis: Redis, visitor: Visitor, window_s: int) -> None:
    await throttle.record_failure(redis, "login-email", visitor.email.strip().lower(), window_s)
    await throttle.record_failure(redis, "login-ip", visitor.address, window_s)


async def log(
    session: AsyncSession, account: Account | None, visitor: Visitor, result: SignInResult
) -> None:
    """The attempt in the account's sign-in history (none for an email no account has)."""
    if account is not None:
        await sign_ins.record(session, account.id, visitor.address, visitor.user_agent, result)
