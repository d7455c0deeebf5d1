"""currencies

Revision ID: 6dffdab1b6e9
Revises: 1825ee03d38c
Create Date: 2026-12-01 22:10:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from panel.config import Settings

revision: str = "6dffdab1b6e9"
down_revision: str | None = "1825ee03d38c"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RATE = sa.Numeric(precision=20, scale=10)


def upgrade() -> None:
    op.create_table(
        "exchange_rate",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("rate", RATE, nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("set_by_id", sa.Integer(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["set_by_id"], ["account.id"], name=op.f("exchange_rate_set_by_id_fkey")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("exchange_rate_pkey")),
    )
    op.create_index(
        "exchange_rate_currency_created_at_idx",
        "exchange_rate",
        ["currency", "created_at"],
        unique=False,
    )
    # Existing providers were priced as if in the panel's currency: they are in it now, and
    # their costs are their rates at 1, so nothing changes for a panel already running.
    currency = Settings().currency
    op.add_column(
        "provider",
        sa.Column("currency", sa.String(length=3), server_default=currency, nullable=False),
    )
    op.alter_column("provider", "currency", server_default=None)
    op.add_column("provider", sa.Column("reported_currency", sa.String(length=3), nullable=True))
    op.add_column(
        "provider_service", sa.Column("cost", sa.Numeric(precision=20, scale=6), nullable=True)
    )
    op.add_column("provider_service", sa.Column("exchange_rate", RATE, nullable=True))
    op.execute("UPDATE provider_service SET cost = rate, exchange_rate = 1")
    # Orders sent before this have none of these: settlement books them at their cost rate, as
    # before.
    op.add_column("order", sa.Column("provider_currency", sa.String(length=3), nullable=True))
    op.add_column("order", sa.Column("exchange_rate", RATE, nullable=True))
    op.add_column(
        "order",
        sa.Column("converted_cost_rate", sa.Numeric(precision=20, scale=6), nullable=True),
    )
    op.execute(
        "INSERT INTO ledger_account (code, kind) VALUES ('fx', 'fx') ON CONFLICT (code) DO NOTHING"
    )


def downgrade() -> None:
    op.execute(
        "DELETE FROM ledger_account WHERE code = 'fx' "
        "AND NOT EXISTS (SELECT FROM entry WHERE entry.ledger_account_id = ledger_account.id)"
    )
    op.drop_column("order", "converted_cost_rate")
    op.drop_column("order", "exchange_rate")
    op.drop_column("order", "provider_currency")
    op.drop_column("provider_service", "exchange_rate")
    op.drop_column("provider_service", "cost")
    op.drop_column("provider", "reported_currency")
    op.drop_column("provider", "currency")
    op.drop_index("exchange_rate_currency_created_at_idx", table_name="exchange_rate")
    op.drop_table("exchange_rate")
