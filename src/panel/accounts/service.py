"""Accounts: operators, resellers, and agencies under a reseller. Each reseller and agency
gets its wallet when it is created."""

from collections.abc import Sequence

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from panel import action_log
from panel.errors import Invalid, NotFound
from panel.ledger import accounts as ledger_accounts
from panel.models import Account, AccountKind, AccountStatus, Tier, TierChange


async def get(session: AsyncSession, account_id: int) -> Account:
    account = await session.get(Account, account_id)
    if account is None:
        raise NotFound(f"account {account_id} does not exist")
    return account


async def create(
    session: AsyncSession,
    *,
    kind: AccountKind,
    name: str,
    email: str | None = None,
    parent_id: int | None = None,
    tier_id: int | None = None,
) -> Account:
    """Create an account and, for resellers and agencies, its empty wallet."""
    if kind is AccountKind.agency:
        if parent_id is None:
            raise Invalid("an agency needs parent_id: the reseller it belongs to")
        parent = await get(session, parent_id)
        if parent.kind is not AccountKind.reseller:
            raise Invalid(f"parent {parent_id} is not a reseller")
    elif parent_id is not None:
        raise Invalid("only an agency has a parent")
    if tier_id is not None:
        if kind is not AccountKind.reseller:
            raise Invalid("only a reseller belongs to a tier")
        await _tier(session, tier_id)
    if email is not None and await session.scalar(select(Account.id).where(Account.email == email)):
        raise Invalid(f"email {email} is taken")
    account = Account(kind=kind, name=name, email=email, parent_id=parent_id, tier_id=tier_id)
    session.add(account)
    await session.flush()
    if kind is not AccountKind.operator:
        await ledger_accounts.open_wallet(session, account)
    return account


async def update(
    session: AsyncSession,
    account_id: int,
    *,
    name: str | None = None,
    status: AccountStatus | None = None,
    tier_id: int | None = None,
) -> Account:
    account = await get(session, account_id)
    if name is not None:
        account.name = name
    if status is not None:
        account.status = status
    if tier_id is not None:
        if account.kind is not AccountKind.reseller:
            raise Invalid("only a reseller belongs to a tier")
        tier = await _tier(session, tier_id)
        if tier.id != account.tier_id:
            session.add(
                TierChange(
                    account_id=account.id,
                    from_tier_id=account.tier_id,
                    to_tier_id=tier.id,
                    spend_90d=None,
                    reason="set by an operator",
                )
            )
        account.tier_id = tier.id
        account.tier_below_since = None
    await session.flush()
    return account


async def list_accounts(
    session: AsyncSession,
    *,
    kind: AccountKind | None = None,
    parent_id: int | None = None,
    after: int = 0,
    limit: int = 100,
) -> Sequence[Account]:
    query = select(Account).where(Account.id > after).order_by(Account.id).limit(limit)
    if kind is not None:
        query = query.where(Account.kind == kind)
    if parent_id is not None:
        query = query.where(Account.parent_id == parent_id)
    return (await session.scalars(query)).all()


async def _tier(session: AsyncSession, tier_id: int) -> Tier:
    tier = await session.get(Tier, tier_id)
    if tier is None:
        raise Invalid(f"tier {tier_id} does not exist")
    return tier


# --- an operator's writes, as /admin/v1 and the console make them: each in the action log ---

SHOWN = ("kind", "name", "email", "status", "parent_id", "tier_id")


async def create_by(
    session: AsyncSession,
    actor_id: int,
    *,
    kind: AccountKind,
    name: str,
    email: str | None = None,
    parent_id: int | None = None,
    tier_id: int | None = None,
) -> Account:
    """`create`, recorded as the operator's ("operator.create" for another operator)."""
    account = await create(
        session, kind=kind, name=name, email=email, parent_id=parent_id, tier_id=tier_id
    )
    action = "operator.create" if account.kind is AccountKind.operator else "account.create"
    after = action_log.snapshot(account, SHOWN)
    await action_log.record(session, actor_id, action, "account", account.id, after=after)
    return account


async def update_by(
    session: AsyncSession,
    actor_id: int,
    account_id: int,
    *,
    name: str | None = None,
    status: AccountStatus | None = None,
    tier_id: int | None = None,
) -> Account:
    """`update`, each kind of change recorded as its own action: a suspension, a
    reactivation, a tier set by hand, a new name."""
    account = await get(session, account_id)
    before = action_log.snapshot(account, SHOWN)
    await update(session, account_id, name=name, status=status, tier_id=tier_id)
    after = action_log.snapshot(account, SHOWN)
    actions = []
    if before["status"] != after["status"]:
        suspended = account.status is AccountStatus.suspended
        actions.append("account.suspend" if suspended else "account.reactivate")
    if before["tier_id"] != after["tier_id"]:
        actions.append("account.tier")
    if before["name"] != after["name"]:
        actions.append("account.rename")
    for action in actions:
        await action_log.record(
            session, actor_id, action, "account", account.id, before=before, after=after
        )
    return account


async def search(
    session: AsyncSession,
    text: str = "",
    *,
    kinds: Sequence[AccountKind] = (AccountKind.reseller, AccountKind.agency),
    status: AccountStatus | None = None,
    limit: int = 100,
) -> Sequence[Account]:
    """Accounts of `kinds` whose name or email holds `text`, or whose id it is; newest
    first."""
    query = select(Account).where(Account.kind.in_(kinds))
    text = text.strip()
    if text:
        matches = [
            Account.name.icontains(text, autoescape=True),
            Account.email.icontains(text, autoescape=True),
        ]
        if text.lstrip("#").isdigit() and len(text) < 10:
            matches.append(Account.id == int(text.lstrip("#")))
        query = query.where(or_(*matches))
    if status is not None:
        query = query.where(Account.status == status)
    return (await session.scalars(query.order_by(Account.id.desc()).limit(limit))).all()
