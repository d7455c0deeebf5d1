"""Prepaid digital products: a service kind, the customer number and the serial

Revision ID: c9f6a3e12d43
Revises: b8e5f2d01c32
Create Date: 2026-12-02 17:20:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c9f6a3e12d43"
down_revision: str | None = "b8e5f2d01c32"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "order",
        sa.Column("cost_per_item", sa.Boolean(), server_default="false", nullable=False),
    )
    op.add_column("order", sa.Column("serial", sa.Text(), nullable=True))
    # Widening a varchar is a catalogue change in PostgreSQL: no rewrite of the order table.
    op.alter_column(
        "order",
        "upstream_id",
        existing_type=sa.String(length=64),
        type_=sa.String(length=128),
        existing_nullable=True,
    )


def downgrade() -> None:
    op.alter_column(
        "order",
        "upstream_id",
        existing_type=sa.String(length=128),
        type_=sa.String(length=64),
        existing_nullable=True,
    )
    op.drop_column("order", "serial")
    op.drop_column("order", "cost_per_item")
