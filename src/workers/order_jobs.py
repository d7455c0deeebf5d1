"""The order pipeline's jobs: submit, poll, sweep, and forwarding cancels and refills. They
hold no rules of their own; `panel.orders` does."""

import asyncio
import logging
from datetime import UTC, datetime
from functools import partial

from sqlalchemy import select

from panel.models import Order, Provider
from panel.orders import calls, dripfeed, polling, refills, submission, sweeper
from panel.plumbing.runtime import Runtime
from panel.providers import registry as adapters
from panel.providers.adapter import UpstreamError, UpstreamStatus
from workers.tasks import JobContext, record_outcome, registry

log = logging.getLogger("panel.orders")

EVERY_10_SECONDS = {0, 10, 20, 30, 40, 50}


@registry.job(own_transactions=True)
async def submit_order(runtime: Runtime, order_id: int) -> str | None:
    async with runtime.transaction() as session:
        attempt = await submission.claim(
            session, order_id, datetime.now(UTC), runtime.settings.orders
        )
    if attempt is None:
        return None
    # Committed as `submitting` before this call: whatever happens next, never sent twice.
    adapter = adapters.of(runtime).for_provider(attempt.provider)
    result = await adapter.add(attempt.params)
    status = await record_outcome(
        runtime,
        lambda session: submission.record(
            session, order_id, result, datetime.now(UTC), runtime.settings.orders
        ),
    )
    return None if status is None else status.value


@registry.every(seconds=EVERY_10_SECONDS, own_transactions=True)
async def poll_orders(runtime: Runtime) -> int:
    """Poll due orders in batches until none is due; returns how many answers were applied."""
    applied = 0
    while True:
        now = datetime.now(UTC)
        async with runtime.transaction() as session:
            due = await polling.claim_due(session, now, runtime.settings.orders.poll_batch)
            providers = {
                p.id: p for p in await session.scalars(select(Provider).where(Provider.id.in_(due)))
            }
        if not due:
            return applied
        answers: dict[int, UpstreamStatus] = {}
        for found in await asyncio.gather(
            *(_ask(runtime, providers[pid], batch) for pid, batch in due.items())
        ):
            answers.update(found)
        # The answers are in hand: lost with the job, their orders would wait out the lease.
        await record_outcome(
            runtime,
            partial(
                polling.apply,
                answers=answers,
                now=datetime.now(UTC),
                settings=runtime.settings.orders,
            ),
        )
        applied += len(answers)


async def _ask(
    runtime: Runtime, provider: Provider, batch: list[polling.Due]
) -> dict[int, UpstreamStatus]:
    by_upstream = {due.upstream_id: due.order_id for due in batch}
    try:
        statuses = await adapters.of(runtime).for_provider(provider).status(list(by_upstream))
    except UpstreamError as error:
        # Leased orders come due again after the lease: nothing is lost by giving up here.
        log.warning(
            "status poll failed", extra={"fields": {"provider": provider.id, "error": str(error)}}
        )
        return {}
    return {by_upstream[uid]: status for uid, status in statuses.items() if uid in by_upstream}


@registry.every(seconds=EVERY_10_SECONDS)
async def finish_drip_feeds(ctx: JobContext) -> int:
    """Settle the emulated drip-feeds whose last run has ended."""
    return len(await dripfeed.finish(ctx.session))


@registry.every(seconds={5, 35})
async def sweep_orders(ctx: JobContext) -> tuple[int, int]:
    return await sweeper.sweep(ctx.session, datetime.now(UTC), ctx.runtime.settings.orders)


@registry.job(own_transactions=True)
async def cancel_upstream(runtime: Runtime, order_id: int) -> None:
    async with runtime.transaction() as session:
        order = await session.get(Order, order_id)
        provider = await session.get(Provider, order.provider_id) if order else None
    if order is None or provider is None or order.upstream_id is None:
        return
    # Safe to repeat; its effect shows in the order's next status poll.
    upstream_id, provider_id = order.upstream_id, provider.id
    try:
        results = await adapters.of(runtime).for_provider(provider).cancel([upstream_id])
    except UpstreamError as error:
        await record_outcome(
            runtime,
            partial(
                calls.record_cancel,
                order_id=order_id,
                provider_id=provider_id,
                result=error,
                now=datetime.now(UTC),
            ),
        )
        raise
    result = results.get(upstream_id)
    await record_outcome(
        runtime,
        lambda session: calls.record_cancel(
            session, order_id, provider_id, result, datetime.now(UTC)
        ),
    )
    log.info("cancel forwarded", extra={"fields": {"order": order_id, "result": str(result)}})


@registry.job(own_transactions=True)
async def refill_upstream(runtime: Runtime, refill_id: int) -> None:
    async with runtime.transaction() as session:
        attempt = await refills.claim(session, refill_id)
    if attempt is None:
        return
    result = await adapters.of(runtime).for_provider(attempt.provider).refill(attempt.upstream_id)
    provider_id = attempt.provider.id
    await record_outcome(
        runtime,
        lambda session: refills.record(
            session, refill_id, result, datetime.now(UTC), provider_id=provider_id
        ),
    )


@registry.every(seconds={15, 45}, own_transactions=True)
async def poll_refills(runtime: Runtime) -> int:
    async with runtime.transaction() as session:
        due = await refills.due(session, datetime.now(UTC))
    answers = {}
    for provider, batch in due:
        try:
            states = await adapters.of(runtime).for_provider(provider).refill_status(list(batch))
        except UpstreamError:
            continue
        answers.update({batch[uid]: state for uid, state in states.items() if uid in batch})
    await record_outcome(
        runtime, lambda session: refills.apply(session, answers, datetime.now(UTC))
    )
    return len(answers)
