"""Top-up requests: an agency pays its reseller outside the panel (by the brand's payment
instructions) and asks for the money in its wallet; the reseller, having seen the payment
arrive, approves it. Approval funds the agency from the reseller's wallet in the same
transaction that marks the request approved, so a request is paid at most once."""

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from panel.errors import Conflict, Invalid, NotFound
from panel.ledger import service as ledger
from panel.models import Account, AccountKind, TopUpRequest, TopUpStatus

# An agency cannot pile up requests its reseller has not looked at yet.
MAX_PENDING = 5


async def ask(
    session: AsyncSession, agency: Account, amount: Decimal, reference: str
) -> TopUpRequest:
    if agency.kind is not AccountKind.agency or agency.parent_id is None:
        raise Invalid("only an agency asks its reseller for a top-up")
    pending = await session.scalar(
        select(func.count())
        .select_from(TopUpRequest)
        .where(TopUpRequest.account_id == agency.id, TopUpRequest.status == TopUpStatus.pending)
    )
    if (pending or 0) >= MAX_PENDING:
        raise Conflict(f"at most {MAX_PENDING} requests can wait at once")
    request = TopUpRequest(
        account_id=agency.id,
        reseller_id=agency.parent_id,
        amount=amount,
        reference=reference.strip()[:200],
        status=TopUpStatus.pending,
    )
    session.add(request)
    await session.flush()
    return request


async def decide(
    session: AsyncSession, reseller: Account, request_id: int, approve: bool, now: datetime
) -> TopUpRequest:
    """Approve (fund the agency) or reject one of the reseller's pending requests. The row is
    locked first: two approvals of one request cannot both pay."""
    request = await session.scalar(
        select(TopUpRequest)
        .where(TopUpRequest.id == request_id, TopUpRequest.reseller_id == reseller.id)
        .with_for_update()
    )
    if request is None:
        raise NotFound(f"top-up request {request_id} does not exist")
    if request.status is not TopUpStatus.pending:
        raise Conflict(f"top-up request {request_id} is already {request.status.value}")
    if approve:
        journal = await ledger.fund_agency(
            session, request.account_id, request.amount, f"top-up request {request.id}", reseller.id
        )
        request.journal_id = journal.id
    request.status = TopUpStatus.approved if approve else TopUpStatus.rejected
    request.decided_at, request.decided_by_id = now, reseller.id
    await session.flush()
    return request


async def of_agency(
    session: AsyncSession, agency: Account, limit: int = 20
) -> Sequence[TopUpRequest]:
    return (
        await session.scalars(
            select(TopUpRequest)
            .where(TopUpRequest.account_id == agency.id)
            .order_by(TopUpRequest.id.desc())
            .limit(limit)
        )
    ).all()


async def to_reseller(
    session: AsyncSession, reseller: Account, limit: int = 100
) -> list[tuple[TopUpRequest, str]]:
    """The reseller's requests with each agency's name: waiting ones first, oldest first,
    then the latest decided."""
    waiting_first = case((TopUpRequest.status == TopUpStatus.pending, 0), else_=1)
    rows = await session.execute(
        select(TopUpRequest, Account.name)
        .join(Account, Account.id == TopUpRequest.account_id)
        .where(TopUpRequest.reseller_id == reseller.id)
        .order_by(
            waiting_first,
            case((TopUpRequest.status == TopUpStatus.pending, TopUpRequest.id), else_=None),
            TopUpRequest.id.desc(),
        )
        .limit(limit)
    )
    return [(request, name) for request, name in rows]
