"""The worker a deployment runs has every job and every cron, on the schedule they keep."""

from panel.config import Settings
from workers.worker import build

CRONS = {
    "poll_orders",
    "finish_drip_feeds",
    "sweep_orders",
    "poll_refills",
    "ledger_audit",
    "ledger_audit_full",
    "fan_out_webhooks",
    "fan_out_service_updates",
    "send_webhooks",
    "forget_idempotency_keys",
    "sync_catalogues",
    "review_tiers",
    "refresh_quality",
    "forget_webhook_history",
    "refresh_exchange_rates",
    "check_deposits",
    "expire_transfers",
    "credit_held_deposits",
    "send_notifications",
    "forget_notifications",
    "forget_sign_ins",
    "forget_upstream_calls",
    "forget_service_updates",
    "forget_cost_history",
    "fold_settled_days",
}
JOBS = {"submit_order", "cancel_upstream", "refill_upstream", "answer_ticket"}


async def test_the_worker_runs_every_job_and_cron(settings: Settings) -> None:
    worker = build(settings, burst=True)
    try:
        assert {job.name.removeprefix("cron:") for job in worker.cron_jobs} == CRONS
        assert {name for name in worker.functions if not name.startswith("cron:")} == CRONS | JOBS
    finally:
        await worker.close()


async def test_without_crons_only_jobs_are_scheduled(settings: Settings) -> None:
    worker = build(settings, burst=True, crons=False)
    try:
        assert worker.cron_jobs == []
    finally:
        await worker.close()
