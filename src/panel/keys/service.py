"""API keys and operator tokens: random, shown once, stored only as SHA-256."""

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from ipaddress import ip_network

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.orm.attributes import set_committed_value

from panel import action_log
from panel.errors import Invalid, NotFound
from panel.keys.holder import Holder as Holder
from panel.keys.holder import Network
from panel.keys.holder import kept as kept
from panel.models import Account, AccountKind, AccountStatus, ApiKey, ApiKeyKind
from panel.plumbing import read_cache
from panel.plumbing.read_cache import ReadCache

PREFIX_LENGTH = 12
OPERATOR_MARK = "op_"
# Recording every use would write on every request; a minute's precision is enough to tell
# a live key from a forgotten one.
LAST_USE_PRECISION = timedelta(minutes=1)
# An agency's key stops working with its reseller suspended, too. One alias for the life of
# the process: a new alias per call would make SQLAlchemy compile the query afresh each time.
_parent = aliased(Account)
MAX_ADDRESSES = 50
# What every surface answers a key used from an address it does not allow.
ADDRESS_REFUSED = "This API key may not be used from this IP address"


@dataclass(frozen=True)
class IssuedKey:
    key: ApiKey
    plaintext: str


def _digest(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode()).hexdigest()


def _lookup_prefix(plaintext: str) -> str:
    return plaintext.removeprefix(OPERATOR_MARK)[:PREFIX_LENGTH]


async def issue(
    session: AsyncSession,
    account: Account,
    label: str = "",
    addresses: Iterable[str] = (),
) -> IssuedKey:
    """Create a key for `account`, usable only from `addresses` if any are given; the
    plaintext is returned here and never again."""
    allowed = networks(addresses)
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
        last_used_from=None,
        allowed_addresses=allowed,
    )
    session.add(key)
    await session.flush()
    return IssuedKey(key=key, plaintext=plaintext)


async def authenticate(
    session: AsyncSession, plaintext: str, kind: ApiKeyKind, address: str | None = None
) -> Holder | None:
    """The live key matching `plaintext` and its active account, or None. Whether the key may
    be used from the caller's `address` is the caller's to ask (`Holder.admits`): API v2 keeps
    the holder for other requests, from other addresses. A use is recorded only when the
    address is allowed."""
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
            holder = Holder(key, account)
            if holder.admits(address):
                await _record_use(session, key, address)
            return holder
    return None


async def _record_use(session: AsyncSession, key: ApiKey, address: str | None) -> None:
    now = datetime.now(UTC)
    if key.last_used_at is not None and key.last_used_at >= now - LAST_USE_PRECISION:
        return  # recorded recently enough: no write on this request's path
    await session.execute(
        update(ApiKey)
        .where(
            ApiKey.id == key.id,
            or_(ApiKey.last_used_at.is_(None), ApiKey.last_used_at < now - LAST_USE_PRECISION),
        )
        .values(last_used_at=now, last_used_from=address)
        .execution_options(synchronize_session=False, **{read_cache.NEUTRAL: True})
    )
    # Known on the key in hand too, without marking it changed: a key the read cache keeps
    # is not written again on every call until the cache reads it afresh.
    set_committed_value(key, "last_used_at", now)
    set_committed_value(key, "last_used_from", address)


async def api_caller(
    session: AsyncSession, reads: ReadCache, plaintext: str, address: str | None
) -> Holder | None:
    """The live API key `plaintext` is and the account it opens, as API v2 and `/v1` find
    their caller: kept by the read cache between calls, and the key's use recorded (about
    once a minute) whenever `address` may use it, however the holder was found."""

    async def read() -> Holder | None:
        return await authenticate(session, plaintext, ApiKeyKind.api, address)

    holder = await kept(reads, plaintext, read) if plaintext else None
    if holder is not None and holder.admits(address):
        await _record_use(session, holder.key, address)
    return holder


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


def networks(addresses: Iterable[str]) -> list[Network]:
    """The networks a list of addresses and CIDR blocks names, each once, in the order given.
    Bits past a block's prefix are dropped (10.0.0.7/24 is 10.0.0.0/24), as providers' panels
    read it."""
    found: list[Network] = []
    for text in addresses:
        try:
            network = ip_network(text.strip(), strict=False)
        except ValueError:
            raise Invalid(f"{text.strip()!r} is not an IP address or CIDR block") from None
        if network not in found:
            found.append(network)
    if len(found) > MAX_ADDRESSES:
        raise Invalid(f"a key may name at most {MAX_ADDRESSES} addresses")
    return found


async def limit(session: AsyncSession, key_id: int, addresses: Iterable[str]) -> ApiKey:
    """Allow the key only from `addresses` from now on; none: from anywhere. Every API process
    hears of it at commit, as of a revocation."""
    allowed = networks(addresses)
    key = await session.get(ApiKey, key_id, with_for_update=True)
    if key is None:
        raise NotFound(f"API key {key_id} does not exist")
    key.allowed_addresses = allowed
    await session.flush()
    return key


# --- an operator's writes, as /admin/v1 and the console make them: each in the action log ---

# Never the secret or its hash: what identifies the key is its prefix.
SHOWN = ("account_id", "kind", "label", "lookup_prefix", "revoked_at", "allowed_addresses")


async def issue_by(
    session: AsyncSession,
    actor_id: int,
    account: Account,
    label: str = "",
    addresses: Iterable[str] = (),
) -> IssuedKey:
    issued = await issue(session, account, label, addresses)
    after = action_log.snapshot(issued.key, SHOWN)
    await action_log.record(session, actor_id, "key.issue", "api_key", issued.key.id, after=after)
    return issued


async def limit_by(
    session: AsyncSession, actor_id: int, key_id: int, addresses: Iterable[str]
) -> ApiKey:
    key = await session.get(ApiKey, key_id, with_for_update=True)
    before = action_log.snapshot(key, SHOWN) if key is not None else None
    key = await limit(session, key_id, addresses)
    after = action_log.snapshot(key, SHOWN)
    await action_log.record(
        session, actor_id, "key.limit", "api_key", key.id, before=before, after=after
    )
    return key


async def revoke_by(session: AsyncSession, actor_id: int, key_id: int) -> ApiKey:
    key = await session.get(ApiKey, key_id, with_for_update=True)
    before = action_log.snapshot(key, SHOWN) if key is not None else None
    key = await revoke(session, key_id)
    after = action_log.snapshot(key, SHOWN)
    if before != after:  # revoking twice changes nothing, and records nothing
        await action_log.record(
            session, actor_id, "key.revoke", "api_key", key.id, before=before, after=after
        )
    return key
