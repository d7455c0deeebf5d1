"""One-time links into the web panel: a reseller invites an agency, or the operator gives an
account (a new reseller, say) a link to choose its password. Only the token's digest is kept,
so the link works once and only for whoever was given it."""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from panel.accounts import passwords
from panel.accounts import service as accounts
from panel.brands import brand_book
from panel.errors import Conflict, Invalid
from panel.models import Account, AccountKind, AccountStatus, Invitation

VALID_FOR = timedelta(days=7)
PATH = "/join/"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def _issue(
    session: AsyncSession, invitation: Invitation, now: datetime, valid_for: timedelta = VALID_FOR
) -> str:
    token = secrets.token_urlsafe(24)
    invitation.token_digest = _digest(token)
    invitation.expires_at = now + valid_for
    session.add(invitation)
    await session.flush()
    return token


@dataclass(frozen=True)
class JoinsAt:
    """Where a reseller's agencies join: a host of its brand, and the brand's name."""

    host: str
    brand_name: str


async def joins_at(session: AsyncSession, reseller: Account, asked_on: str) -> JoinsAt:
    """Where an invitation of `reseller` must point. An agency joins, and then signs in, only
    on its reseller's own hosts (`signing_in.belongs`), so a link is for one of them whichever host
    the reseller made it on: the one asked on if it is the brand's, else its first. A reseller
    with no brand has nowhere its agencies could sign in, and invites none until it sets one."""
    found = await brand_book.brand_of(session, reseller)
    if found is None or not found[1]:
        raise Conflict("set the brand and its host names before inviting agencies")
    brand, hosts = found
    return JoinsAt(asked_on if asked_on in hosts else hosts[0], brand.name)


async def invite_agency(session: AsyncSession, reseller: Account, note: str, now: datetime) -> str:
    """A link with which a new agency joins `reseller`; the token, shown once."""
    if reseller.kind is not AccountKind.reseller:
        raise Invalid("only a reseller invites agencies")
    return await _issue(session, Invitation(reseller_id=reseller.id, note=note[:200]), now)


async def password_link(
    session: AsyncSession, account: Account, now: datetime, valid_for: timedelta = VALID_FOR
) -> str:
    """A link with which `account` chooses a new password; the token, shown once."""
    return await _issue(session, Invitation(account_id=account.id), now, valid_for)


async def open_link(session: AsyncSession, token: str, now: datetime) -> Invitation | None:
    """The unused, unexpired invitation a token opens, locked until the transaction ends so
    two uses of one link cannot both succeed."""
    if not token or len(token) > 100:
        return None
    return await session.scalar(
        select(Invitation)
        .where(
            Invitation.token_digest == _digest(token),
            Invitation.used_at.is_(None),
            Invitation.expires_at > now,
        )
        .with_for_update()
    )


async def redeem(
    session: AsyncSession,
    invitation: Invitation,
    now: datetime,
    *,
    password: str,
    name: str = "",
    email: str = "",
) -> Account:
    """Use the invitation: create the invited agency, or set the account's password. The
    account it leads to, to sign in."""
    if invitation.reseller_id is not None:
        email = email.strip().lower()
        if not name.strip() or "@" not in email:
            raise Invalid("a name and an email address are needed")
        account = await accounts.create(
            session,
            kind=AccountKind.agency,
            name=name.strip()[:200],
            email=email,
            parent_id=invitation.reseller_id,
        )
    else:
        assert invitation.account_id is not None
        account = await accounts.get(session, invitation.account_id)
        if account.status is not AccountStatus.active:
            raise Invalid("this account is suspended")
    await passwords.set_password(session, account, password)
    invitation.used_at, invitation.used_by_id = now, account.id
    await session.flush()
    return account
