"""What every upstream adapter shares: one HTTP call classified by whether it left and whether
its answer can be read (smm_v2.py explains the rules), redaction of secrets, and logging."""

import json
import logging
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TypeVar
from urllib.parse import quote_plus

import httpx
from pydantic import SecretStr

from panel.providers.adapter import (
    Outcome,
    RejectReason,
    Submission,
    UpstreamError,
    UpstreamRefused,
    UpstreamUnavailable,
)
from panel.providers.dialect import no_constant, parse_retry_after
from panel.providers.ratelimit import RateLimiter

log = logging.getLogger("panel.providers")

BATCH = 100  # ids per status, cancel or refill_status call
DEFAULT_BACKOFF_S = 1.0  # after a 429 without Retry-After
SNIPPET = 200  # characters of an unreadable body kept for operators

S = TypeVar("S", bound=Submission)


class Failed(Exception):
    """A call that got no answer to read; `outcome` says whether it left."""

    def __init__(self, outcome: Outcome, detail: str, retry_after_s: float | None = None) -> None:
        super().__init__(detail)
        self.outcome = outcome
        self.detail = detail
        self.retry_after_s = retry_after_s

    def as_error(self) -> UpstreamError:
        if self.outcome is Outcome.rejected:
            return UpstreamRefused(self.detail, self.retry_after_s)
        return UpstreamUnavailable(self.detail, self.retry_after_s)


@dataclass(frozen=True)
class Reply:
    status_code: int
    readable: bool
    payload: object
    snippet: str


class Transport:
    """One provider's wire: its client, its rate limiter and the secrets no detail may show."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        api_url: str,
        secrets: Iterable[SecretStr],
        limiter: RateLimiter | None = None,
    ) -> None:
        self.client = client
        self.limiter = limiter or RateLimiter()
        self.provider = host(api_url)  # what logs name: never the full URL
        self._secrets = tuple(secrets)

    async def send(
        self, url: str, fields: Mapping[str, str], method: str = "POST", encoding: str = "form"
    ) -> Reply:
        """One call, classified; raises Failed when there is no answer to read."""
        wait = await self.limiter.acquire()
        if wait is not None:
            raise Failed(Outcome.transient, f"held back by the rate limit for {wait:.1f} s", wait)
        try:
            if method == "GET":
                response = await self.client.get(url, params=dict(fields))
            elif encoding == "json":
                response = await self.client.post(url, json=dict(fields))
            else:
                response = await self.client.post(url, data=dict(fields))
        except (
            httpx.ConnectError,
            httpx.ConnectTimeout,
            httpx.PoolTimeout,
            httpx.ProxyError,
        ) as exc:
            raise Failed(Outcome.transient, self.redact(f"not sent: {describe(exc)}")) from None
        except (httpx.UnsupportedProtocol, httpx.LocalProtocolError, httpx.InvalidURL) as exc:
            # A request that cannot be formed never leaves, and would not on a retry either.
            raise Failed(Outcome.rejected, self.redact(f"not sent: {describe(exc)}")) from None
        except httpx.HTTPError as exc:
            raise Failed(Outcome.ambiguous, self.redact(f"lost: {describe(exc)}")) from None

        code = response.status_code
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        if code == 429 or (code == 503 and retry_after is not None):
            self.limiter.defer(DEFAULT_BACKOFF_S if retry_after is None else retry_after)
        text = response.text.lstrip("\ufeff").strip()
        # Redact before cutting, so that no part of a secret can be left at the cut.
        snippet = self.redact(" ".join(text.split()))[:SNIPPET]
        if code in (408, 429):
            raise Failed(Outcome.transient, f"HTTP {code}: {snippet}", retry_after)
        if not (200 <= code < 300 or 400 <= code < 500):
            raise Failed(Outcome.ambiguous, f"HTTP {code}: {snippet}", retry_after)
        try:
            payload: object = json.loads(text, parse_float=Decimal, parse_constant=no_constant)
        except (ValueError, RecursionError):
            return Reply(code, False, None, snippet)
        return Reply(code, True, payload, snippet)

    async def submit(
        self,
        kind: type[S],
        action: str,
        call: Awaitable[Reply],
        classify: Callable[[Reply], S],
    ) -> S:
        """A call that creates something upstream, classified into an Outcome and logged."""
        try:
            reply = await call
        except Failed as failed:
            reason = RejectReason.other if failed.outcome is Outcome.rejected else None
            result = kind(failed.outcome, None, reason, failed.retry_after_s, failed.detail)
        else:
            result = classify(reply)
        if result.outcome is not Outcome.accepted:
            self.log(action, result.detail, outcome=str(result.outcome), reason=result.reason)
        return result

    def unreadable(self, kind: type[S], reply: Reply, what: str) -> S:
        """A create call's answer with neither an id nor an explicit error."""
        detail = f"HTTP {reply.status_code}: {reply.snippet}"
        if 400 <= reply.status_code < 500:
            return kind(Outcome.rejected, None, RejectReason.other, None, detail)
        return kind(Outcome.ambiguous, None, None, None, f"no {what} id in answer; {detail}")

    def throttled(self, kind: type[S], detail: str) -> S:
        self.limiter.defer(DEFAULT_BACKOFF_S)
        return kind(Outcome.transient, None, None, DEFAULT_BACKOFF_S, detail)

    def refused_or_unavailable(self, action: str, reply: Reply) -> UpstreamError:
        detail = f"HTTP {reply.status_code}: {reply.snippet}"
        self.log(action, detail)
        return UpstreamRefused(detail) if reply.status_code >= 400 else UpstreamUnavailable(detail)

    def redact(self, text: str) -> str:
        # Some panels echo the request back in their error pages.
        for secret in self._secrets:
            value = secret.get_secret_value()
            if value:
                for shown in {value, quote_plus(value)}:
                    text = text.replace(shown, "[redacted]")
        return text

    def log(self, action: str, detail: str, **fields: object) -> None:
        log.warning(
            "upstream %s: %s",
            action,
            detail,
            extra={"fields": {"provider": self.provider, "action": action, **fields}},
        )


def secret(value: str | SecretStr) -> SecretStr:
    # Kept as SecretStr so that no repr, log or traceback of an adapter can show it.
    return value if isinstance(value, SecretStr) else SecretStr(value)


def chunks(ids: list[str], size: int = BATCH) -> Iterator[list[str]]:
    unique = list(dict.fromkeys(stripped for raw in ids if (stripped := raw.strip())))
    for start in range(0, len(unique), size):
        yield unique[start : start + size]


def describe(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def host(api_url: str) -> str:
    try:
        return httpx.URL(api_url).host or "?"
    except httpx.InvalidURL:
        return "?"  # the first call reports it, classified
