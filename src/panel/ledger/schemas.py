from datetime import datetime

from panel.models import JournalKind
from panel.plumbing.schemas import Amount, MoneyText, Out, Reason, RefId, Schema, SignedAmount


class TopUp(Schema):
    amount: Amount
    reason: Reason


class Adjustment(Schema):
    amount: SignedAmount
    reason: Reason


class AgencyFunding(Schema):
    agency_id: RefId
    amount: Amount
    reason: Reason


class Movement(Out):
    """A journal just posted and the wallet balance it left."""

    journal_id: int
    kind: JournalKind
    amount: MoneyText
    balance: MoneyText
    currency: str


class Balance(Out):
    balance: MoneyText
    currency: str


class StatementLine(Out):
    entry_id: int
    journal_id: int
    kind: JournalKind
    reason: str
    order_id: int | None
    amount: MoneyText
    balance_after: MoneyText
    created_at: datetime


class Statement(Out):
    account_id: int
    currency: str
    balance: MoneyText
    lines: list[StatementLine]
    next_before: int | None


class Breach(Out):
    invariant: str
    subject: str
    detail: str


class AuditReport(Out):
    clean: bool
    breaches: list[Breach]
