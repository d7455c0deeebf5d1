"""Vouchers and the orders that used them; agencies' points redeemed

Revision ID: b2d3f4a51687
Revises: a1c2e3f40576
Create Date: 2026-12-03 09:10:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b2d3f4a51687"
down_revision: str | None = "a1c2e3f40576"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "voucher",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("issuer_id", sa.Integer(), nullable=True),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("percent", "fixed", name="voucherkind", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("value", sa.Numeric(20, 6), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("service_id", sa.Integer(), nullable=True),
        sa.Column("category", sa.String(length=200), nullable=True),
        sa.Column("min_charge", sa.Numeric(20, 6), nullable=True),
        sa.Column("max_uses", sa.Integer(), nullable=True),
        sa.Column("uses_per_account", sa.Integer(), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint("value > 0", name=op.f("voucher_value_positive_check")),
        sa.CheckConstraint(
            "kind <> 'percent' OR value <= 100", name=op.f("voucher_percent_at_most_100_check")
        ),
        sa.CheckConstraint(
            "max_uses IS NULL OR max_uses > 0", name=op.f("voucher_max_uses_positive_check")
        ),
        sa.CheckConstraint(
            "uses_per_account IS NULL OR uses_per_account > 0",
            name=op.f("voucher_uses_per_account_positive_check"),
        ),
        sa.CheckConstraint(
            "min_charge IS NULL OR min_charge >= 0",
            name=op.f("voucher_min_charge_not_negative_check"),
        ),
        sa.ForeignKeyConstraint(["issuer_id"], ["account.id"], name=op.f("voucher_issuer_id_fkey")),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("voucher_account_id_fkey")
        ),
        sa.ForeignKeyConstraint(
            ["service_id"], ["service.id"], name=op.f("voucher_service_id_fkey")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("voucher_pkey")),
        sa.UniqueConstraint(
            "code",
            "issuer_id",
            name=op.f("voucher_code_issuer_id_key"),
            postgresql_nulls_not_distinct=True,
        ),
    )
    op.create_table(
        "voucher_use",
        sa.Column("order_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("voucher_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("discount", sa.Numeric(20, 6), nullable=False),
        sa.Column("funded", sa.Numeric(20, 6), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint("discount > 0", name=op.f("voucher_use_discount_positive_check")),
        sa.CheckConstraint(
            "funded >= 0 AND funded <= discount",
            name=op.f("voucher_use_funded_within_discount_check"),
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("voucher_use_account_id_fkey")
        ),
        sa.ForeignKeyConstraint(["order_id"], ["order.id"], name=op.f("voucher_use_order_id_fkey")),
        sa.ForeignKeyConstraint(
            ["voucher_id"], ["voucher.id"], name=op.f("voucher_use_voucher_id_fkey")
        ),
        sa.PrimaryKeyConstraint("order_id", name=op.f("voucher_use_pkey")),
    )
    op.create_index(
        "voucher_use_voucher_id_account_id_idx",
        "voucher_use",
        ["voucher_id", "account_id"],
        unique=False,
    )

    op.add_column("level_settings", sa.Column("point_credit", sa.Numeric(20, 6), nullable=True))
    op.create_table(
        "point_redemption",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("amount", sa.Numeric(20, 6), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("credit", "voucher", name="redemptionkind", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("journal_id", sa.BigInteger(), nullable=True),
        sa.Column("voucher_id", sa.Integer(), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint("points > 0", name=op.f("point_redemption_points_positive_check")),
        sa.CheckConstraint("amount > 0", name=op.f("point_redemption_amount_positive_check")),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["account.id"], name=op.f("point_redemption_agency_id_fkey")
        ),
        sa.ForeignKeyConstraint(
            ["journal_id"], ["journal.id"], name=op.f("point_redemption_journal_id_fkey")
        ),
        sa.ForeignKeyConstraint(
            ["voucher_id"], ["voucher.id"], name=op.f("point_redemption_voucher_id_fkey")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("point_redemption_pkey")),
    )
    op.create_index(
        "point_redemption_agency_id_created_at_idx",
        "point_redemption",
        ["agency_id", "created_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("point_redemption_agency_id_created_at_idx", table_name="point_redemption")
    op.drop_table("point_redemption")
    op.drop_column("level_settings", "point_credit")
    op.drop_index("voucher_use_voucher_id_account_id_idx", table_name="voucher_use")
    op.drop_table("voucher_use")
    op.drop_table("voucher")
