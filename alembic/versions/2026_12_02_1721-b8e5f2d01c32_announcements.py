"""Announcements from the operator to resellers and from a reseller to its agencies

Revision ID: b8e5f2d01c32
Revises: a7d4e1c90b21
Create Date: 2026-12-02 17:20:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b8e5f2d01c32"
down_revision: str | None = "a7d4e1c90b21"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "announcement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reseller_id", sa.Integer(), nullable=True),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("body", sa.String(length=4000), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["author_id"], ["account.id"], name=op.f("announcement_author_id_fkey")
        ),
        sa.ForeignKeyConstraint(
            ["reseller_id"], ["account.id"], name=op.f("announcement_reseller_id_fkey")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("announcement_pkey")),
    )
    op.create_index(
        "announcement_reseller_id_id_idx", "announcement", ["reseller_id", "id"], unique=False
    )
    op.create_table(
        "announcement_read",
        sa.Column("announcement_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("announcement_read_account_id_fkey")
        ),
        sa.ForeignKeyConstraint(
            ["announcement_id"],
            ["announcement.id"],
            name=op.f("announcement_read_announcement_id_fkey"),
        ),
        sa.PrimaryKeyConstraint(
            "announcement_id", "account_id", name=op.f("announcement_read_pkey")
        ),
    )


def downgrade() -> None:
    op.drop_table("announcement_read")
    op.drop_index("announcement_reseller_id_id_idx", table_name="announcement")
    op.drop_table("announcement")
