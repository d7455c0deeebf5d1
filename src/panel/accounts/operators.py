"""An operator's writes that hand out a one-time link: a password reset for an account, and a
further operator, made as `pasok init` makes the first one (the account, then a link with
which it chooses its password). Both in the action log, never with the link's token."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from panel import action_log
from panel.accounts import invitations, service
from panel.models import Account, AccountKind


@dataclass(frozen=True)
class Link:
    """A one-time link just made: its path (shown once) and when it stops working."""

    path: str
    expires_at: datetime


async def reset_link(session: AsyncSession, actor_id: int, account: Account, now: datetime) -> Link:
    """A link (7 days) with which `account` chooses a new password."""
    token = await invitations.password_link(session, account, now)
    expires_at = now + invitations.VALID_FOR
    await action_log.record(
        session,
        actor_id,
        "account.reset_link",
        "account",
        account.id,
        after={"expires_at": expires_at},
    )
    return Link(invitations.PATH + token, expires_at)


async def add_operator(
    session: AsyncSession, actor_id: int, name: str, email: str, now: datetime
) -> tuple[Account, Link]:
    """A further operator and the link with which it chooses its password."""
    operator = await service.create_by(
        session, actor_id, kind=AccountKind.operator, name=name, email=email.strip().lower()
    )
    token = await invitations.password_link(session, operator, now)
    return operator, Link(invitations.PATH + token, now + invitations.VALID_FOR)
