"""One worker sends many orders upstream at once: its jobs wait on the provider, not on each
other. With arq's own defaults (10 jobs, the queue asked every 0.5 s) a worker sent about 20
orders a second, whatever the upstream's speed."""

from datetime import datetime

from panel.orders import service
from panel.plumbing.runtime import Runtime
from tests.fixtures.factories import World
from tests.fixtures.pipeline import RunJobs
from tests.fixtures.sandbox import SandboxHandle

ORDERS = 30
LATENCY_S = 1.0


async def test_orders_queued_together_reach_the_upstream_together(
    runtime: Runtime, world: World, sandbox: SandboxHandle, run_jobs: RunJobs
) -> None:
    sandbox.set_behaviour("1", latency_s=LATENCY_S)
    for number in range(ORDERS):
        async with runtime.transaction() as session:
            await service.accept(
                session,
                world.reseller,
                world.services["followers"].id,
                {"link": f"https://instagram.com/p/{number}", "quantity": "100"},
            )
    await run_jobs()
    received = sorted(datetime.fromisoformat(row["received_at"]) for row in sandbox.requests("add"))
    assert len(received) == ORDERS
    # Ten at a time, each answered after LATENCY_S, would spread them over 2 s at least.
    assert (received[-1] - received[0]).total_seconds() < LATENCY_S * 0.9
