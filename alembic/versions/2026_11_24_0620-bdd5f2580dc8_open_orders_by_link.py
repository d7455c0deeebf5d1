"""open orders by link

Revision ID: bdd5f2580dc8
Revises: 7c1e5a2b9d40
Create Date: 2026-11-24 06:20:00+00:00

Services that take one open order per link look for the buyer's open orders on the link of
each new order. They were found through the buyer's index, reading every order the buyer ever
placed; this partial index holds only open orders.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "bdd5f2580dc8"
down_revision: str | None = "7c1e5a2b9d40"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As panel.models.order.OPEN_SQL was when written: the statuses that are not terminal.
OPEN = "status IN ('in_progress', 'needs_review', 'pending', 'submitting')"


def upgrade() -> None:
    # A plain CREATE INDEX blocks writes to the orders while it builds. On a large table an
    # operator can build it first, CONCURRENTLY and by the same name; it is then left as is.
    op.create_index(
        "order_open_link_idx",
        "order",
        ["account_id", "link"],
        postgresql_where=sa.text(OPEN),
        if_not_exists=True,
    )


def downgrade() -> None:
    op.drop_index("order_open_link_idx", table_name="order")
