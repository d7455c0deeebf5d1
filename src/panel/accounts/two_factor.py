"""Two-factor sign-in: a TOTP secret confirmed with a code before it is asked for, and ten
recovery codes for a lost phone, shown once, stored as SHA-256, each good once.

Every function takes the web secret, which the TOTP secret is encrypted with
(panel.accounts.totp). Checking a code locks the account's row, so that two sign-ins racing
with the same code cannot both be let in.
"""

import hashlib
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from panel import action_log
from panel.accounts import totp
from panel.errors import Conflict, Invalid
from panel.models import Account, RecoveryCode, SignInResult, TwoFactor

RECOVERY_CODES = 10
# 16 characters of base32: 80 bits, beyond guessing even from a copy of the hashes.
_RECOVERY_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"
_RECOVERY_LENGTH = 16


@dataclass(frozen=True)
class Enrolment:
    """What the account's owner copies into an authenticator app."""

    secret: str
    uri: str


async def state(session: AsyncSession, account_id: int) -> TwoFactor | None:
    """The account's TOTP, on (`enabled_at` set) or waiting for its first code; None: none."""
    return await session.get(TwoFactor, account_id)


async def is_on(session: AsyncSession, account_id: int) -> bool:
    found = await state(session, account_id)
    return found is not None and found.enabled_at is not None


async def begin(session: AsyncSession, account: Account, web_secret: str, issuer: str) -> Enrolment:
    """A new secret for `account`, not asked for until `confirm` sees a code from it. Asking
    again replaces a secret not yet confirmed."""
    found = await session.get(TwoFactor, account.id, with_for_update=True)
    if found is not None and found.enabled_at is not None:
        raise Conflict("two-factor sign-in is already on")
    secret = totp.new_secret()
    sealed = totp.seal(secret, account.id, web_secret)
    if found is None:
        session.add(TwoFactor(account_id=account.id, secret=sealed, enabled_at=None))
    else:
        found.secret, found.last_step = sealed, None
    await session.flush()
    name = account.email or account.name
    return Enrolment(secret=totp.text(secret), uri=totp.uri(secret, name, issuer))


async def pending(
    session: AsyncSession, account: Account, web_secret: str, issuer: str
) -> Enrolment:
    """The secret waiting for its first code, shown again (a page reloaded, a code mistyped)."""
    found = await state(session, account.id)
    secret = _secret(found, web_secret) if found is not None else None
    if found is None or found.enabled_at is not None or secret is None:
        raise Conflict("no two-factor sign-in is waiting to be confirmed")
    return Enrolment(totp.text(secret), totp.uri(secret, account.email or account.name, issuer))


async def confirm(session: AsyncSession, account: Account, web_secret: str, code: str) -> list[str]:
    """Turn TOTP on with a first code from the new secret; the recovery codes are returned
    here and never again."""
    found = await session.get(TwoFactor, account.id, with_for_update=True)
    if found is None or found.enabled_at is not None:
        raise Conflict("no two-factor sign-in is waiting to be confirmed")
    secret = _secret(found, web_secret)
    step = totp.matching_step(secret, code, time.time(), None) if secret else None
    if step is None:
        raise Invalid("the code is wrong or has expired")
    found.enabled_at, found.last_step = datetime.now(UTC), step
    codes = await _new_recovery_codes(session, account.id)
    await session.flush()
    return codes


async def check(
    session: AsyncSession, account_id: int, web_secret: str, code: str
) -> SignInResult | None:
    """Whether `code` is the account's TOTP code now, or one of its unused recovery codes
    (then used up); None when it is neither, or TOTP is not on."""
    found = await session.get(TwoFactor, account_id, with_for_update=True)
    if found is None or found.enabled_at is None:
        return None
    secret = _secret(found, web_secret)
    step = totp.matching_step(secret, code, time.time(), found.last_step) if secret else None
    if step is not None:
        found.last_step = step
        await session.flush()
        return SignInResult.ok
    recovery = await session.scalar(
        select(RecoveryCode)
        .where(
            RecoveryCode.account_id == account_id,
            RecoveryCode.code_hash == _digest(code),
            RecoveryCode.used_at.is_(None),
        )
        .with_for_update()
    )
    if recovery is None:
        return None
    recovery.used_at = datetime.now(UTC)
    await session.flush()
    return SignInResult.recovery_code


async def disable(session: AsyncSession, account: Account, web_secret: str, code: str) -> None:
    """Turn TOTP off; only with a code (or a recovery code), so that a session left open is
    not enough to remove it."""
    if await check(session, account.id, web_secret, code) is None:
        raise Invalid("the code is wrong or has expired")
    await session.execute(delete(RecoveryCode).where(RecoveryCode.account_id == account.id))
    await session.execute(delete(TwoFactor).where(TwoFactor.account_id == account.id))


async def recovery_codes_left(session: AsyncSession, account_id: int) -> int:
    rows = await session.scalars(
        select(RecoveryCode.id).where(
            RecoveryCode.account_id == account_id, RecoveryCode.used_at.is_(None)
        )
    )
    return len(list(rows))


async def _new_recovery_codes(session: AsyncSession, account_id: int) -> list[str]:
    await session.execute(delete(RecoveryCode).where(RecoveryCode.account_id == account_id))
    codes = [_recovery_code() for _ in range(RECOVERY_CODES)]
    session.add_all(RecoveryCode(account_id=account_id, code_hash=_digest(c)) for c in codes)
    return codes


def _recovery_code() -> str:
    raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, _RECOVERY_LENGTH, 4))


def _digest(code: str) -> str:
    # Typed as shown, or without the dashes, in either case.
    normal = "".join(c for c in code.lower() if c.isalnum())
    return hashlib.sha256(normal.encode()).hexdigest()


def _secret(found: TwoFactor, web_secret: str) -> bytes | None:
    return totp.unseal(found.secret, found.account_id, web_secret)


async def reset_by(session: AsyncSession, actor_id: int, account_id: int) -> None:
    """`reset`, by an operator: in the action log (what was on, never a secret)."""
    was_on = await session.scalar(
        select(TwoFactor.account_id).where(TwoFactor.account_id == account_id)
    )
    await reset(session, account_id)
    await action_log.record(
        session,
        actor_id,
        "account.two_factor_reset",
        "account",
        account_id,
        before={"two_factor": was_on is not None},
        after={"two_factor": False},
    )


async def reset(session: AsyncSession, account_id: int) -> None:
    """Turn TOTP off without a code: the operator's way back in for an owner who lost both
    the phone and the recovery codes. The next sign-in is with the password alone (or, for
    an operator who must have TOTP, sets it up again)."""
    await session.execute(delete(RecoveryCode).where(RecoveryCode.account_id == account_id))
    await session.execute(delete(TwoFactor).where(TwoFactor.account_id == account_id))
