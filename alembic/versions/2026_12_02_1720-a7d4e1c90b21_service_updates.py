"""Service updates: what changed in the catalogue, for each buyer's feed

Revision ID: a7d4e1c90b21
Revises: f3a9c2d81e44
Create Date: 2026-12-02 17:20:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a7d4e1c90b21"
down_revision: str | None = "f3a9c2d81e44"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "service_update",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column(
            "change",
            sa.Enum(
                "added",
                "price",
                "limits",
                "disabled",
                "enabled",
                "refill",
                "cancel",
                name="servicechange",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("cost_before", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("cost_after", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("min_before", sa.Integer(), nullable=True),
        sa.Column("min_after", sa.Integer(), nullable=True),
        sa.Column("max_before", sa.Integer(), nullable=True),
        sa.Column("max_after", sa.Integer(), nullable=True),
        sa.Column("allowed_before", sa.Boolean(), nullable=True),
        sa.Column("allowed_after", sa.Boolean(), nullable=True),
        sa.Column("fanned_out_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["service_id"], ["service.id"], name=op.f("service_update_service_id_fkey")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("service_update_pkey")),
    )
    op.create_index(
        op.f("service_update_service_id_idx"), "service_update", ["service_id"], unique=False
    )
    op.create_index(
        "service_update_pending_idx",
        "service_update",
        ["id"],
        unique=False,
        postgresql_where=sa.text("fanned_out_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index(
        "service_update_pending_idx",
        table_name="service_update",
        postgresql_where=sa.text("fanned_out_at IS NULL"),
    )
    op.drop_index(op.f("service_update_service_id_idx"), table_name="service_update")
    op.drop_table("service_update")
