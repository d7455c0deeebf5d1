"""Asking gateways about deposits, so a callback that never came is caught within a minute,
and closing transfers by hand nobody paid in time.

A check claims due deposits (moving their next check on, and committing) before any gateway
is called, so no row is locked while a gateway answers and two workers never ask about the
same deposit at once; what a gateway answers then goes through `crediting.apply` like any
callback."""

import asyncio
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from panel.config import PaymentSettings
from panel.models import Deposit, DepositStatus, GatewayKind, PaymentGateway
from panel.payments import crediting
from panel.payments.gateways import Adapter, PaymentState
from panel.plumbing.db import transaction

BATCH = 200
AT_ONCE = 10  # gateway calls in flight per worker
# A deposit is asked about a little past its expiry too: the gateway has the last word on a
# payment made in its final seconds.
GRACE = timedelta(minutes=2)


async def check_due(
    sessionmaker: async_sessionmaker[AsyncSession],
    adapter_for: Callable[[PaymentGateway], Adapter],
    settings: PaymentSettings,
    now: datetime,
) -> int:
    """Ask the gateways about every deposit due for a check; returns how many were asked."""
    async with transaction(sessionmaker) as session:
        rows = (
            await session.execute(
                select(Deposit, PaymentGateway)
                .join(PaymentGateway, PaymentGateway.id == Deposit.gateway_id)
                .where(
                    Deposit.status == DepositStatus.pending,
                    Deposit.next_check_at <= now,
                    PaymentGateway.kind != GatewayKind.manual,
                )
                .order_by(Deposit.next_check_at)
                .limit(BATCH)
                .with_for_update(of=Deposit, skip_locked=True)
            )
        ).all()
        every = timedelta(seconds=settings.check_every_s)
        for deposit, _ in rows:
            deposit.checks += 1
            late = deposit.expires_at + GRACE
            # Past its grace a deposit is still asked again (until the gateway answers and
            # it is closed): one answer missed must not leave it pending, unasked, for ever.
            deposit.next_check_at = now + every if now > late else min(now + every, late)
        claimed = [
            (d.id, d.merchant_ref, d.gateway_reference, now > d.expires_at + GRACE, g)
            for d, g in rows
        ]
    gate = asyncio.Semaphore(AT_ONCE)

    async def ask(item: tuple[int, str, str | None, bool, PaymentGateway]) -> None:
        _, merchant_ref, reference, past_grace, gateway = item
        if reference is None:
            return
        async with gate:
            report = await adapter_for(gateway).status(reference, merchant_ref)
        if report is None:
            return
        if report.state is PaymentState.unpaid and past_grace:
            # Past expiry and its grace, and still unpaid: it will not be paid now.
            report = replace(report, state=PaymentState.expired)
        async with transaction(sessionmaker) as session:
            await crediting.apply(session, gateway, report, "status check", now)

    await asyncio.gather(*(ask(item) for item in claimed))
    return len(claimed)


async def expire_transfers(session: AsyncSession, now: datetime) -> int:
    """Close transfers by hand past their time, freeing their unique codes. A transfer that
    arrives later is matched to the expired deposit and reviewed, never lost."""
    expired = await session.scalars(
        select(Deposit)
        .join(PaymentGateway, PaymentGateway.id == Deposit.gateway_id)
        .where(
            Deposit.status == DepositStatus.pending,
            Deposit.expires_at <= now,
            PaymentGateway.kind == GatewayKind.manual,
        )
        .limit(BATCH)
        .with_for_update(of=Deposit, skip_locked=True)
    )
    count = 0
    for deposit in expired.all():
        await crediting.expire(session, deposit, now)
        count += 1
    return count
