"""Deposits, gateways and their methods as `/v1`, `/admin/v1` and the `deposit.updated` event
show them, and what those APIs take."""

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Self

from pydantic import Field

from panel.models import (
    Account,
    AccountKind,
    Deposit,
    DepositStatus,
    FeePayer,
    GatewayKind,
    MethodKind,
    PaymentGateway,
    PaymentMethod,
    PaymentReview,
    ReviewOutcome,
    ReviewReason,
)
from panel.plumbing.schemas import (
    Amount,
    MoneyText,
    NonNegativeAmount,
    Out,
    Patch,
    Reason,
    RefId,
    Schema,
)


class MethodOut(Out):
    id: int
    code: str
    name: str
    kind: MethodKind
    fee_flat: MoneyText
    fee_percent: MoneyText
    fee_paid_by: FeePayer = Field(description="buyer: added to what is paid; receiver: absorbed")
    min_amount: MoneyText
    max_amount: MoneyText
    instructions: str = Field(description="for a transfer by hand: the account to pay into")
    currency: str

    @classmethod
    def of(cls, method: PaymentMethod, currency: str) -> Self:
        shown = {name: getattr(method, name) for name in cls.model_fields if name != "currency"}
        return cls.model_validate({**shown, "currency": currency})


class DepositOut(Out):
    id: int
    account_id: int
    method_id: int
    reference: str = Field(
        validation_alias="merchant_ref", description="Pasok's reference, sent to the gateway"
    )
    gateway_reference: str | None
    status: DepositStatus = Field(
        description="pending: waiting for the payment; paid: credited; held: paid to a "
        "reseller whose wallet cannot fund it yet; review: the money came oddly and a person "
        "decides; expired, failed, rejected: nothing credited"
    )
    currency: str
    amount: MoneyText = Field(description="credited to the wallet")
    fee: MoneyText
    fee_paid_by: FeePayer
    unique_code: int | None = Field(description="a transfer by hand: the rupiah added")
    total: MoneyText = Field(description="what to pay, exactly")
    pay_code: str | None = Field(description="a virtual account number or a payment code")
    qr_string: str | None = Field(description="QRIS: the string the QR code encodes")
    checkout_url: str | None
    expires_at: datetime
    paid_at: datetime | None
    note: str
    created_at: datetime

    @classmethod
    def of(cls, deposit: Deposit) -> "DepositOut":
        return cls.model_validate(deposit)


# --- requests ----------------------------------------------------------------------------------

Name = Annotated[str, Field(min_length=1, max_length=100, pattern=r"\S")]
Secret = Annotated[str, Field(max_length=500)]


class DepositCreate(Schema):
    method_id: RefId
    amount: Amount = Field(description="to credit to the wallet; the method's fee may be added")


class GatewayCreate(Schema):
    kind: GatewayKind
    name: Name
    merchant_code: Annotated[str, Field(max_length=100)] = ""
    api_key: Secret = Field(default="", description="Tripay: the API key; never shown again")
    private_key: Secret = Field(
        default="",
        description="Tripay: the private key; a transfer by hand: the statement webhook's "
        "secret. Never shown again",
    )
    production: bool = Field(default=False, description="Tripay: its production API")


class GatewayChange(Patch):
    name: Name | None = None
    enabled: bool | None = None
    merchant_code: Annotated[str, Field(min_length=1, max_length=100)] | None = None
    api_key: Annotated[str, Field(min_length=1, max_length=500)] | None = None
    private_key: Annotated[str, Field(min_length=1, max_length=500)] | None = None
    production: bool | None = None


class MethodPut(Schema):
    """A method added to a gateway, or the one with the same `code` changed."""

    code: Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_-]+$")]
    name: Name
    kind: MethodKind
    min_amount: Amount
    max_amount: Amount
    fee_flat: NonNegativeAmount = Decimal(0)
    fee_percent: Annotated[NonNegativeAmount, Field(lt=100)] = Decimal(0)
    fee_paid_by: FeePayer = FeePayer.buyer
    instructions: Annotated[str, Field(max_length=2000)] = Field(
        default="", description="a transfer by hand: the account to pay into (required)"
    )
    enabled: bool = True


class ChannelImport(Schema):
    fee_paid_by: FeePayer = Field(
        default=FeePayer.buyer, description="for channels not yet offered; others keep theirs"
    )


class TransferRejection(Schema):
    reason: Reason = Field(description="the buyer reads it")


class PaymentDecision(Schema):
    outcome: ReviewOutcome
    note: Reason = Field(description="why; kept with the review")
    amount: Amount | None = Field(
        default=None, description="credited: the amount, by default what the deposit asked for"
    )


# --- responses ---------------------------------------------------------------------------------


class GatewayOut(Out):
    """A gateway as its owner sees it: its secrets are never shown, only whether they are set."""

    id: int
    kind: GatewayKind
    name: str
    currency: str
    merchant_code: str
    api_key_hint: str | None = Field(description="the API key's last 4 characters")
    private_key_set: bool
    production: bool
    enabled: bool
    report_url: str = Field(
        description="paste into the gateway's dashboard: Tripay's callback URL, or the bank "
        "statement webhook of a transfer by hand"
    )
    created_at: datetime

    @classmethod
    def of(cls, gateway: PaymentGateway, report_url: str) -> "GatewayOut":
        return cls(
            id=gateway.id,
            kind=gateway.kind,
            name=gateway.name,
            currency=gateway.currency,
            merchant_code=gateway.merchant_code,
            api_key_hint=gateway.api_key[-4:] if len(gateway.api_key) >= 8 else None,
            private_key_set=bool(gateway.private_key),
            production=gateway.production,
            enabled=gateway.enabled,
            report_url=report_url,
            created_at=gateway.created_at,
        )


class GatewayMethodOut(MethodOut):
    gateway_id: int
    enabled: bool


class DepositPage(Out):
    items: list[DepositOut]
    next_before: int | None = Field(description="`before` for the next page; null at the end")


class DepositRow(DepositOut):
    """A deposit as its receiver (a reseller, or the operator) sees it."""

    receiver_id: int | None = Field(description="the reseller it is paid to; null: the panel")
    gateway_id: int
    account_name: str
    account_kind: AccountKind
    method_name: str
    paid_total: MoneyText | None = Field(description="what the gateway says arrived")
    decided_by_id: int | None

    @classmethod
    def row(cls, deposit: Deposit, account: Account, method: PaymentMethod) -> "DepositRow":
        seen = DepositOut.of(deposit)
        return cls.model_validate(
            {
                **seen.model_dump(),
                "merchant_ref": seen.reference,
                "receiver_id": deposit.receiver_id,
                "gateway_id": deposit.gateway_id,
                "account_name": account.name,
                "account_kind": account.kind,
                "method_name": method.name,
                "paid_total": deposit.paid_total,
                "decided_by_id": deposit.decided_by_id,
            }
        )


class HeldOut(Out):
    """Agencies' deposits paid but waiting because the reseller's wallet is short."""

    count: int
    total: MoneyText = Field(description="what the wallet needs to credit them all")
    currency: str


class DepositRowPage(Out):
    items: list[DepositRow]
    next_before: int | None


class AgencyDepositPage(DepositRowPage):
    held: HeldOut


class PaymentReviewOut(Out):
    """Something a gateway reported that was not credited: a person decides."""

    id: int
    gateway_id: int
    gateway_name: str
    deposit_id: int | None
    deposit_reference: str | None
    account_id: int | None
    reason: ReviewReason
    detail: str
    amount: MoneyText | None = Field(description="what the gateway said was paid")
    body: str = Field(description="the start of what the gateway sent")
    created_at: datetime
    resolved_at: datetime | None
    resolved_by_id: int | None
    outcome: ReviewOutcome | None
    resolution: str

    @classmethod
    def of(
        cls, found: PaymentReview, gateway: PaymentGateway, deposit: Deposit | None
    ) -> "PaymentReviewOut":
        return cls(
            id=found.id,
            gateway_id=gateway.id,
            gateway_name=gateway.name,
            deposit_id=found.deposit_id,
            deposit_reference=deposit.merchant_ref if deposit else None,
            account_id=deposit.account_id if deposit else None,
            reason=found.reason,
            detail=found.detail,
            amount=found.amount,
            body=found.body,
            created_at=found.created_at,
            resolved_at=found.resolved_at,
            resolved_by_id=found.resolved_by_id,
            outcome=found.outcome,
            resolution=found.resolution,
        )
