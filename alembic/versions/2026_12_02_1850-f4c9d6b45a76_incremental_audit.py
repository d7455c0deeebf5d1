"""The incremental ledger audit: its checkpoint and each account's sum up to it

Revision ID: f4c9d6b45a76
Revises: e2b8c5a34f65
Create Date: 2026-12-02 18:50:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "f4c9d6b45a76"
down_revision: str | None = "e2b8c5a34f65"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_checkpoint",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.BigInteger(), nullable=False),
        sa.Column("journal_id", sa.BigInteger(), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("audit_checkpoint_one_checkpoint_check")),
        sa.PrimaryKeyConstraint("id", name=op.f("audit_checkpoint_pkey")),
    )
    op.create_table(
        "audit_mark",
        sa.Column("ledger_account_id", sa.Integer(), nullable=False),
        sa.Column("total", sa.Numeric(precision=20, scale=6), nullable=False),
        sa.ForeignKeyConstraint(
            ["ledger_account_id"],
            ["ledger_account.id"],
            name=op.f("audit_mark_ledger_account_id_fkey"),
        ),
        sa.PrimaryKeyConstraint("ledger_account_id", name=op.f("audit_mark_pkey")),
    )


def downgrade() -> None:
    op.drop_table("audit_mark")
    op.drop_table("audit_checkpoint")
