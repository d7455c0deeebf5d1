"""quality figures

Revision ID: a03949496055
Revises: 968d0c02eb3e
Create Date: 2026-11-23 23:04:59.635066+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a03949496055"
down_revision: str | None = "968d0c02eb3e"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "quality_figures",
        sa.Column("subject", sa.String(length=16), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("orders", sa.Integer(), nullable=False),
        sa.Column("completion_rate", sa.Numeric(precision=7, scale=4), nullable=True),
        sa.Column("partial_rate", sa.Numeric(precision=7, scale=4), nullable=True),
        sa.Column("cancel_rate", sa.Numeric(precision=7, scale=4), nullable=True),
        sa.Column("median_start_s", sa.Integer(), nullable=True),
        sa.Column("median_complete_s", sa.Integer(), nullable=True),
        sa.Column("refills", sa.Integer(), nullable=False),
        sa.Column("refill_success_rate", sa.Numeric(precision=7, scale=4), nullable=True),
        sa.PrimaryKeyConstraint("subject", "subject_id", name=op.f("quality_figures_pkey")),
    )
    op.add_column("order", sa.Column("started_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column("order", "started_at")
    op.drop_table("quality_figures")
