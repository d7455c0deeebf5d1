"""Prometheus metrics. Each process exports its own; Prometheus sums across copies."""

import logging

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest
from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger("panel.metrics")

REQUESTS = Counter(
    "pasok_http_requests_total", "HTTP requests answered", ["method", "route", "status"]
)
REQUEST_SECONDS = Histogram(
    "pasok_http_request_seconds",
    "HTTP request latency",
    ["route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
RATE_LIMIT_LOCAL = Counter(
    "pasok_rate_limit_local_total",
    "Requests counted against rate limits in this process alone, because Redis did not answer",
)
LEDGER_AUDIT_BREACHES = Gauge(
    "pasok_ledger_audit_breaches",
    "Ledger invariant breaches found by the last audit (0 = clean, -1 = never run here)",
)
LEDGER_AUDIT_BREACHES.set(-1)


PROVIDER_BALANCE = Gauge(
    "pasok_provider_balance", "What a provider last said Pasok has with it", ["provider"]
)
PROVIDER_BALANCE_LOW = Gauge(
    "pasok_provider_balance_low",
    "1 when a provider's balance is below its alert level",
    ["provider"],
)

PROVIDER_CURRENCY_MISMATCH = Gauge(
    "pasok_provider_currency_mismatch",
    "1 when a provider last answered in another currency than its own (its numbers unused)",
    ["provider"],
)
EXCHANGE_RATE_STALE = Gauge(
    "pasok_exchange_rate_stale",
    "1 when a currency's exchange rate is older than allowed, or missing where a provider needs it",
    ["currency"],
)


def exposition() -> tuple[bytes, str]:
    return generate_latest(), CONTENT_TYPE_LATEST


# The audit runs in whichever worker takes the cron job; its result is shared through Redis so
# every API copy reports the same figure.
AUDIT_RESULT_KEY = "pasok:ledger:audit:breaches"


async def publish_audit(redis: Redis, breaches: int) -> None:
    LEDGER_AUDIT_BREACHES.set(breaches)
    try:
        await redis.set(AUDIT_RESULT_KEY, breaches)
    except (RedisError, OSError):
        # The audit's result stands; only the other processes' copies of the figure wait.
        log.warning("redis did not answer; audit result not shared")


PROVIDER_BALANCES_KEY = "pasok:providers:balance"


async def publish_provider_balance(redis: Redis, provider_id: int, balance: str, low: bool) -> None:
    PROVIDER_BALANCE.labels(str(provider_id)).set(float(balance))
    PROVIDER_BALANCE_LOW.labels(str(provider_id)).set(int(low))
    await redis.hset(PROVIDER_BALANCES_KEY, str(provider_id), f"{balance} {int(low)}")  # type: ignore[misc]


PROVIDER_CURRENCY_KEY = "pasok:providers:currency_mismatch"
EXCHANGE_RATES_KEY = "pasok:exchange_rates:stale"


async def publish_provider_currency(redis: Redis, provider_id: int, mismatch: bool) -> None:
    PROVIDER_CURRENCY_MISMATCH.labels(str(provider_id)).set(int(mismatch))
    await redis.hset(PROVIDER_CURRENCY_KEY, str(provider_id), str(int(mismatch)))  # type: ignore[misc]


async def publish_exchange_rates(redis: Redis, stale: dict[str, bool]) -> None:
    for currency, flag in stale.items():
        EXCHANGE_RATE_STALE.labels(currency).set(int(flag))
    if stale:
        mapping = {currency: str(int(flag)) for currency, flag in stale.items()}
        await redis.hset(EXCHANGE_RATES_KEY, mapping=mapping)  # type: ignore[misc]


async def refresh_shared(redis: Redis) -> None:
    value = await redis.get(AUDIT_RESULT_KEY)
    if value is not None:
        LEDGER_AUDIT_BREACHES.set(int(value))
    balances: dict[bytes, bytes] = await redis.hgetall(PROVIDER_BALANCES_KEY)  # type: ignore[misc]
    for provider_id, shown in balances.items():
        balance, low = shown.decode().split()
        # A gauge is a float by nature; the exact figure stays in the database.
        PROVIDER_BALANCE.labels(provider_id.decode()).set(float(balance))
        PROVIDER_BALANCE_LOW.labels(provider_id.decode()).set(int(low))
    mismatches: dict[bytes, bytes] = await redis.hgetall(PROVIDER_CURRENCY_KEY)  # type: ignore[misc]
    for provider_id, flag in mismatches.items():
        PROVIDER_CURRENCY_MISMATCH.labels(provider_id.decode()).set(int(flag))
    rates: dict[bytes, bytes] = await redis.hgetall(EXCHANGE_RATES_KEY)  # type: ignore[misc]
    for currency, flag in rates.items():
        EXCHANGE_RATE_STALE.labels(currency.decode()).set(int(flag))
