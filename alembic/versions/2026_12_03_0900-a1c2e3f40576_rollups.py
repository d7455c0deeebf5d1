"""Roll-ups kept beside the ledger

Revision ID: a1c2e3f40576
Revises: f4c9d6b45a76
Create Date: 2026-12-03 09:00:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a1c2e3f40576"
down_revision: str | None = "f4c9d6b45a76"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MONEY = sa.Numeric(precision=20, scale=6)
MEASURES = ("buyer_kept", "reseller_kept", "cost", "margin", "fx", "provider_cost")


def upgrade() -> None:
    op.create_table(
        "settled_day",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("reseller_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("journals", sa.Integer(), nullable=False),
        sa.Column("booked", sa.Integer(), nullable=False),
        sa.Column("orders", sa.Integer(), nullable=False),
        *(sa.Column(name, MONEY, nullable=False) for name in MEASURES),
        sa.ForeignKeyConstraint(
            ["reseller_id"], ["account.id"], name=op.f("settled_day_reseller_id_fkey")
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("settled_day_account_id_fkey")
        ),
        sa.ForeignKeyConstraint(
            ["service_id"], ["service.id"], name=op.f("settled_day_service_id_fkey")
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"], ["provider.id"], name=op.f("settled_day_provider_id_fkey")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("settled_day_pkey")),
    )
    op.create_index(
        "settled_day_key_idx",
        "settled_day",
        ["day", "reseller_id", "account_id", "service_id", "provider_id", "currency"],
        unique=True,
        postgresql_nulls_not_distinct=True,
    )
    op.create_index("settled_day_account_id_day_idx", "settled_day", ["account_id", "day"])
    op.create_table(
        "rollup_checkpoint",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("journal_id", sa.BigInteger(), nullable=False),
        sa.Column("folded_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("rollup_checkpoint_one_checkpoint_check")),
        sa.PrimaryKeyConstraint("id", name=op.f("rollup_checkpoint_pkey")),
    )


def downgrade() -> None:
    op.drop_table("rollup_checkpoint")
    op.drop_index("settled_day_account_id_day_idx", table_name="settled_day")
    op.drop_index("settled_day_key_idx", table_name="settled_day")
    op.drop_table("settled_day")
