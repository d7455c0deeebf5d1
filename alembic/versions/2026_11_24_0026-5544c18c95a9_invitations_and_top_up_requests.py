"""invitations and top-up requests

Revision ID: 5544c18c95a9
Revises: 061f22bc669c
Create Date: 2026-11-24 00:26:59.017472+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5544c18c95a9"
down_revision: str | None = "061f22bc669c"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "invitation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_digest", sa.String(length=64), nullable=False),
        sa.Column("reseller_id", sa.Integer(), nullable=True),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("used_by_id", sa.Integer(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "(reseller_id IS NULL) <> (account_id IS NULL)",
            name=op.f("invitation_one_purpose_check"),
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("invitation_account_id_fkey")
        ),
        sa.ForeignKeyConstraint(
            ["reseller_id"], ["account.id"], name=op.f("invitation_reseller_id_fkey")
        ),
        sa.ForeignKeyConstraint(
            ["used_by_id"], ["account.id"], name=op.f("invitation_used_by_id_fkey")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("invitation_pkey")),
        sa.UniqueConstraint("token_digest", name=op.f("invitation_token_digest_key")),
    )
    op.create_index(op.f("invitation_reseller_id_idx"), "invitation", ["reseller_id"], unique=False)
    op.create_table(
        "top_up_request",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("reseller_id", sa.Integer(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=20, scale=6), nullable=False),
        sa.Column("reference", sa.String(length=200), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending", "approved", "rejected", name="topupstatus", native_enum=False, length=16
            ),
            nullable=False,
        ),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("journal_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("top_up_request_account_id_fkey")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["account.id"], name=op.f("top_up_request_decided_by_id_fkey")
        ),
        sa.ForeignKeyConstraint(
            ["journal_id"], ["journal.id"], name=op.f("top_up_request_journal_id_fkey")
        ),
        sa.ForeignKeyConstraint(
            ["reseller_id"], ["account.id"], name=op.f("top_up_request_reseller_id_fkey")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("top_up_request_pkey")),
    )
    op.create_index(
        op.f("top_up_request_account_id_idx"), "top_up_request", ["account_id"], unique=False
    )
    op.create_index(
        op.f("top_up_request_reseller_id_idx"), "top_up_request", ["reseller_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("top_up_request_reseller_id_idx"), table_name="top_up_request")
    op.drop_index(op.f("top_up_request_account_id_idx"), table_name="top_up_request")
    op.drop_table("top_up_request")
    op.drop_index(op.f("invitation_reseller_id_idx"), table_name="invitation")
    op.drop_table("invitation")
