"""operator console

Revision ID: e17b9a3c5d20
Revises: c4a8e2f61b07
Create Date: 2026-12-02 03:17:46.413078+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "e17b9a3c5d20"
down_revision: str | None = "c4a8e2f61b07"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "operator_action",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("subject_type", sa.String(length=32), nullable=False),
        sa.Column("subject_id", sa.BigInteger(), nullable=True),
        sa.Column("before", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("after", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["account.id"], name=op.f("operator_action_actor_id_fkey")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("operator_action_pkey")),
    )
    op.create_index(
        "operator_action_actor_id_id_idx", "operator_action", ["actor_id", "id"], unique=False
    )
    op.create_index(
        "operator_action_subject_idx",
        "operator_action",
        ["subject_type", "subject_id", "id"],
        unique=False,
    )
    op.create_table(
        "upstream_call",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("outcome", sa.String(length=32), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("called_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["order.id"], name=op.f("upstream_call_order_id_fkey")
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"], ["provider.id"], name=op.f("upstream_call_provider_id_fkey")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("upstream_call_pkey")),
    )
    op.create_index(op.f("upstream_call_order_id_idx"), "upstream_call", ["order_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("upstream_call_order_id_idx"), table_name="upstream_call")
    op.drop_table("upstream_call")
    op.drop_index("operator_action_subject_idx", table_name="operator_action")
    op.drop_index("operator_action_actor_id_id_idx", table_name="operator_action")
    op.drop_table("operator_action")
