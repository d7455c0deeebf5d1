"""What the reseller console's pages share: the reseller's agencies."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from panel.models import Account, AccountKind


async def agencies_of(session: AsyncSession, reseller: Account) -> list[Account]:
    """The reseller's agencies, by name."""
    found = await session.scalars(
        select(Account)
        .where(Account.parent_id == reseller.id, Account.kind == AccountKind.agency)
        .order_by(Account.name, Account.id)
    )
    return list(found)


async def agency_of(session: AsyncSession, reseller: Account, agency_id: int) -> Account | None:
    """One of the reseller's agencies; any other account is None, as if it did not exist."""
    agency = await session.get(Account, agency_id)
    if agency is None or agency.kind is not AccountKind.agency:
        return None
    return agency if agency.parent_id == reseller.id else None
