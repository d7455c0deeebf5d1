"""`pasok audit` exits 0 on a clean ledger and 1 on any breach, naming it."""

import asyncio
import os
import sys
from decimal import Decimal
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from panel.accounts import service as accounts
from panel.config import Settings
from panel.ledger import service as ledger
from panel.models import AccountKind

PASOK = str(Path(sys.executable).with_name("pasok"))


async def _audit(settings: Settings, *args: str) -> tuple[int, str]:
    assert settings.database_url is not None
    assert settings.redis_url is not None
    env = os.environ | {
        "PASOK_DATABASE_URL": settings.database_url.get_secret_value(),
        "PASOK_REDIS_URL": settings.redis_url.get_secret_value(),
    }
    process = await asyncio.create_subprocess_exec(
        PASOK, "audit", *args, env=env, stdout=asyncio.subprocess.PIPE
    )
    out, _ = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode is not None
    return process.returncode, out.decode()


async def test_audit_command_exit_status_follows_the_ledger(
    settings: Settings, committed: async_sessionmaker[AsyncSession]
) -> None:
    async with committed.begin() as session:
        reseller = await accounts.create(session, kind=AccountKind.reseller, name="R")
        await ledger.top_up(session, reseller.id, Decimal("3"), "bank transfer", None)

    status, out = await _audit(settings)
    assert (status, out.strip()) == (0, "ledger audit: clean")

    async with committed.begin() as session:
        await session.execute(
            text("UPDATE ledger_account SET balance = 4 WHERE owner_id = :id"), {"id": reseller.id}
        )
    status, out = await _audit(settings)
    assert status == 1
    assert f"cached_equals_summed wallet:{reseller.id}" in out
    status, out = await _audit(settings, "--full")
    assert status == 1
    assert f"cached_equals_summed wallet:{reseller.id}" in out
