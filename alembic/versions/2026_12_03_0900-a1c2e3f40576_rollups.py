"""Roll-ups kept beside the ledger

Revision ID: a1c2e3f40576
Revises: f4c9d6b45a76
Create Date: 2026-12-03 09:00:00.000000+00:00
"""

from collections.abc import Sequence

revision: str = "a1c2e3f40576"
down_revision: str | None = "f4c9d6b45a76"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
