"""The currencies migration on a panel already running: its providers are in the panel's
currency, their costs are their rates, and nothing is priced differently."""

import uuid
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from panel.plumbing.db import async_url, create_engine
from panel.plumbing.migrations import upgrade
from tests import servers
from tests.conftest import _admin_execute

BEFORE = "1825ee03d38c"


@pytest.fixture
async def scratch_url() -> AsyncIterator[str]:
    admin_url = servers.database_admin_url()
    name = f"pasok_fx_{uuid.uuid4().hex[:10]}"
    await _admin_execute(admin_url, f'CREATE DATABASE "{name}"')
    yield make_url(async_url(admin_url)).set(database=name).render_as_string(hide_password=False)
    await _admin_execute(admin_url, f'DROP DATABASE "{name}" WITH (FORCE)')


async def test_existing_providers_get_the_panel_currency(
    scratch_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    upgrade(scratch_url, BEFORE)
    engine = create_engine(scratch_url, pool_size=1)
    try:
        async with engine.begin() as connection:
            await connection.execute(
                text(
                    "INSERT INTO provider (id, name, api_url, api_key, adapter, enabled) "
                    "VALUES (1, 'Old', 'http://127.0.0.1:9', 'k', 'smm_v2', true)"
                )
            )
            await connection.execute(
                text(
                    "INSERT INTO provider_service (provider_id, external_id, name, type, "
                    "category, rate, min_quantity, max_quantity, refill, cancel, dripfeed, "
                    "description, active) "
                    "VALUES (1, '1', 'F', 'Default', '', 1500.25, 1, 10, false, false, false, "
                    "'', true)"
                )
            )
        monkeypatch.setenv("PASOK_CURRENCY", "IDR")
        upgrade(scratch_url)
        async with engine.connect() as connection:
            provider = (await connection.execute(text("SELECT currency FROM provider"))).one()
            service = (
                await connection.execute(
                    text("SELECT rate, cost, exchange_rate FROM provider_service")
                )
            ).one()
            fx = await connection.scalar(text("SELECT kind FROM ledger_account WHERE code = 'fx'"))
    finally:
        await engine.dispose()
    assert provider == ("IDR",)
    assert tuple(service) == (Decimal("1500.25"), Decimal("1500.25"), Decimal(1))
    assert fx == "fx"
