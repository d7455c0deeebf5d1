"""Agency levels and points under each reseller's brand

Revision ID: d1a7b4f23e54
Revises: c9f6a3e12d43
Create Date: 2026-12-02 18:30:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "d1a7b4f23e54"
down_revision: str | None = "c9f6a3e12d43"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "agency_level",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reseller_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("target", sa.Integer(), nullable=False),
        sa.Column("markup_percent", sa.Numeric(precision=9, scale=4), nullable=True),
        sa.Column("badge", sa.String(length=16), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("target >= 0", name=op.f("agency_level_target_not_negative_check")),
        sa.CheckConstraint(
            "markup_percent >= -100", name=op.f("agency_level_markup_percent_range_check")
        ),
        sa.ForeignKeyConstraint(
            ["reseller_id"], ["account.id"], name=op.f("agency_level_reseller_id_fkey")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("agency_level_pkey")),
        sa.UniqueConstraint("reseller_id", "name", name="agency_level_name_key"),
        sa.UniqueConstraint("reseller_id", "target", name="agency_level_target_key"),
    )
    op.create_index(
        op.f("agency_level_reseller_id_idx"), "agency_level", ["reseller_id"], unique=False
    )
    op.create_table(
        "level_settings",
        sa.Column("reseller_id", sa.Integer(), nullable=False),
        sa.Column("keep_percent", sa.Numeric(precision=9, scale=4), nullable=False),
        sa.Column("reset_days", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "keep_percent >= 0 AND keep_percent <= 100",
            name=op.f("level_settings_keep_percent_range_check"),
        ),
        sa.CheckConstraint(
            "reset_days >= 7 AND reset_days <= 365",
            name=op.f("level_settings_reset_days_range_check"),
        ),
        sa.ForeignKeyConstraint(
            ["reseller_id"], ["account.id"], name=op.f("level_settings_reseller_id_fkey")
        ),
        sa.PrimaryKeyConstraint("reseller_id", name=op.f("level_settings_pkey")),
    )
    op.create_table(
        "agency_standing",
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("level_id", sa.Integer(), nullable=True),
        sa.Column("period_started_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["account.id"], name=op.f("agency_standing_agency_id_fkey")
        ),
        sa.ForeignKeyConstraint(
            ["level_id"],
            ["agency_level.id"],
            name=op.f("agency_standing_level_id_fkey"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("agency_id", name=op.f("agency_standing_pkey")),
    )
    op.create_index(
        op.f("agency_standing_level_id_idx"), "agency_standing", ["level_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("agency_standing_level_id_idx"), table_name="agency_standing")
    op.drop_table("agency_standing")
    op.drop_table("level_settings")
    op.drop_index(op.f("agency_level_reseller_id_idx"), table_name="agency_level")
    op.drop_table("agency_level")
