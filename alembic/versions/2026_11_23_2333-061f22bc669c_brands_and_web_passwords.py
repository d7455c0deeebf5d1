"""brands and web passwords

Revision ID: 061f22bc669c
Revises: a03949496055
Create Date: 2026-11-23 23:33:12.695400+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "061f22bc669c"
down_revision: str | None = "a03949496055"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "brand",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reseller_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("logo_url", sa.String(length=2048), nullable=True),
        sa.Column("primary_color", sa.String(length=7), nullable=False),
        sa.Column("accent_color", sa.String(length=7), nullable=False),
        sa.Column("whatsapp_url", sa.String(length=2048), nullable=True),
        sa.Column("payment_instructions", sa.Text(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["reseller_id"], ["account.id"], name=op.f("brand_reseller_id_fkey")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("brand_pkey")),
        sa.UniqueConstraint("reseller_id", name=op.f("brand_reseller_id_key")),
    )
    op.create_table(
        "brand_host",
        sa.Column("host", sa.String(length=253), nullable=False),
        sa.Column("brand_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["brand_id"], ["brand.id"], name=op.f("brand_host_brand_id_fkey")),
        sa.PrimaryKeyConstraint("host", name=op.f("brand_host_pkey")),
    )
    op.create_index(op.f("brand_host_brand_id_idx"), "brand_host", ["brand_id"], unique=False)
    op.add_column("account", sa.Column("password_hash", sa.String(length=200), nullable=True))


def downgrade() -> None:
    op.drop_column("account", "password_hash")
    op.drop_index(op.f("brand_host_brand_id_idx"), table_name="brand_host")
    op.drop_table("brand_host")
    op.drop_table("brand")
