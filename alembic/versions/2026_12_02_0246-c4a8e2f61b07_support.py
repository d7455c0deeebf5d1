"""support

Revision ID: c4a8e2f61b07
Revises: 9b3f1c7d2e58
Create Date: 2026-12-02 02:46:05.831980+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c4a8e2f61b07"
down_revision: str | None = "9b3f1c7d2e58"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "complaint_figures",
        sa.Column("subject", sa.String(length=16), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=24), nullable=False),
        sa.Column("tickets", sa.Integer(), nullable=False),
        sa.Column("orders", sa.Integer(), nullable=False),
        sa.Column("per_100", sa.Numeric(precision=9, scale=4), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "subject", "subject_id", "reason", name=op.f("complaint_figures_pkey")
        ),
    )
    op.create_table(
        "canned_reply",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["account.id"], name=op.f("canned_reply_owner_id_fkey")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("canned_reply_pkey")),
    )
    op.create_index(op.f("canned_reply_owner_id_idx"), "canned_reply", ["owner_id"], unique=False)
    op.create_table(
        "notification",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column(
            "channel",
            sa.Enum("email", "telegram", name="channel", native_enum=False, length=24),
            nullable=False,
        ),
        sa.Column("event_key", sa.String(length=100), nullable=False),
        sa.Column("address", sa.String(length=320), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending", "sent", "failed", name="notificationstatus", native_enum=False, length=24
            ),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("notification_account_id_fkey")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("notification_pkey")),
        sa.UniqueConstraint(
            "account_id",
            "channel",
            "event_key",
            name=op.f("notification_account_id_channel_event_key_key"),
        ),
    )
    op.create_index(
        op.f("notification_account_id_idx"), "notification", ["account_id"], unique=False
    )
    op.create_index(
        "notification_due_idx",
        "notification",
        ["next_attempt_at"],
        unique=False,
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_table(
        "notification_target",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.Boolean(), nullable=False),
        sa.Column("telegram_chat_id", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("notification_target_account_id_fkey")
        ),
        sa.PrimaryKeyConstraint("account_id", name=op.f("notification_target_pkey")),
    )
    op.create_table(
        "ticket",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("reseller_id", sa.Integer(), nullable=False),
        sa.Column(
            "topic",
            sa.Enum(
                "order", "payment", "account", name="tickettopic", native_enum=False, length=24
            ),
            nullable=False,
        ),
        sa.Column(
            "reason",
            sa.Enum(
                "not_started",
                "slow",
                "dropped",
                "cancel",
                "partial_no_refund",
                "wrong_link",
                "other",
                name="ticketreason",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("lang", sa.String(length=2), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "open", "answered", "closed", name="ticketstatus", native_enum=False, length=24
            ),
            nullable=False,
        ),
        sa.Column(
            "waiting_on",
            sa.Enum(
                "automation",
                "buyer",
                "reseller",
                "operator",
                name="party",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("escalated", sa.Boolean(), nullable=False),
        sa.Column("upstream_ticket", sa.String(length=100), nullable=True),
        sa.Column("auto_answered", sa.Boolean(), nullable=False),
        sa.Column("last_message_id", sa.BigInteger(), nullable=True),
        sa.Column("first_auto_answer_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("first_human_answer_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
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
            ["account_id"], ["account.id"], name=op.f("ticket_account_id_fkey")
        ),
        sa.ForeignKeyConstraint(
            ["reseller_id"], ["account.id"], name=op.f("ticket_reseller_id_fkey")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("ticket_pkey")),
    )
    op.create_index("ticket_account_id_id_idx", "ticket", ["account_id", "id"], unique=False)
    op.create_index("ticket_reseller_id_id_idx", "ticket", ["reseller_id", "id"], unique=False)
    op.create_index(
        "ticket_waiting_idx",
        "ticket",
        ["waiting_on", "id"],
        unique=False,
        postgresql_where=sa.text("status = 'open'"),
    )
    op.create_table(
        "ticket_message",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("ticket_id", sa.BigInteger(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column(
            "party",
            sa.Enum(
                "automation",
                "buyer",
                "reseller",
                "operator",
                name="party",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["author_id"], ["account.id"], name=op.f("ticket_message_author_id_fkey")
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["ticket.id"], name=op.f("ticket_message_ticket_id_fkey")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("ticket_message_pkey")),
    )
    op.create_index(
        op.f("ticket_message_ticket_id_idx"), "ticket_message", ["ticket_id"], unique=False
    )
    op.create_table(
        "ticket_order",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("ticket_id", sa.BigInteger(), nullable=False),
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=True),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("action", sa.String(length=32), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("settled", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["order.id"], name=op.f("ticket_order_order_id_fkey")
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"], ["provider.id"], name=op.f("ticket_order_provider_id_fkey")
        ),
        sa.ForeignKeyConstraint(
            ["service_id"], ["service.id"], name=op.f("ticket_order_service_id_fkey")
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["ticket.id"], name=op.f("ticket_order_ticket_id_fkey")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("ticket_order_pkey")),
        sa.UniqueConstraint(
            "ticket_id", "order_id", name=op.f("ticket_order_ticket_id_order_id_key")
        ),
    )
    op.create_index(op.f("ticket_order_order_id_idx"), "ticket_order", ["order_id"], unique=False)
    op.create_index(
        op.f("ticket_order_provider_id_idx"), "ticket_order", ["provider_id"], unique=False
    )
    op.create_index(
        op.f("ticket_order_service_id_idx"), "ticket_order", ["service_id"], unique=False
    )
    op.create_index(op.f("ticket_order_ticket_id_idx"), "ticket_order", ["ticket_id"], unique=False)
    op.create_table(
        "ticket_read",
        sa.Column("ticket_id", sa.BigInteger(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("ticket_read_account_id_fkey")
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["ticket.id"], name=op.f("ticket_read_ticket_id_fkey")
        ),
        sa.PrimaryKeyConstraint("ticket_id", "account_id", name=op.f("ticket_read_pkey")),
    )


def downgrade() -> None:
    op.drop_table("ticket_read")
    op.drop_index(op.f("ticket_order_ticket_id_idx"), table_name="ticket_order")
    op.drop_index(op.f("ticket_order_service_id_idx"), table_name="ticket_order")
    op.drop_index(op.f("ticket_order_provider_id_idx"), table_name="ticket_order")
    op.drop_index(op.f("ticket_order_order_id_idx"), table_name="ticket_order")
    op.drop_table("ticket_order")
    op.drop_index(op.f("ticket_message_ticket_id_idx"), table_name="ticket_message")
    op.drop_table("ticket_message")
    op.drop_index(
        "ticket_waiting_idx", table_name="ticket", postgresql_where=sa.text("status = 'open'")
    )
    op.drop_index("ticket_reseller_id_id_idx", table_name="ticket")
    op.drop_index("ticket_account_id_id_idx", table_name="ticket")
    op.drop_table("ticket")
    op.drop_table("notification_target")
    op.drop_index(
        "notification_due_idx",
        table_name="notification",
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.drop_index(op.f("notification_account_id_idx"), table_name="notification")
    op.drop_table("notification")
    op.drop_index(op.f("canned_reply_owner_id_idx"), table_name="canned_reply")
    op.drop_table("canned_reply")
    op.drop_table("complaint_figures")
