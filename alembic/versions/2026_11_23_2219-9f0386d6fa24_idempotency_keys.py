"""idempotency keys

Revision ID: 9f0386d6fa24
Revises: fcb6c2dcb577
Create Date: 2026-11-23 22:19:53.023940+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "9f0386d6fa24"
down_revision: str | None = "fcb6c2dcb577"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "idempotency_key",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("response", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("idempotency_key_account_id_fkey")
        ),
        sa.PrimaryKeyConstraint("account_id", "key", name=op.f("idempotency_key_pkey")),
    )
    op.create_index(
        "idempotency_key_created_at_idx", "idempotency_key", ["created_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("idempotency_key_created_at_idx", table_name="idempotency_key")
    op.drop_table("idempotency_key")
