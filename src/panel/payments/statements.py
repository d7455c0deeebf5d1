"""A bank statement webhook (Moota's shape) for transfers by hand: a JSON list of statement
lines, signed in the `Signature` header with HMAC-SHA256 of the raw body under the
gateway's secret. Each incoming line (`type` CR) whose amount is the total an open deposit
asks for credits that deposit; a line is matched once however often it is sent."""

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from panel.models import (
    Deposit,
    DepositStatus,
    GatewayKind,
    PaymentGateway,
    ReviewReason,
    StatementLine,
)
from panel.payments import crediting
from panel.payments.gateways import PaymentState, Rejected, Report

_HAD_ITS_LINE = (DepositStatus.paid, DepositStatus.held, DepositStatus.review)


@dataclass(frozen=True)
class Line:
    line_id: str
    amount: Decimal
    description: str
    incoming: bool


def verify(gateway: PaymentGateway, headers: dict[str, str], body: bytes) -> list[Line]:
    """The lines of a statement webhook that is signed by the gateway's secret."""
    if gateway.kind is not GatewayKind.manual or not gateway.private_key:
        raise Rejected(ReviewReason.malformed, "this gateway takes no statement webhooks")
    expected = hmac.new(gateway.private_key.encode(), body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(headers.get("signature", "").encode(), expected.encode()):
        raise Rejected(ReviewReason.bad_signature, "Signature does not match")
    try:
        data = json.loads(body)
        rows: list[Any] = data if isinstance(data, list) else data["data"]
        return [_line(row) for row in rows]
    except (ValueError, KeyError, TypeError, InvalidOperation) as exc:
        raise Rejected(ReviewReason.malformed, f"a statement line is unreadable: {exc}") from None


def _json(body: bytes) -> bool:
    try:
        return isinstance(json.loads(body), list | dict)
    except ValueError:
        return False


def _line(row: dict[str, Any]) -> Line:
    return Line(
        line_id=str(row.get("mutation_id") or row["id"]),
        amount=Decimal(str(row["amount"])),
        description=str(row.get("description") or "")[:500],
        incoming=str(row.get("type", "CR")).upper() == "CR",
    )


async def receive(
    session: AsyncSession,
    gateway: PaymentGateway,
    headers: dict[str, str],
    body: bytes,
    now: datetime,
) -> list[crediting.Applied]:
    shown = body[: crediting.BODY_KEPT].decode("utf-8", "replace")
    try:
        lines = verify(gateway, headers, body)
    except Rejected as rejected:
        # As for gateway callbacks: junk that is not even JSON is refused without a trace.
        if _json(body):
            await crediting.review(session, gateway, None, rejected.reason, rejected.detail, shown)
        raise
    done = []
    for line in lines:
        if not line.incoming or line.amount <= 0:
            continue
        inserted = await session.scalar(
            insert(StatementLine)
            .values(
                gateway_id=gateway.id,
                line_id=line.line_id,
                amount=line.amount,
                description=line.description,
            )
            .on_conflict_do_nothing(index_elements=["gateway_id", "line_id"])
            .returning(StatementLine.id)
        )
        if inserted is None:
            continue  # a line seen before
        done.append(await _match(session, gateway, line, inserted, now))
    return done


async def _match(
    session: AsyncSession, gateway: PaymentGateway, line: Line, line_row: int, now: datetime
) -> crediting.Applied:
    """The open deposit asking for exactly this amount; failing that, the latest closed one
    (a transfer after expiry is reviewed, not credited); failing that, a review."""
    deposit = await session.scalar(
        select(Deposit)
        .where(
            Deposit.gateway_id == gateway.id,
            Deposit.total == line.amount,
            Deposit.unique_code.is_not(None),
        )
        .order_by(Deposit.status != DepositStatus.pending, Deposit.id.desc())
        .limit(1)
    )
    if deposit is not None and deposit.status in _HAD_ITS_LINE:
        # A credited deposit that already had its line: this one is a second transfer of the
        # same total, which a match would silently drop. (One confirmed by hand takes its
        # line when it comes.)
        earlier = await session.scalar(
            select(StatementLine.id).where(
                StatementLine.deposit_id == deposit.id, StatementLine.id != line_row
            )
        )
        if earlier is not None:
            deposit = None
    text = f"statement line {line.line_id}: {line.amount.normalize():f} {line.description}"
    if deposit is None:
        await crediting.review(
            session, gateway, None, ReviewReason.unmatched_transfer, text, text, line.amount
        )
        return crediting.Applied("review")
    line_record = await session.get_one(StatementLine, line_row)
    line_record.deposit_id = deposit.id
    report = Report(
        merchant_ref=deposit.merchant_ref,
        gateway_reference=deposit.gateway_reference or "",
        state=PaymentState.paid,
        paid_total=line.amount,
        received=line.amount,
        paid_at=now,
    )
    return await crediting.apply(session, gateway, report, text, now)
