"""The ledger audit crons: what changed checked every ten minutes, everything once a day at
03:05, any breach shouted (`ledger.audit_runner`)."""

from datetime import UTC, datetime

from panel.ledger.audit_runner import check
from panel.plumbing.runtime import Runtime
from workers.tasks import registry


@registry.every(minutes={0, 10, 20, 30, 40, 50}, own_transactions=True)
async def ledger_audit(runtime: Runtime) -> int:
    return len(await check(runtime.sessionmaker, runtime.redis, datetime.now(UTC)))


@registry.every(hours={3}, minutes={5}, own_transactions=True)
async def ledger_audit_full(runtime: Runtime) -> int:
    breaches = await check(runtime.sessionmaker, runtime.redis, datetime.now(UTC), full=True)
    return len(breaches)
