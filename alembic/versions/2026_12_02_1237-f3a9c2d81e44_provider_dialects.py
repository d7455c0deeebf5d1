"""Providers that speak their own dialect: the document and further credentials

Revision ID: f3a9c2d81e44
Revises: e17b9a3c5d20
Create Date: 2026-12-02 12:37:16.883325+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "f3a9c2d81e44"
down_revision: str | None = "e17b9a3c5d20"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("provider", sa.Column("dialect", sa.Text(), nullable=True))
    op.add_column("provider", sa.Column("api_id", sa.String(length=200), nullable=True))
    op.add_column("provider", sa.Column("api_secret", sa.String(length=500), nullable=True))


def downgrade() -> None:
    op.drop_column("provider", "api_secret")
    op.drop_column("provider", "api_id")
    op.drop_column("provider", "dialect")
