from datetime import datetime

from pydantic import EmailStr, Field

from panel.models import AccountKind, AccountStatus
from panel.plumbing.schemas import MoneyText, Out, Patch, RefId, Schema


class AccountCreate(Schema):
    kind: AccountKind
    name: str = Field(min_length=1, max_length=200)
    email: EmailStr | None = None
    parent_id: RefId | None = Field(default=None, description="The reseller of an agency")
    tier_id: RefId | None = None


class AccountUpdate(Patch):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    status: AccountStatus | None = None
    tier_id: RefId | None = None


class OperatorCreate(Schema):
    name: str = Field(min_length=1, max_length=200)
    email: EmailStr


class AccountOut(Out):
    id: int
    kind: AccountKind
    name: str
    email: str | None
    status: AccountStatus
    parent_id: RefId | None
    tier_id: RefId | None
    balance: MoneyText | None = Field(description="Wallet balance; none for operators")
    currency: str
    created_at: datetime


class OperatorMade(Out):
    account: AccountOut
    path: str = Field(description="The one-time link to choose a password; it works once")
    expires_at: datetime
