"""notify read changes

Revision ID: 7c1e5a2b9d40
Revises: 5544c18c95a9
Create Date: 2026-11-24 03:00:00+00:00

API processes keep the accounts keys open and the prices accounts pay (panel.plumbing.read_cache); a
change to any table those come from notifies them at commit.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "7c1e5a2b9d40"
down_revision: str | None = "5544c18c95a9"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Any change; for keys, not the time of last use, which every key writes once a minute.
SOURCES = {
    "account": "INSERT OR UPDATE OR DELETE OR TRUNCATE",
    "service": "INSERT OR UPDATE OR DELETE OR TRUNCATE",
    "route": "INSERT OR UPDATE OR DELETE OR TRUNCATE",
    "provider": "INSERT OR UPDATE OR DELETE OR TRUNCATE",
    "provider_service": "INSERT OR UPDATE OR DELETE OR TRUNCATE",
    "provider_service_cost": "INSERT OR UPDATE OR DELETE OR TRUNCATE",
    "price_rule": "INSERT OR UPDATE OR DELETE OR TRUNCATE",
    "tier": "INSERT OR UPDATE OR DELETE OR TRUNCATE",
    "api_key": "INSERT OR DELETE OR TRUNCATE"
    " OR UPDATE OF account_id, kind, lookup_prefix, secret_hash, revoked_at",
}


def upgrade() -> None:
    # One notification per transaction however many statements: PostgreSQL folds repeats.
    op.execute("""
        CREATE FUNCTION pasok_reads_changed() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('pasok_reads_changed', '');
            RETURN NULL;
        END $$
    """)
    for table, events in SOURCES.items():
        op.execute(
            f"CREATE TRIGGER reads_changed AFTER {events} ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION pasok_reads_changed()"
        )


def downgrade() -> None:
    for table in SOURCES:
        op.execute(f"DROP TRIGGER reads_changed ON {table}")
    op.execute("DROP FUNCTION pasok_reads_changed()")
