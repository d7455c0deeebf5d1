"""Retention crons: what only grows is forgotten once it is no longer needed.

How long each kind is kept is `PASOK_RETENTION__*` (`RetentionSettings`); which rows may go
is each domain's own `purge`. A run takes its clock once, then removes a batch at a time, each
in a transaction of its own, until nothing is left or its time is up: a year of backlog is
worked off over a few runs without a long transaction or a job cut off by its timeout.
"""

import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from panel.accounts import sign_ins
from panel.catalogue import sync
from panel.growth import service_updates
from panel.orders import calls
from panel.plumbing import idempotency
from panel.plumbing.runtime import Runtime
from panel.support import notify
from panel.webhooks import service as webhooks
from workers.tasks import registry

log = logging.getLogger("panel.retention")

# A run starts no batch after this long, well inside the worker's job timeout; the next run
# goes on where it stopped.
RUN_FOR_S = 60.0

Purge = Callable[[AsyncSession, datetime, int], Awaitable[int]]


async def purge_in_batches(runtime: Runtime, kind: str, purge: Purge) -> int:
    """Call `purge` (session, now, batch) in one transaction after another until it removes
    nothing; returns the rows removed, and logs them."""
    now = datetime.now(UTC)
    batch = runtime.settings.retention.batch
    started = time.monotonic()
    removed = 0
    while True:
        async with runtime.transaction() as session:
            step = await purge(session, now, batch)
        removed += step
        if step == 0 or time.monotonic() - started > RUN_FOR_S:
            break
    log.info("history forgotten", extra={"fields": {"kind": kind, "rows": removed}})
    return removed


@registry.every(minutes={27}, own_transactions=True)
async def forget_webhook_history(runtime: Runtime) -> int:
    kept = runtime.settings.retention
    return await purge_in_batches(
        runtime,
        "webhooks",
        lambda session, now, batch: webhooks.purge(
            session, now, kept.webhook_days, kept.order_event_days, batch
        ),
    )


@registry.every(minutes={7, 37}, own_transactions=True)
async def forget_idempotency_keys(runtime: Runtime) -> int:
    days = runtime.settings.retention.idempotency_key_days
    return await purge_in_batches(
        runtime,
        "idempotency_keys",
        lambda session, now, batch: idempotency.purge(session, now, days, batch),
    )


@registry.every(minutes={17}, own_transactions=True)
async def forget_notifications(runtime: Runtime) -> int:
    days = runtime.settings.retention.notification_days
    return await purge_in_batches(
        runtime,
        "notifications",
        lambda session, now, batch: notify.purge(session, now, days, batch),
    )


@registry.every(minutes={47}, own_transactions=True)
async def forget_sign_ins(runtime: Runtime) -> int:
    days = runtime.settings.retention.sign_in_days
    return await purge_in_batches(
        runtime,
        "sign_ins",
        lambda session, now, batch: sign_ins.purge(session, now, days, batch),
    )


@registry.every(minutes={52}, own_transactions=True)
async def forget_upstream_calls(runtime: Runtime) -> int:
    days = runtime.settings.retention.upstream_call_days
    return await purge_in_batches(
        runtime,
        "upstream_calls",
        lambda session, now, batch: calls.purge(session, now, days, batch),
    )


@registry.every(minutes={57}, own_transactions=True)
async def forget_service_updates(runtime: Runtime) -> int:
    days = runtime.settings.retention.service_update_days
    return await purge_in_batches(
        runtime,
        "service_updates",
        lambda session, now, batch: service_updates.purge(session, now, days, batch),
    )


@registry.every(minutes={42}, own_transactions=True)
async def forget_cost_history(runtime: Runtime) -> int:
    days = runtime.settings.retention.cost_history_days
    return await purge_in_batches(
        runtime,
        "cost_history",
        lambda session, now, batch: sync.purge_cost_history(session, now, days, batch),
    )
