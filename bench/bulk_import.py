"""Importing 2,000 provider services in one `/admin/v1` request.

    .venv/bin/python -m bench.bulk_import [services=2000]

A scratch database holds one provider with `services` synced services and an operator token.
The app runs in this process on the real PostgreSQL and Redis, reached over ASGI. One
`POST /admin/v1/providers/{id}/import` picks every service (a new name for each, categories
mapped); its time is printed, then the same request is sent again and must make nothing.
Target: under 5 s for 2,000 services.
"""

import asyncio
import sys
import time
from decimal import Decimal

from httpx import ASGITransport, AsyncClient
from pydantic import SecretStr
from sqlalchemy import func, insert, select

from bench.setup import REDIS_URL, scratch_database
from panel.accounts import service as accounts
from panel.app import create_app
from panel.catalogue import service as catalogue
from panel.config import Settings
from panel.keys import service as keys
from panel.models import AccountKind, ProviderService, Route, Service
from panel.plumbing.db import transaction
from panel.plumbing.runtime import Runtime

TARGET_S = 5.0
CATEGORIES = ["Instagram Followers", "Instagram Likes", "TikTok Views", "YouTube Views"]


async def _stock(runtime: Runtime, count: int) -> tuple[int, str, list[int]]:
    async with transaction(runtime.sessionmaker) as session:
        provider = await catalogue.create_provider(
            session, name="Bench", api_url="http://127.0.0.1:9/api/v2", api_key="b", currency="USD"
        )
        operator = await accounts.create(session, kind=AccountKind.operator, name="Ops")
        token = (await keys.issue(session, operator, "bench")).plaintext
        ids = list(
            await session.scalars(
                insert(ProviderService).returning(ProviderService.id, sort_by_parameter_order=True),
                [
                    {
                        "provider_id": provider.id,
                        "external_id": str(1000 + n),
                        "name": f"{CATEGORIES[n % 4]} #{n} real, refill 30 days",
                        "type": "Default",
                        "category": CATEGORIES[n % 4],
                        "rate": Decimal("0.50") + Decimal(n % 97) / 10,
                        "cost": Decimal("0.50") + Decimal(n % 97) / 10,
                        "exchange_rate": Decimal(1),
                        "min_quantity": 10,
                        "max_quantity": 100_000,
                        "refill": n % 3 == 0,
                        "description": "Garansi 30 hari.",
                    }
                    for n in range(count)
                ],
            )
        )
    return provider.id, token, ids


async def main(count: int) -> None:
    async with scratch_database() as url:
        settings = Settings(
            database_url=SecretStr(url), redis_url=SecretStr(REDIS_URL), environment="test"
        )
        runtime = await Runtime.start(settings, name="bench")
        app = create_app(settings)
        app.state.runtime = runtime
        try:
            provider_id, token, ids = await _stock(runtime, count)
            body = {
                "picks": [
                    {"provider_service_id": ps_id, "name": f"Layanan {n}"}
                    for n, ps_id in enumerate(ids)
                ],
                "category_map": {c: f"Pasok {c}" for c in CATEGORIES},
            }
            headers = {"Authorization": f"Bearer {token}"}
            async with AsyncClient(
                transport=ASGITransport(app=app), base_url="http://bench.test", timeout=60
            ) as client:
                url = f"/admin/v1/providers/{provider_id}/import"
                started = time.perf_counter()
                first = await client.post(url, json=body, headers=headers)
                took = time.perf_counter() - started
                first.raise_for_status()
                made = len(first.json()["made"])
                started = time.perf_counter()
                again = await client.post(url, json=body, headers=headers)
                again_took = time.perf_counter() - started
                again.raise_for_status()
            async with transaction(runtime.sessionmaker) as session:
                services = await session.scalar(select(func.count()).select_from(Service))
                routes = await session.scalar(select(func.count()).select_from(Route))
        finally:
            await runtime.close()
    verdict = "met" if took < TARGET_S and made == count else "NOT MET"
    print(f"import of {count} services in one request: {took:.2f} s ({made} made)")
    print(f"target < {TARGET_S:.0f} s: {verdict}")
    print(
        f"same request again: {again_took:.2f} s, {len(again.json()['made'])} made, "
        f"{len(again.json()['already'])} already there"
    )
    print(f"services in the database: {services}, routes: {routes}")
    if again.json()["made"] or services != count or routes != count:
        raise SystemExit("the second request made something")


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000))
