"""Order indexes for a long history: listings by buyer, the review queue, operator search

Revision ID: d4e5f6a7b809
Revises: c3e4a5b62798
Create Date: 2026-12-03 10:00:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "d4e5f6a7b809"
down_revision: str | None = "c3e4a5b62798"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Built concurrently: `order` is the panel's largest table, and a plain CREATE INDEX would
    # hold off every new order until it is built. The new listing indexes come before the old
    # ones go, so buyers' lookups never lack an index.
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    with op.get_context().autocommit_block():
        op.create_index(
            "order_account_id_id_idx", "order", ["account_id", "id"], postgresql_concurrently=True
        )
        op.create_index(
            "order_reseller_id_id_idx", "order", ["reseller_id", "id"], postgresql_concurrently=True
        )
        op.drop_index("order_account_id_idx", table_name="order", postgresql_concurrently=True)
        op.drop_index("order_reseller_id_idx", table_name="order", postgresql_concurrently=True)
        op.create_index(
            "order_upstream_id_idx", "order", ["upstream_id"], postgresql_concurrently=True
        )
        op.create_index(
            "order_review_idx",
            "order",
            ["id"],
            postgresql_where=sa.text("status = 'needs_review'"),
            postgresql_concurrently=True,
        )
        op.create_index(
            "order_link_trgm_idx",
            "order",
            [sa.text("lower(link) gin_trgm_ops")],
            postgresql_using="gin",
            postgresql_concurrently=True,
        )


def downgrade() -> None:
    with op.get_context().autocommit_block():
        op.drop_index("order_link_trgm_idx", table_name="order", postgresql_concurrently=True)
        op.drop_index("order_review_idx", table_name="order", postgresql_concurrently=True)
        op.drop_index("order_upstream_id_idx", table_name="order", postgresql_concurrently=True)
        op.create_index(
            "order_reseller_id_idx", "order", ["reseller_id"], postgresql_concurrently=True
        )
        op.create_index(
            "order_account_id_idx", "order", ["account_id"], postgresql_concurrently=True
        )
        op.drop_index("order_reseller_id_id_idx", table_name="order", postgresql_concurrently=True)
        op.drop_index("order_account_id_id_idx", table_name="order", postgresql_concurrently=True)
