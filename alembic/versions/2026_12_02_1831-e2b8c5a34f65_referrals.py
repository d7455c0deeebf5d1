"""Referral commissions from settled margin

Revision ID: e2b8c5a34f65
Revises: d1a7b4f23e54
Create Date: 2026-12-02 18:30:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e2b8c5a34f65"
down_revision: str | None = "d1a7b4f23e54"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _created_at() -> sa.Column[sa.DateTime]:
    return sa.Column(
        "created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
    )


def upgrade() -> None:
    op.create_table(
        "referral_terms",
        sa.Column("reseller_id", sa.Integer(), nullable=False),
        sa.Column("share_percent", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("days > 0 AND days <= 3650", name=op.f("referral_terms_days_check")),
        sa.CheckConstraint(
            "share_percent >= 0 AND share_percent <= 100",
            name=op.f("referral_terms_share_percent_check"),
        ),
        sa.ForeignKeyConstraint(
            ["reseller_id"], ["account.id"], name=op.f("referral_terms_reseller_id_fkey")
        ),
        sa.PrimaryKeyConstraint("reseller_id", name=op.f("referral_terms_pkey")),
    )
    op.create_table(
        "referral_link",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        _created_at(),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("referral_link_account_id_fkey")
        ),
        sa.PrimaryKeyConstraint("account_id", name=op.f("referral_link_pkey")),
        sa.UniqueConstraint("code", name=op.f("referral_link_code_key")),
    )
    op.create_table(
        "referral",
        sa.Column("referred_id", sa.Integer(), nullable=False),
        sa.Column("referrer_id", sa.Integer(), nullable=False),
        sa.Column("until", sa.DateTime(timezone=True), nullable=False),
        _created_at(),
        sa.CheckConstraint("referrer_id <> referred_id", name=op.f("referral_not_self_check")),
        sa.ForeignKeyConstraint(
            ["referred_id"], ["account.id"], name=op.f("referral_referred_id_fkey")
        ),
        sa.ForeignKeyConstraint(
            ["referrer_id"], ["account.id"], name=op.f("referral_referrer_id_fkey")
        ),
        sa.PrimaryKeyConstraint("referred_id", name=op.f("referral_pkey")),
    )
    op.create_index(op.f("referral_referrer_id_idx"), "referral", ["referrer_id"], unique=False)
    op.create_table(
        "referral_commission",
        sa.Column("order_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("referrer_id", sa.Integer(), nullable=False),
        sa.Column("referred_id", sa.Integer(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=20, scale=6), nullable=False),
        _created_at(),
        sa.CheckConstraint("amount > 0", name=op.f("referral_commission_amount_positive_check")),
        sa.ForeignKeyConstraint(
            ["order_id"], ["order.id"], name=op.f("referral_commission_order_id_fkey")
        ),
        sa.ForeignKeyConstraint(
            ["referred_id"], ["account.id"], name=op.f("referral_commission_referred_id_fkey")
        ),
        sa.ForeignKeyConstraint(
            ["referrer_id"], ["account.id"], name=op.f("referral_commission_referrer_id_fkey")
        ),
        sa.PrimaryKeyConstraint("order_id", name=op.f("referral_commission_pkey")),
    )
    op.create_index(
        "referral_commission_referrer_id_order_id_idx",
        "referral_commission",
        ["referrer_id", "order_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("referral_commission_referrer_id_order_id_idx", table_name="referral_commission")
    op.drop_table("referral_commission")
    op.drop_index(op.f("referral_referrer_id_idx"), table_name="referral")
    op.drop_table("referral")
    op.drop_table("referral_link")
    op.drop_table("referral_terms")
