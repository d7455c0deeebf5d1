"""Deposit crons: ask gateways about payments whose callback has not come, close transfers by
hand nobody paid, and credit agencies' deposits their resellers can now fund."""

from datetime import UTC, datetime

from panel.models import PaymentGateway
from panel.payments import checks, crediting
from panel.payments.adapters import adapter_for
from panel.payments.gateways import Adapter
from panel.plumbing.runtime import Runtime
from workers.tasks import JobContext, registry

EVERY_15_SECONDS = {0, 15, 30, 45}


@registry.every(seconds=EVERY_15_SECONDS, own_transactions=True)
async def check_deposits(runtime: Runtime) -> int:
    def adapter(gateway: PaymentGateway) -> Adapter:
        return adapter_for(gateway, runtime.http, runtime.settings.payments)

    return await checks.check_due(
        runtime.sessionmaker, adapter, runtime.settings.payments, datetime.now(UTC)
    )


@registry.every(seconds={5})
async def expire_transfers(ctx: JobContext) -> int:
    return await checks.expire_transfers(ctx.session, datetime.now(UTC))


@registry.every(seconds={10, 40})
async def credit_held_deposits(ctx: JobContext) -> int:
    return await crediting.retry_held(ctx.session, datetime.now(UTC))
