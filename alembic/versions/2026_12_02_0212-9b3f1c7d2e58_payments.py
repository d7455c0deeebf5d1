"""payments

Revision ID: 9b3f1c7d2e58
Revises: 6dffdab1b6e9
Create Date: 2026-12-02 02:12:34.418583+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "9b3f1c7d2e58"
down_revision: str | None = "6dffdab1b6e9"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "payment_gateway",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column(
            "kind",
            sa.Enum("tripay", "manual", name="gatewaykind", native_enum=False, length=24),
            nullable=False,
        ),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("merchant_code", sa.String(length=100), nullable=False),
        sa.Column("api_key", sa.String(length=500), nullable=False),
        sa.Column("private_key", sa.String(length=500), nullable=False),
        sa.Column("production", sa.Boolean(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["account.id"], name=op.f("payment_gateway_owner_id_fkey")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("payment_gateway_pkey")),
    )
    op.create_index(
        op.f("payment_gateway_owner_id_idx"), "payment_gateway", ["owner_id"], unique=False
    )
    op.create_table(
        "payment_method",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("gateway_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "qris",
                "virtual_account",
                "retail",
                "transfer",
                "ewallet",
                name="methodkind",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("fee_flat", sa.Numeric(precision=20, scale=6), nullable=False),
        sa.Column("fee_percent", sa.Numeric(precision=9, scale=4), nullable=False),
        sa.Column(
            "fee_paid_by",
            sa.Enum("buyer", "receiver", name="feepayer", native_enum=False, length=24),
            nullable=False,
        ),
        sa.Column("min_amount", sa.Numeric(precision=20, scale=6), nullable=False),
        sa.Column("max_amount", sa.Numeric(precision=20, scale=6), nullable=False),
        sa.Column("instructions", sa.Text(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["gateway_id"], ["payment_gateway.id"], name=op.f("payment_method_gateway_id_fkey")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("payment_method_pkey")),
        sa.UniqueConstraint("gateway_id", "code", name=op.f("payment_method_gateway_id_code_key")),
    )
    op.create_index(
        op.f("payment_method_gateway_id_idx"), "payment_method", ["gateway_id"], unique=False
    )
    op.create_table(
        "deposit",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("receiver_id", sa.Integer(), nullable=True),
        sa.Column("gateway_id", sa.Integer(), nullable=False),
        sa.Column("method_id", sa.Integer(), nullable=False),
        sa.Column("merchant_ref", sa.String(length=64), nullable=False),
        sa.Column("gateway_reference", sa.String(length=100), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "paid",
                "held",
                "review",
                "expired",
                "failed",
                "rejected",
                name="depositstatus",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount", sa.Numeric(precision=20, scale=6), nullable=False),
        sa.Column("fee", sa.Numeric(precision=20, scale=6), nullable=False),
        sa.Column(
            "fee_paid_by",
            sa.Enum("buyer", "receiver", name="feepayer", native_enum=False, length=24),
            nullable=False,
        ),
        sa.Column("unique_code", sa.Integer(), nullable=True),
        sa.Column("total", sa.Numeric(precision=20, scale=6), nullable=False),
        sa.Column("pay_code", sa.String(length=100), nullable=True),
        sa.Column("qr_string", sa.Text(), nullable=True),
        sa.Column("checkout_url", sa.String(length=1000), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("paid_total", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("fee_taken", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("journal_id", sa.BigInteger(), nullable=True),
        sa.Column("next_check_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("checks", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("deposit_account_id_fkey")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["account.id"], name=op.f("deposit_decided_by_id_fkey")
        ),
        sa.ForeignKeyConstraint(
            ["gateway_id"], ["payment_gateway.id"], name=op.f("deposit_gateway_id_fkey")
        ),
        sa.ForeignKeyConstraint(
            ["journal_id"], ["journal.id"], name=op.f("deposit_journal_id_fkey")
        ),
        sa.ForeignKeyConstraint(
            ["method_id"], ["payment_method.id"], name=op.f("deposit_method_id_fkey")
        ),
        sa.ForeignKeyConstraint(
            ["receiver_id"], ["account.id"], name=op.f("deposit_receiver_id_fkey")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("deposit_pkey")),
        sa.UniqueConstraint(
            "gateway_id", "gateway_reference", name=op.f("deposit_gateway_id_gateway_reference_key")
        ),
        sa.UniqueConstraint("merchant_ref", name=op.f("deposit_merchant_ref_key")),
    )
    op.create_index("deposit_account_id_id_idx", "deposit", ["account_id", "id"], unique=False)
    op.create_index(
        "deposit_due_check_idx",
        "deposit",
        ["next_check_at"],
        unique=False,
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_index(
        "deposit_open_total_idx",
        "deposit",
        ["gateway_id", "total"],
        unique=True,
        postgresql_where=sa.text("status = 'pending' AND unique_code IS NOT NULL"),
    )
    op.create_index("deposit_receiver_id_id_idx", "deposit", ["receiver_id", "id"], unique=False)
    op.create_table(
        "payment_review",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("gateway_id", sa.Integer(), nullable=False),
        sa.Column("deposit_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "reason",
            sa.Enum(
                "bad_signature",
                "malformed",
                "unknown_reference",
                "amount_mismatch",
                "currency_mismatch",
                "merchant_mismatch",
                "after_expiry",
                "after_failure",
                "refund_after_credit",
                "unmatched_transfer",
                name="reviewreason",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_by_id", sa.Integer(), nullable=True),
        sa.Column(
            "outcome",
            sa.Enum("credited", "dismissed", name="reviewoutcome", native_enum=False, length=24),
            nullable=True,
        ),
        sa.Column("resolution", sa.Text(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["deposit_id"], ["deposit.id"], name=op.f("payment_review_deposit_id_fkey")
        ),
        sa.ForeignKeyConstraint(
            ["gateway_id"], ["payment_gateway.id"], name=op.f("payment_review_gateway_id_fkey")
        ),
        sa.ForeignKeyConstraint(
            ["resolved_by_id"], ["account.id"], name=op.f("payment_review_resolved_by_id_fkey")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("payment_review_pkey")),
    )
    op.create_index(
        op.f("payment_review_deposit_id_idx"), "payment_review", ["deposit_id"], unique=False
    )
    op.create_index(
        op.f("payment_review_gateway_id_idx"), "payment_review", ["gateway_id"], unique=False
    )
    op.create_index(
        "payment_review_open_idx",
        "payment_review",
        ["id"],
        unique=False,
        postgresql_where=sa.text("resolved_at IS NULL"),
    )
    op.create_table(
        "payment_statement_line",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("gateway_id", sa.Integer(), nullable=False),
        sa.Column("line_id", sa.String(length=100), nullable=False),
        sa.Column("amount", sa.Numeric(precision=20, scale=6), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("deposit_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["deposit_id"], ["deposit.id"], name=op.f("payment_statement_line_deposit_id_fkey")
        ),
        sa.ForeignKeyConstraint(
            ["gateway_id"],
            ["payment_gateway.id"],
            name=op.f("payment_statement_line_gateway_id_fkey"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("payment_statement_line_pkey")),
        sa.UniqueConstraint(
            "gateway_id", "line_id", name=op.f("payment_statement_line_gateway_id_line_id_key")
        ),
    )
    # What gateways keep of deposits, beside , so fees are a figure of their own.
    op.execute(
        "INSERT INTO ledger_account (code, kind) VALUES ('payment_fees', 'payment_fees') "
        "ON CONFLICT (code) DO NOTHING"
    )


def downgrade() -> None:
    op.execute(
        "DELETE FROM ledger_account WHERE code = 'payment_fees' "
        "AND NOT EXISTS (SELECT FROM entry WHERE entry.ledger_account_id = ledger_account.id)"
    )
    op.drop_table("payment_statement_line")
    op.drop_index(
        "payment_review_open_idx",
        table_name="payment_review",
        postgresql_where=sa.text("resolved_at IS NULL"),
    )
    op.drop_index(op.f("payment_review_gateway_id_idx"), table_name="payment_review")
    op.drop_index(op.f("payment_review_deposit_id_idx"), table_name="payment_review")
    op.drop_table("payment_review")
    op.drop_index("deposit_receiver_id_id_idx", table_name="deposit")
    op.drop_index(
        "deposit_open_total_idx",
        table_name="deposit",
        postgresql_where=sa.text("status = 'pending' AND unique_code IS NOT NULL"),
    )
    op.drop_index(
        "deposit_due_check_idx",
        table_name="deposit",
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.drop_index("deposit_account_id_id_idx", table_name="deposit")
    op.drop_table("deposit")
    op.drop_index(op.f("payment_method_gateway_id_idx"), table_name="payment_method")
    op.drop_table("payment_method")
    op.drop_index(op.f("payment_gateway_owner_id_idx"), table_name="payment_gateway")
    op.drop_table("payment_gateway")
