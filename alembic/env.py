"""Alembic runs on the same async engine settings as the app."""

import asyncio
import os
from logging.config import fileConfig

from alembic import context
from sqlalchemy.engine import Connection

from panel.models import Base
from panel.plumbing.db import create_engine

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logger", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = Base.metadata


def database_url() -> str:
    url = config.get_main_option("sqlalchemy.url") or os.environ.get("PASOK_DATABASE_URL")
    if not url:
        raise SystemExit("set PASOK_DATABASE_URL, or run `pasok migrate`")
    return url


def run_with(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        compare_server_default=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_online() -> None:
    # A migration may build an index over years of rows: no statement timeout.
    engine = create_engine(database_url(), pool_size=1, statement_timeout_s=0)
    async with engine.connect() as connection:
        await connection.run_sync(run_with)
    await engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported")
asyncio.run(run_online())
