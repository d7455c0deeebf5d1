from datetime import datetime

from pydantic import Field

from panel.models import ApiKeyKind
from panel.schemas import Out, Schema


class KeyCreate(Schema):
    label: str = Field(default="", max_length=100)


class KeyOut(Out):
    id: int
    account_id: int
    kind: ApiKeyKind
    label: str
    lookup_prefix: str
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None


class IssuedKeyOut(KeyOut):
    key: str = Field(description="The key itself. Shown this once; Pasok keeps only its hash.")
