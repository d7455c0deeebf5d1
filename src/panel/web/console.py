"""What every page of the reseller console shares: who may open it, and its agencies."""

from typing import Annotated

from fastapi import Depends
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from panel.models import Account, AccountKind
from panel.web.pages import Interrupt, MemberDep, PageDep


async def get_reseller(page: PageDep, account: MemberDep) -> Account:
    """The signed-in reseller. Anyone else signed in is told the page does not exist, as if
    the console were not there at all."""
    if account.kind is not AccountKind.reseller:
        raise Interrupt(page.render("message.html", 404, message=page.t("console_not_found")))
    return account


ResellerDep = Annotated[Account, Depends(get_reseller)]


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
