"""Retention of the tables that only grow

Revision ID: c3e4a5b62798
Revises: b2d3f4a51687
Create Date: 2026-12-03 09:20:00.000000+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "c3e4a5b62798"
down_revision: str | None = "b2d3f4a51687"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# One index per purge, on the age it deletes by, so a purge walks the oldest rows first and
# an empty purge costs one index probe instead of a scan.
INDEXES = (
    ("order_event_fanned_out_at_idx", "order_event", "fanned_out_at"),
    ("webhook_delivery_created_at_idx", "webhook_delivery", "created_at"),
    ("notification_created_at_idx", "notification", "created_at"),
    ("sign_in_at_idx", "sign_in", "at"),
    ("upstream_call_called_at_idx", "upstream_call", "called_at"),
    ("service_update_created_at_idx", "service_update", "created_at"),
    ("provider_service_cost_created_at_idx", "provider_service_cost", "created_at"),
)


def upgrade() -> None:
    # Built concurrently: these tables are the panel's largest, and a plain CREATE INDEX would
    # hold off their writes (every order's status change writes an order_event) until built.
    with op.get_context().autocommit_block():
        for name, table, column in INDEXES:
            op.create_index(name, table, [column], postgresql_concurrently=True)


def downgrade() -> None:
    with op.get_context().autocommit_block():
        for name, table, _ in reversed(INDEXES):
            op.drop_index(name, table_name=table, postgresql_concurrently=True)
