"""`/admin/v1`: top-ups, adjustments, agency funding, statements and the ledger audit."""

from dataclasses import asdict
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Query, status
from sqlalchemy.ext.asyncio import AsyncSession

from panel.accounts import service as accounts
from panel.keys.callers import OperatorDep
from panel.ledger import service
from panel.ledger.audit_runner import check
from panel.ledger.endpoints import Before, statement_page
from panel.ledger.schemas import (
    Adjustment,
    AgencyFunding,
    AuditReport,
    Movement,
    Statement,
    TopUp,
)
from panel.models import Journal
from panel.plumbing.deps import RuntimeDep, SessionDep
from panel.plumbing.schemas import PathId

router = APIRouter(tags=["admin: ledger"])


async def _movement(
    session: AsyncSession,
    runtime: RuntimeDep,
    journal: Journal,
    account_id: int,
    amount: Decimal,
) -> Movement:
    return Movement(
        journal_id=journal.id,
        kind=journal.kind,
        amount=amount,
        balance=await service.balance(session, account_id),
        currency=runtime.settings.currency,
    )


@router.post("/accounts/{account_id}/top-ups", status_code=status.HTTP_201_CREATED)
async def top_up(
    account_id: PathId, body: TopUp, session: SessionDep, runtime: RuntimeDep, operator: OperatorDep
) -> Movement:
    await accounts.get(session, account_id)
    journal = await service.top_up_by(
        session, operator.account_id, account_id, body.amount, body.reason
    )
    return await _movement(session, runtime, journal, account_id, body.amount)


@router.post("/accounts/{account_id}/adjustments", status_code=status.HTTP_201_CREATED)
async def adjust(
    account_id: PathId,
    body: Adjustment,
    session: SessionDep,
    runtime: RuntimeDep,
    operator: OperatorDep,
) -> Movement:
    await accounts.get(session, account_id)
    journal = await service.adjust_by(
        session, operator.account_id, account_id, body.amount, body.reason
    )
    return await _movement(session, runtime, journal, account_id, body.amount)


@router.post("/agency-fundings", status_code=status.HTTP_201_CREATED)
async def fund_agency(
    body: AgencyFunding, session: SessionDep, runtime: RuntimeDep, operator: OperatorDep
) -> Movement:
    journal = await service.fund_agency(
        session, body.agency_id, body.amount, body.reason, operator.account_id
    )
    return await _movement(session, runtime, journal, body.agency_id, body.amount)


@router.get("/accounts/{account_id}/statement")
async def statement(
    account_id: PathId,
    session: SessionDep,
    runtime: RuntimeDep,
    before: Before = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> Statement:
    await accounts.get(session, account_id)
    return await statement_page(session, account_id, runtime.settings.currency, before, limit)


@router.get("/ledger/audit")
async def run_audit(
    runtime: RuntimeDep,
    full: Annotated[
        bool, Query(description="read all history, not only what changed since the last audit")
    ] = False,
) -> AuditReport:
    """Check the ledger's invariants, as `pasok audit` does, in one snapshot."""
    breaches = await check(runtime.sessionmaker, runtime.redis, datetime.now(UTC), full=full)
    return AuditReport(clean=not breaches, breaches=[asdict(b) for b in breaches])
