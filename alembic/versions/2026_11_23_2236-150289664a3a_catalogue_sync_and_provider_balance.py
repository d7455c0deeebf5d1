"""catalogue sync and provider balance

Revision ID: 150289664a3a
Revises: 9ec94c4800be
Create Date: 2026-11-23 22:36:34.616948+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "150289664a3a"
down_revision: str | None = "9ec94c4800be"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "provider_service_cost",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("provider_service_id", sa.Integer(), nullable=False),
        sa.Column("rate", sa.Numeric(precision=20, scale=6), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["provider_service_id"],
            ["provider_service.id"],
            name=op.f("provider_service_cost_provider_service_id_fkey"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("provider_service_cost_pkey")),
    )
    op.create_index(
        op.f("provider_service_cost_provider_service_id_idx"),
        "provider_service_cost",
        ["provider_service_id"],
        unique=False,
    )
    op.add_column(
        "provider", sa.Column("balance", sa.Numeric(precision=20, scale=6), nullable=True)
    )
    op.add_column(
        "provider", sa.Column("balance_checked_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column(
        "provider",
        sa.Column(
            "low_balance", sa.Numeric(precision=20, scale=6), server_default="0", nullable=False
        ),
    )


def downgrade() -> None:
    op.drop_column("provider", "low_balance")
    op.drop_column("provider", "balance_checked_at")
    op.drop_column("provider", "balance")
    op.drop_index(
        op.f("provider_service_cost_provider_service_id_idx"), table_name="provider_service_cost"
    )
    op.drop_table("provider_service_cost")
