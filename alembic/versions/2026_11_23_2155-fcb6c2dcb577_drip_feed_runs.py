"""drip-feed runs

Revision ID: fcb6c2dcb577
Revises: 696702a1b888
Create Date: 2026-11-23 21:55:23.799469+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "fcb6c2dcb577"
down_revision: str | None = "696702a1b888"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("order", sa.Column("parent_id", sa.BigInteger(), nullable=True))
    op.create_index(
        "order_emulated_idx",
        "order",
        ["id"],
        unique=False,
        postgresql_where=sa.text("status = 'in_progress' AND upstream_id IS NULL"),
    )
    op.create_index(
        "order_parent_id_idx",
        "order",
        ["parent_id"],
        unique=False,
        postgresql_where=sa.text("parent_id IS NOT NULL"),
    )
    op.create_foreign_key(op.f("order_parent_id_fkey"), "order", "order", ["parent_id"], ["id"])


def downgrade() -> None:
    op.drop_constraint(op.f("order_parent_id_fkey"), "order", type_="foreignkey")
    op.drop_index(
        "order_parent_id_idx", table_name="order", postgresql_where=sa.text("parent_id IS NOT NULL")
    )
    op.drop_index(
        "order_emulated_idx",
        table_name="order",
        postgresql_where=sa.text("status = 'in_progress' AND upstream_id IS NULL"),
    )
    op.drop_column("order", "parent_id")
