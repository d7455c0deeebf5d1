"""API keys and operator tokens: random, shown once, stored only as SHA-256."""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from panel import read_cache
from panel.errors import NotFound
from panel.models import Account, AccountKind, AccountStatus, ApiKey, ApiKeyKind

PREFIX_LENGTH = 12
OPERATOR_MARK = "op_"
# Recording every use would write on every request; a minute's precision is enough to tell
# a live key from a forgotten one.
LAST_USE_PRECISION = timedelta(minutes=1)
# An agency's key stops working with its reseller suspended, too. One alias for the life of
# the process: a new alias per call would make SQLAlchemy compile the query afresh each time.
_parent = aliased(Account)


@dataclass(frozen=True)
class Holder:
    """A live key and the account it opens."""

    key: ApiKey
    account: Account


@dataclass(frozen=True)
class IssuedKey:
    key: ApiKey
    plaintext: str


def _digest(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode()).hexdigest()


def _lookup_prefix(plaintext: str) -> str:
    return plaintext.removeprefix(OPERATOR_MARK)[:PREFIX_LENGTH]


async def issue(session: AsyncSession, account: Account, label: str = "") -> IssuedKey:
    """Create a key for `account`; the plaintext is returned here and never again."""
    if account.kind is AccountKind.operator:
        kind, plaintext = ApiKeyKind.operator, OPERATOR_MARK + secrets.token_hex(32)
    else:
        kind, plaintext = ApiKeyKind.api, secrets.token_hex(32)
    key = ApiKey(
        account_id=account.id,
        kind=kind,
        label=label,
        lookup_prefix=_lookup_prefix(plaintext),
        secret_hash=_digest(plaintext),
        revoked_at=None,
        last_used_at=None,
    )
    session.add(key)
    await session.flush()
    return IssuedKey(key=key, plaintext=plaintext)


async def authenticate(session: AsyncSession, plaintext: str, kind: ApiKeyKind) -> Holder | None:
    """The live key matching `plaintext` and its active account, or None."""
    if not plaintext or len(plaintext) > 128:
        return None
    digest = _digest(plaintext)
    # The account is loaded with its key: one query, not two.
    candidates = await session.execute(
        select(ApiKey, Account)
        .join(Account, Account.id == ApiKey.account_id)
        .outerjoin(_parent, _parent.id == Account.parent_id)
        .where(
            ApiKey.lookup_prefix == _lookup_prefix(plaintext),
            ApiKey.kind == kind,
            ApiKey.revoked_at.is_(None),
            Account.status == AccountStatus.active,
            or_(_parent.id.is_(None), _parent.status == AccountStatus.active),
        )
    )
    for key, account in candidates:
        if hmac.compare_digest(key.secret_hash, digest):
            await _record_use(session, key)
            return Holder(key, account)
    return None


async def _record_use(session: AsyncSession, key: ApiKey) -> None:
    now = datetime.now(UTC)
    if key.last_used_at is not None and key.last_used_at >= now - LAST_USE_PRECISION:
        return  # recorded recently enough: no write on this request's path
    await session.execute(
        update(ApiKey)
        .where(
            ApiKey.id == key.id,
            or_(ApiKey.last_used_at.is_(None), ApiKey.last_used_at < now - LAST_USE_PRECISION),
        )
        .values(last_used_at=now)
        .execution_options(synchronize_session=False, **{read_cache.NEUTRAL: True})
    )


async def list_for(session: AsyncSession, account_id: int) -> list[ApiKey]:
    rows = await session.scalars(
        select(ApiKey).where(ApiKey.account_id == account_id).order_by(ApiKey.id)
    )
    return list(rows)


async def revoke(session: AsyncSession, key_id: int) -> ApiKey:
    """Refuse the key from now on; revoking twice keeps the first time."""
    key = await session.get(ApiKey, key_id, with_for_update=True)
    if key is None:
        raise NotFound(f"API key {key_id} does not exist")
    if key.revoked_at is None:
        key.revoked_at = datetime.now(UTC)
        await session.flush()
    return key
