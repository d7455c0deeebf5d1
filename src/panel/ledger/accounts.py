"""The ledger's accounts: a wallet per reseller and agency, and the panel's system accounts."""

from decimal import Decimal

from sqlalchemy import or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from panel.errors import NotFound
from panel.models import Account, LedgerAccount, LedgerAccountKind

# Created by the first migration; their codes never change.
CLEARING = "clearing"
REVENUE = "revenue"
EXTERNAL = "external"
# Created by the currencies migration: exchange gains and losses on what providers charged.
FX = "fx"


def _wallet_code(account_id: int) -> str:
    return f"wallet:{account_id}"


async def open_wallet(session: AsyncSession, account: Account) -> LedgerAccount:
    wallet = LedgerAccount(
        code=_wallet_code(account.id),
        kind=LedgerAccountKind.wallet,
        owner_id=account.id,
        balance=Decimal(0),
    )
    session.add(wallet)
    await session.flush()
    return wallet


async def wallet_of(session: AsyncSession, account_id: int) -> LedgerAccount:
    wallet = await session.scalar(select(LedgerAccount).where(LedgerAccount.owner_id == account_id))
    if wallet is None:
        raise NotFound(f"account {account_id} has no wallet")
    return wallet


async def wallet_and_system(session: AsyncSession, account_id: int, code: str) -> tuple[int, int]:
    """The ids of an account's wallet and of a system account, in one query: the two ends of
    an order's payment or of a top-up."""
    rows = await session.execute(
        select(LedgerAccount.id, LedgerAccount.code).where(
            or_(LedgerAccount.owner_id == account_id, LedgerAccount.code == code)
        )
    )
    ids = {found_code: ledger_account_id for ledger_account_id, found_code in rows}
    if code not in ids:
        raise LookupError(f"ledger account {code!r} is missing: run `pasok migrate`")
    if _wallet_code(account_id) not in ids:
        raise NotFound(f"account {account_id} has no wallet")
    return ids[_wallet_code(account_id)], ids[code]


async def system(session: AsyncSession, code: str) -> int:
    """The id of a system account (`clearing`, `revenue`, `external`)."""
    account_id = await session.scalar(select(LedgerAccount.id).where(LedgerAccount.code == code))
    if account_id is None:
        raise LookupError(f"ledger account {code!r} is missing: run `pasok migrate`")
    return account_id


async def of_provider(session: AsyncSession, provider_id: int) -> int:
    """The `provider:<id>` account, opened on first use."""
    code = f"provider:{provider_id}"
    await session.execute(
        insert(LedgerAccount)
        .values(code=code, kind=LedgerAccountKind.provider, provider_id=provider_id)
        .on_conflict_do_nothing(index_elements=["code"])
    )
    return await system(session, code)
