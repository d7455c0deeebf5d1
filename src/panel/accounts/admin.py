"""`/admin/v1/accounts`: operators create and manage accounts."""

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query, status
from sqlalchemy.ext.asyncio import AsyncSession

from panel.accounts import operators, service
from panel.accounts.schemas import (
    AccountCreate,
    AccountOut,
    AccountUpdate,
    OperatorCreate,
    OperatorMade,
)
from panel.keys.callers import OperatorDep
from panel.ledger import service as ledger
from panel.models import Account, AccountKind
from panel.plumbing.deps import RuntimeDep, SessionDep
from panel.plumbing.runtime import Runtime
from panel.plumbing.schemas import MAX_ID, PathId

router = APIRouter(prefix="/accounts", tags=["admin: accounts"])


async def accounts_out(
    session: AsyncSession, runtime: Runtime, accounts: Sequence[Account]
) -> list[AccountOut]:
    """Accounts with their wallet balances, read in one query (operators have none)."""
    balances = await ledger.balances(session, [account.id for account in accounts])
    return [
        AccountOut.model_validate(
            {
                **vars(account),
                "balance": balances.get(account.id),
                "currency": runtime.settings.currency,
            }
        )
        for account in accounts
    ]


async def account_out(session: AsyncSession, runtime: Runtime, account: Account) -> AccountOut:
    return (await accounts_out(session, runtime, [account]))[0]


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_account(
    body: AccountCreate, session: SessionDep, runtime: RuntimeDep, operator: OperatorDep
) -> AccountOut:
    account = await service.create_by(session, operator.account_id, **body.model_dump())
    return await account_out(session, runtime, account)


@router.get("")
async def list_accounts(
    session: SessionDep,
    runtime: RuntimeDep,
    kind: AccountKind | None = None,
    parent_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    after: Annotated[
        int, Query(ge=0, le=MAX_ID, description="Cursor: the last id of the previous page")
    ] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[AccountOut]:
    found = await service.list_accounts(
        session, kind=kind, parent_id=parent_id, after=after, limit=limit
    )
    return await accounts_out(session, runtime, found)


@router.get("/{account_id}")
async def get_account(account_id: PathId, session: SessionDep, runtime: RuntimeDep) -> AccountOut:
    return await account_out(session, runtime, await service.get(session, account_id))


@router.patch("/{account_id}")
async def update_account(
    account_id: PathId,
    body: AccountUpdate,
    session: SessionDep,
    runtime: RuntimeDep,
    operator: OperatorDep,
) -> AccountOut:
    changes = body.model_dump(exclude_unset=True)
    account = await service.update_by(session, operator.account_id, account_id, **changes)
    return await account_out(session, runtime, account)


operators_router = APIRouter(prefix="/operators", tags=["admin: accounts"])


@operators_router.post("", status_code=status.HTTP_201_CREATED)
async def create_operator(
    body: OperatorCreate, session: SessionDep, runtime: RuntimeDep, operator: OperatorDep
) -> OperatorMade:
    """A further operator, made as `pasok init` makes the first: the account, and a one-time
    link (7 days) with which it chooses its web console password. Its operator token, if it
    needs one, is issued with `POST /admin/v1/accounts/{id}/keys`."""
    made, link = await operators.add_operator(
        session, operator.account_id, body.name, str(body.email), datetime.now(UTC)
    )
    return OperatorMade(
        account=await account_out(session, runtime, made),
        path=link.path,
        expires_at=link.expires_at,
    )
