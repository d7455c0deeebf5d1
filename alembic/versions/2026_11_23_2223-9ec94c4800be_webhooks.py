"""webhooks

Revision ID: 9ec94c4800be
Revises: 9f0386d6fa24
Create Date: 2026-11-23 22:23:51.590949+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "9ec94c4800be"
down_revision: str | None = "9f0386d6fa24"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "webhook_endpoint",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("secret", sa.String(length=200), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("webhook_endpoint_account_id_fkey")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("webhook_endpoint_pkey")),
    )
    op.create_index(
        op.f("webhook_endpoint_account_id_idx"), "webhook_endpoint", ["account_id"], unique=False
    )
    op.create_table(
        "order_event",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.Column("old_status", sa.String(length=16), nullable=True),
        sa.Column("new_status", sa.String(length=16), nullable=False),
        sa.Column("fanned_out_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(["order_id"], ["order.id"], name=op.f("order_event_order_id_fkey")),
        sa.PrimaryKeyConstraint("id", name=op.f("order_event_pkey")),
    )
    op.create_index(op.f("order_event_order_id_idx"), "order_event", ["order_id"], unique=False)
    op.create_index(
        "order_event_pending_idx",
        "order_event",
        ["id"],
        unique=False,
        postgresql_where=sa.text("fanned_out_at IS NULL"),
    )
    op.create_table(
        "webhook_delivery",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("endpoint_id", sa.Integer(), nullable=False),
        sa.Column("event_type", sa.String(length=64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "delivered",
                "failed",
                name="deliverystatus",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["endpoint_id"], ["webhook_endpoint.id"], name=op.f("webhook_delivery_endpoint_id_fkey")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("webhook_delivery_pkey")),
    )
    op.create_index(
        "webhook_delivery_due_idx",
        "webhook_delivery",
        ["next_attempt_at"],
        unique=False,
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_index(
        op.f("webhook_delivery_endpoint_id_idx"), "webhook_delivery", ["endpoint_id"], unique=False
    )
    op.create_table(
        "webhook_attempt",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("delivery_id", sa.BigInteger(), nullable=False),
        sa.Column("attempted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["delivery_id"], ["webhook_delivery.id"], name=op.f("webhook_attempt_delivery_id_fkey")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("webhook_attempt_pkey")),
    )
    op.create_index(
        op.f("webhook_attempt_delivery_id_idx"), "webhook_attempt", ["delivery_id"], unique=False
    )

    # Every status change of an order, whichever code made it, becomes an event in the same
    # transaction; only for buyers (or their resellers) with a webhook endpoint, and never for
    # the runs of an emulated drip-feed, which their buyer does not see.
    op.execute(
        """
        CREATE FUNCTION order_status_event() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF NEW.parent_id IS NULL
               AND (TG_OP = 'INSERT' OR OLD.status IS DISTINCT FROM NEW.status)
               AND EXISTS (
                   SELECT 1 FROM webhook_endpoint
                   WHERE account_id IN (NEW.account_id, NEW.reseller_id) AND enabled
               )
            THEN
                INSERT INTO order_event (order_id, old_status, new_status)
                VALUES (NEW.id, CASE WHEN TG_OP = 'UPDATE' THEN OLD.status END, NEW.status);
            END IF;
            RETURN NULL;
        END $$
        """
    )
    op.execute(
        'CREATE TRIGGER order_status_event AFTER INSERT OR UPDATE OF status ON "order" '
        "FOR EACH ROW EXECUTE FUNCTION order_status_event()"
    )


def downgrade() -> None:
    op.execute('DROP TRIGGER order_status_event ON "order"')
    op.execute("DROP FUNCTION order_status_event()")
    op.drop_index(op.f("webhook_attempt_delivery_id_idx"), table_name="webhook_attempt")
    op.drop_table("webhook_attempt")
    op.drop_index(op.f("webhook_delivery_endpoint_id_idx"), table_name="webhook_delivery")
    op.drop_index(
        "webhook_delivery_due_idx",
        table_name="webhook_delivery",
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.drop_table("webhook_delivery")
    op.drop_index(
        "order_event_pending_idx",
        table_name="order_event",
        postgresql_where=sa.text("fanned_out_at IS NULL"),
    )
    op.drop_index(op.f("order_event_order_id_idx"), table_name="order_event")
    op.drop_table("order_event")
    op.drop_index(op.f("webhook_endpoint_account_id_idx"), table_name="webhook_endpoint")
    op.drop_table("webhook_endpoint")
