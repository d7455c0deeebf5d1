"""earned tiers

Revision ID: 968d0c02eb3e
Revises: 150289664a3a
Create Date: 2026-11-23 22:40:51.139470+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "968d0c02eb3e"
down_revision: str | None = "150289664a3a"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "tier_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("from_tier_id", sa.Integer(), nullable=True),
        sa.Column("to_tier_id", sa.Integer(), nullable=True),
        sa.Column("spend_90d", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("tier_change_account_id_fkey")
        ),
        sa.ForeignKeyConstraint(
            ["from_tier_id"], ["tier.id"], name=op.f("tier_change_from_tier_id_fkey")
        ),
        sa.ForeignKeyConstraint(
            ["to_tier_id"], ["tier.id"], name=op.f("tier_change_to_tier_id_fkey")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("tier_change_pkey")),
    )
    op.create_index(op.f("tier_change_account_id_idx"), "tier_change", ["account_id"], unique=False)
    op.add_column(
        "account", sa.Column("tier_below_since", sa.DateTime(timezone=True), nullable=True)
    )


def downgrade() -> None:
    op.drop_column("account", "tier_below_since")
    op.drop_index(op.f("tier_change_account_id_idx"), table_name="tier_change")
    op.drop_table("tier_change")
