"""Wallet balances for any number of accounts in one statement, as API v2 `balance` answers
them: read from the wallet row the ledger keeps in step with its entries."""

from decimal import Decimal
from functools import partial

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from panel.plumbing.coalesce import Coalescer
from panel.plumbing.db import transaction
from panel.plumbing.runtime import Runtime

_READ = text(
    """
    SELECT owner_id, balance FROM ledger_account
     WHERE owner_id = ANY(CAST(:owners AS bigint[])) AND balance IS NOT NULL
    """
)


async def read(
    sessionmaker: async_sessionmaker[AsyncSession], account_ids: list[int]
) -> dict[int, Decimal]:
    """The wallet balance of each account that has a wallet."""
    async with transaction(sessionmaker) as session:
        rows = await session.execute(_READ, {"owners": account_ids})
        return {owner: balance for owner, balance in rows}


def coalesced(runtime: Runtime) -> Coalescer[int, Decimal]:
    """The process's balance reads: every request in flight read in one statement."""
    return runtime.part(_coalescer)


def _coalescer(runtime: Runtime) -> Coalescer[int, Decimal]:
    return Coalescer(partial(read, runtime.sessionmaker))
