"""Rate limits on Pasok's own APIs, counted in Redis so every API process shares them.

Each caller gets a fixed one-minute window per API key (or operator token) and per client IP.
Past the limit, `/v1` and `/admin/v1` answer 429 problem JSON and `/api/v2` answers 429 with
`{"error": ...}`; every answer carries `X-RateLimit-Limit`, `X-RateLimit-Remaining` and
`X-RateLimit-Reset` (seconds until the window ends), and a 429 also `Retry-After`.

While Redis does not answer, each process counts on its own (`LocalCounts`) and says so in
`pasok_rate_limit_local_total`: with N processes a caller then gets up to N times its limit,
which is better than refusing everyone, and the requests that need nothing else from Redis
(balances, statuses, new orders) go on being answered.
"""

import hashlib
import json
import logging
import time
from dataclasses import dataclass, field

from redis.asyncio import Redis
from redis.exceptions import RedisError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from panel.config import RateLimitSettings
from panel.plumbing import metrics, problems

log = logging.getLogger("panel.throttle")

WINDOW_S = 60
API_V2_TOO_MANY = "Too many requests"
_LIMITED = ("/v1/", "/admin/v1/", "/api/v2", "/payments/")


@dataclass(frozen=True)
class Quota:
    limit: int
    used: int
    reset_s: int

    @property
    def exceeded(self) -> bool:
        return self.used > self.limit

    def headers(self) -> list[tuple[bytes, bytes]]:
        shown = [
            (b"x-ratelimit-limit", str(self.limit).encode()),
            (b"x-ratelimit-remaining", str(max(0, self.limit - self.used)).encode()),
            (b"x-ratelimit-reset", str(self.reset_s).encode()),
        ]
        if self.exceeded:
            shown.append((b"retry-after", str(self.reset_s).encode()))
        return shown


# After Redis fails to answer, this long is counted in the process before asking it again:
# a request should not wait on a connection attempt that just failed.
LOCAL_FOR_S = 1.0


@dataclass
class LocalCounts:
    """The stand-in for Redis while it does not answer: counters of this process alone, each
    with the time it lapses."""

    counts: dict[str, tuple[int, float]] = field(default_factory=dict)
    redis_back_at: float = 0.0

    def incr(self, key: str, lapse_s: float, now: float) -> int:
        if len(self.counts) > 10_000:  # random keys must not grow the process without bound
            self.counts = {k: v for k, v in self.counts.items() if v[1] > now}
        count = self.get(key, now) + 1
        self.counts[key] = (count, now + lapse_s)
        return count

    def get(self, key: str, now: float) -> int:
        count, lapses_at = self.counts.get(key, (0, 0.0))
        return count if lapses_at > now else 0

    def redis_failed(self, now: float) -> None:
        if now >= self.redis_back_at:
            log.warning("redis did not answer; counting rate limits in this process")
        self.redis_back_at = now + LOCAL_FOR_S


LOCAL = LocalCounts()


async def _incr(redis: Redis, key: str, lapse_s: int) -> int:
    """Add one to `key`, which lapses `lapse_s` after its last count."""
    now = time.time()
    if now >= LOCAL.redis_back_at:
        try:
            async with redis.pipeline(transaction=False) as pipe:
                pipe.incr(key)
                pipe.expire(key, lapse_s)
                used, _ = await pipe.execute()
            return int(used)
        except (RedisError, OSError):
            LOCAL.redis_failed(now)
    metrics.RATE_LIMIT_LOCAL.inc()
    return LOCAL.incr(key, lapse_s, now)


async def take(redis: Redis, scope: str, who: str, limit: int) -> Quota:
    """Count one request of `who` in the current window."""
    now = time.time()
    window = int(now // WINDOW_S)
    used = await _incr(redis, f"pasok:rate:{scope}:{who}:{window}", WINDOW_S * 2)
    return Quota(limit, used, max(1, int((window + 1) * WINDOW_S - now)))


async def failures(redis: Redis, scope: str, who: str) -> int:
    """How many failures `who` has had in its current window (see `record_failure`)."""
    key = f"pasok:failures:{scope}:{who}"
    now = time.time()
    if now >= LOCAL.redis_back_at:
        try:
            return int(await redis.get(key) or 0)
        except (RedisError, OSError):
            LOCAL.redis_failed(now)
    metrics.RATE_LIMIT_LOCAL.inc()
    return LOCAL.get(key, now)


async def record_failure(redis: Redis, scope: str, who: str, window_s: int) -> None:
    """Count a failure; the count lapses `window_s` after the last one."""
    await _incr(redis, f"pasok:failures:{scope}:{who}", window_s)


def key_digest(secret: str) -> str:
    # Never the secret itself in Redis; wrong keys are counted too, which slows guessing.
    return hashlib.sha256(secret.encode()).hexdigest()[:32]


def tightest(*quotas: Quota) -> Quota:
    """The quota to show: an exceeded one first, else the one with the least left."""
    return min(quotas, key=lambda q: (not q.exceeded, q.limit - q.used))


def refusal_body(path: str) -> tuple[bytes, bytes]:
    """The 429 answer in the protocol's own shape: (body, content type)."""
    if path.startswith("/api/v2"):
        return json.dumps({"error": API_V2_TOO_MANY}).encode(), b"application/json"
    body = {
        "type": "about:blank",
        "title": "Too many requests",
        "status": 429,
        "detail": "wait the seconds in Retry-After; the limit is per minute",
    }
    return json.dumps(body).encode(), problems.MEDIA_TYPE.encode()


class RateLimits:
    """ASGI middleware: per-IP limits on every API, per-key limits where the key is in a
    header (`/v1`, `/admin/v1`); `/api/v2` counts its key itself once it has read the body."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if not path.startswith(_LIMITED):
            await self.app(scope, receive, send)
            return
        runtime = scope["app"].state.runtime  # built at start-up, before any request
        settings: RateLimitSettings = runtime.settings.rate_limits
        if not settings.enabled:
            await self.app(scope, receive, send)
            return
        client = (scope.get("client") or ("unknown", 0))[0]
        quotas = [await take(runtime.redis, "ip", client, settings.per_ip_per_minute)]
        token = _bearer(scope)
        if token is not None:
            quotas.append(
                await take(runtime.redis, "key", key_digest(token), settings.per_key_per_minute)
            )
        shown = tightest(*quotas)
        if shown.exceeded:
            body, content_type = refusal_body(path)
            await send(
                {
                    "type": "http.response.start",
                    "status": 429,
                    "headers": [(b"content-type", content_type), *shown.headers()],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return

        async def send_with_quota(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    h for h in message.get("headers", []) if not h[0].startswith(b"x-ratelimit-")
                ]
                message["headers"] = headers + shown.headers()
            await send(message)

        await self.app(scope, receive, send_with_quota)


def _bearer(scope: Scope) -> str | None:
    for name, value in scope.get("headers") or []:
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            return token.strip() or None if scheme.lower() == "bearer" else None
    return None
