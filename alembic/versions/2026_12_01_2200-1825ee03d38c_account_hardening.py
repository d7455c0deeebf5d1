"""account hardening

Revision ID: 1825ee03d38c
Revises: bdd5f2580dc8
Create Date: 2026-12-01 22:00:00+00:00

TOTP for web sign-in with recovery codes, a log of sign-in attempts, and API keys limited to
client addresses. API processes keep a key's allowed addresses with the account it opens, so a
change to them must notify like a revocation does (migration 7c1e5a2b9d40).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "1825ee03d38c"
down_revision: str | None = "bdd5f2580dc8"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KEY_EVENTS = (
    "INSERT OR DELETE OR TRUNCATE OR UPDATE OF account_id, kind, lookup_prefix, secret_hash, "
    "revoked_at"
)


def _key_trigger(events: str) -> None:
    op.execute("DROP TRIGGER reads_changed ON api_key")
    op.execute(
        f"CREATE TRIGGER reads_changed AFTER {events} ON api_key "
        "FOR EACH STATEMENT EXECUTE FUNCTION pasok_reads_changed()"
    )


def upgrade() -> None:
    op.add_column("api_key", sa.Column("last_used_from", sa.String(length=45), nullable=True))
    op.add_column(
        "api_key",
        sa.Column(
            "allowed_addresses",
            postgresql.ARRAY(postgresql.CIDR()),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
    )
    _key_trigger(KEY_EVENTS + ", allowed_addresses")
    op.create_table(
        "two_factor",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("secret", sa.String(length=200), nullable=False),
        sa.Column("enabled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_step", sa.BigInteger(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("two_factor_account_id_fkey")
        ),
        sa.PrimaryKeyConstraint("account_id", name=op.f("two_factor_pkey")),
    )
    op.create_table(
        "recovery_code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("recovery_code_account_id_fkey")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("recovery_code_pkey")),
    )
    op.create_index(
        op.f("recovery_code_account_id_idx"), "recovery_code", ["account_id"], unique=False
    )
    op.create_table(
        "sign_in",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("address", sa.String(length=45), nullable=False),
        sa.Column("user_agent", sa.String(length=300), nullable=False),
        sa.Column(
            "result",
            sa.Enum(
                "ok",
                "recovery_code",
                "bad_password",
                "bad_code",
                "locked",
                "refused",
                name="signinresult",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("sign_in_account_id_fkey")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("sign_in_pkey")),
    )
    op.create_index("sign_in_account_id_id_idx", "sign_in", ["account_id", "id"], unique=False)


def downgrade() -> None:
    op.drop_index("sign_in_account_id_id_idx", table_name="sign_in")
    op.drop_table("sign_in")
    op.drop_index(op.f("recovery_code_account_id_idx"), table_name="recovery_code")
    op.drop_table("recovery_code")
    op.drop_table("two_factor")
    _key_trigger(KEY_EVENTS)
    op.drop_column("api_key", "allowed_addresses")
    op.drop_column("api_key", "last_used_from")
