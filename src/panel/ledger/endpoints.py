"""`/v1`: a reseller's or agency's own balance and statement."""

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from panel import money
from panel.keys.callers import BuyerDep
from panel.ledger import service
from panel.ledger.schemas import Balance, Statement
from panel.plumbing import csv_export
from panel.plumbing.deps import RuntimeDep, SessionDep

router = APIRouter(tags=["balance"])

Before = Annotated[
    int | None, Query(ge=1, le=2**63 - 1, description="Cursor: entries older than this one")
]
CSV_COLUMNS = (
    "entry_id",
    "journal_id",
    "created_at",
    "kind",
    "reason",
    "order_id",
    "amount",
    "balance_after",
)


async def statement_page(
    session: AsyncSession, account_id: int, currency: str, before: int | None, limit: int
) -> Statement:
    """One page of a wallet's statement, newest first; also what operators see."""
    lines = await service.statement(session, account_id, before=before, limit=limit)
    return Statement.model_validate(
        {
            "account_id": account_id,
            "currency": currency,
            "balance": await service.balance(session, account_id),
            "lines": [asdict(line) for line in lines],
            "next_before": lines[-1].entry_id if len(lines) == limit else None,
        }
    )


@router.get("/balance")
async def balance(session: SessionDep, buyer: BuyerDep, runtime: RuntimeDep) -> Balance:
    amount = await service.balance(session, buyer.id)
    return Balance(balance=amount, currency=runtime.settings.currency)


@router.get("/statement")
async def statement(
    session: SessionDep,
    buyer: BuyerDep,
    runtime: RuntimeDep,
    before: Before = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> Statement:
    """Every movement of your balance, newest first, with the balance each one left."""
    return await statement_page(session, buyer.id, runtime.settings.currency, before, limit)


@router.get(
    "/statement.csv",
    response_class=Response,
    responses=csv_export.documented("the statement as CSV"),
)
async def statement_csv(
    session: SessionDep,
    buyer: BuyerDep,
    runtime: RuntimeDep,
    before: Before = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
) -> Response:
    """The same statement for a spreadsheet, amounts in the panel's currency."""
    lines = await service.statement(session, buyer.id, before=before, limit=limit)
    rows = (
        [
            line.entry_id,
            line.journal_id,
            line.created_at.isoformat(),
            line.kind.value,
            line.reason,  # free text: csv_export keeps a formula from running
            line.order_id or "",
            money.text(line.amount),
            money.text(line.balance_after),
            runtime.settings.currency,
        ]
        for line in lines
    )
    return csv_export.download("statement.csv", [*CSV_COLUMNS, "currency"], rows)
