"""Rate limits on Pasok's own APIs, counted in Redis so every API process shares them.

Each caller gets a fixed one-minute window per API key (or operator token) and per client IP.
Past the limit, `/v1` and `/admin/v1` answer 429 problem JSON and `/api/v2` answers 429 with
`{"error": ...}`; every answer carries `X-RateLimit-Limit`, `X-RateLimit-Remaining` and
`X-RateLimit-Reset` (seconds until the window ends), and a 429 also `Retry-After`.
"""

import hashlib
import json
import time
from dataclasses import dataclass

from redis.asyncio import Redis
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from panel import problems
from panel.config import RateLimitSettings

WINDOW_S = 60
API_V2_TOO_MANY = "Too many requests"
_LIMITED = ("/v1/", "/admin/v1/", "/api/v2")


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


async def take(redis: Redis, scope: str, who: str, limit: int) -> Quota:
    """Count one request of `who` in the current window."""
    now = time.time()
    window = int(now // WINDOW_S)
    key = f"pasok:rate:{scope}:{who}:{window}"
    async with redis.pipeline(transaction=False) as pipe:
        pipe.incr(key)
        pipe.expire(key, WINDOW_S * 2)
        used, _ = await pipe.execute()
    return Quota(limit, int(used), max(1, int((window + 1) * WINDOW_S - now)))


async def failures(redis: Redis, scope: str, who: str) -> int:
    """How many failures `who` has had in its current window (see `record_failure`)."""
    value = await redis.get(f"pasok:failures:{scope}:{who}")
    return int(value or 0)


async def record_failure(redis: Redis, scope: str, who: str, window_s: int) -> None:
    """Count a failure; the count lapses `window_s` after the last one."""
    key = f"pasok:failures:{scope}:{who}"
    async with redis.pipeline(transaction=False) as pipe:
        pipe.incr(key)
        pipe.expire(key, window_s)
        await pipe.execute()


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
