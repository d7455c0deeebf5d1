"""The generic upstream adapter for panels that speak SMM API v2 (api-v2.md), in any dialect.

Be tolerant as a client: ids and numbers arrive as strings or numbers, statuses in many
spellings, errors as English texts or untranslated keys. Every answer is classified here, once:

- A call that never left (connect refused or timed out, no free pooled connection, or our own
  rate limit would wait too long) is `transient`: safe to send again.
- A call that left and got no readable answer (read timeout, broken connection, 5xx, 3xx, an
  HTML page, an empty or garbled body) is `ambiguous` for `add` and `refill`: the provider may
  have acted on it, and API v2 has no idempotency key, so it must never be resent blindly.
- A 429 (and a 408) means the provider refused before acting: `transient`, with its Retry-After.
- An explicit error (a JSON error, or any other 4xx) is `rejected`, with a reason.
A 5xx counts as ambiguous even with a JSON error body: the server may have failed after writing
the order. For the safe-to-repeat calls the same failures raise `UpstreamUnavailable` or
`UpstreamRefused` instead.
"""

import asyncio
import json
import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, NoReturn, TypeVar
from urllib.parse import quote_plus

import httpx
from pydantic import SecretStr

from panel.config import HttpSettings
from panel.providers.adapter import (
    AddResult,
    Balance,
    CancelResult,
    OrderParams,
    OrderStatus,
    Outcome,
    RefillResult,
    RefillState,
    RejectReason,
    Submission,
    UpstreamAdapter,
    UpstreamError,
    UpstreamRefused,
    UpstreamService,
    UpstreamUnavailable,
)
from panel.providers.dialect import (
    THROTTLED,
    no_constant,
    normalise_words,
    parse_decimal,
    parse_flag,
    parse_identifier,
    parse_order_status,
    parse_refill_state,
    parse_retry_after,
    parse_service,
    read_error_text,
    reject_reason,
    rows_by_id,
)
from panel.providers.ratelimit import RateLimiter

log = logging.getLogger("panel.providers")

PARALLEL_CALLS = 4  # status calls in flight at once to one provider
BATCH = 100  # API v2 takes at most 100 ids per status, cancel or refill_status call
DEFAULT_BACKOFF_S = 1.0  # after a 429 without Retry-After
SNIPPET = 200  # characters of an unreadable body kept for operators

S = TypeVar("S", bound=Submission)


def build_client(http: HttpSettings) -> httpx.AsyncClient:
    """The one client a process uses for upstream calls: built at start-up, closed at shutdown."""
    return httpx.AsyncClient(
        timeout=httpx.Timeout(
            connect=http.connect_timeout_s,
            read=http.read_timeout_s,
            write=http.read_timeout_s,
            # Waiting for a pooled connection is bounded too: a full pool is "not sent".
            pool=http.connect_timeout_s,
        ),
        limits=httpx.Limits(max_connections=http.max_connections),
        # A redirected POST turns into a GET and loses the form: report it instead.
        follow_redirects=False,
        headers={"User-Agent": "Pasok"},
    )


# --- the adapter -------------------------------------------------------------------------------


class _Failed(Exception):
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
class _Reply:
    status_code: int
    readable: bool
    payload: object
    snippet: str


class SmmV2Adapter:
    """One upstream provider that speaks API v2. Build one per provider and keep it for the
    life of the process: its rate limiter lives in it."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        api_url: str,
        api_key: str | SecretStr,
        limiter: RateLimiter | None = None,
    ) -> None:
        self._client = client
        self.api_url = api_url
        # Kept as SecretStr so that no repr, log or traceback of this object can show it.
        self._api_key = api_key if isinstance(api_key, SecretStr) else SecretStr(api_key)
        self._limiter = limiter or RateLimiter()
        self.provider = _host(api_url)  # what logs name: never the full URL

    def __repr__(self) -> str:
        return f"SmmV2Adapter(provider={self.provider!r})"

    # Calls that create something upstream: classified into an Outcome.

    async def add(self, params: OrderParams) -> AddResult:
        fields = {
            name: str(value)
            for name, value in params.items()
            if value is not None and name not in ("key", "action")
        }
        return await self._submit(AddResult, "add", fields, "order")

    async def refill(self, upstream_id: str) -> RefillResult:
        return await self._submit(RefillResult, "refill", {"order": upstream_id}, "refill")

    # Calls that are safe to repeat: a failure raises UpstreamError.

    async def services(self) -> list[UpstreamService]:
        payload = await self._query("services", {})
        # Some panels key the list by service id.
        if isinstance(payload, dict) and read_error_text(payload) is None:
            rows = list(payload.values())
        elif isinstance(payload, list):
            rows = payload
        else:
            self._unexpected("services", payload)
        found = [service for row in rows if (service := parse_service(row)) is not None]
        if skipped := len(rows) - len(found):
            # One broken row should not stop the sync of the others.
            self._log("services", f"skipped {skipped} rows without an id or a rate")
        return found

    async def status(self, upstream_ids: list[str]) -> dict[str, OrderStatus]:
        # Calls of 100 ids go out a few at a time: a poll of thousands is not 20 round trips
        # in a row, and the provider is not flooded either (the limiter still applies).
        chunks = list(_chunks(upstream_ids))
        statuses: dict[str, OrderStatus] = {}
        for start in range(0, len(chunks), PARALLEL_CALLS):
            for found in await asyncio.gather(
                *(self._status_chunk(chunk) for chunk in chunks[start : start + PARALLEL_CALLS])
            ):
                statuses.update(found)
        return statuses

    async def _status_chunk(self, chunk: list[str]) -> dict[str, OrderStatus]:
        statuses: dict[str, OrderStatus] = {}
        if len(chunk) == 1:
            payload = await self._query("status", {"order": chunk[0]})
            rows = self._rows_for_one("status", chunk[0], payload, "order")
        else:
            payload = await self._query("status", {"orders": ",".join(chunk)})
            rows = self._rows_for_many("status", payload, "order")
        for upstream_id, row in rows:
            if upstream_id in chunk and (found := parse_order_status(row)) is not None:
                statuses[upstream_id] = found
        if len(chunk) == 1 and chunk[0] not in statuses:
            self._unexpected("status", payload)
        return statuses

    async def cancel(self, upstream_ids: list[str]) -> dict[str, CancelResult]:
        results: dict[str, CancelResult] = {}
        for chunk in _chunks(upstream_ids):
            payload = await self._query("cancel", {"orders": ",".join(chunk)})
            if len(chunk) == 1 and isinstance(payload, dict) and "cancel" in payload:
                rows: list[tuple[str, object]] = [(chunk[0], payload)]
            else:
                rows = self._rows_for_many("cancel", payload, "order")
            for upstream_id, row in rows:
                if upstream_id in chunk:
                    value = row.get("cancel") if isinstance(row, dict) else row
                    error = read_error_text(value) or (value if isinstance(value, str) else None)
                    if error is None and parse_flag(value):
                        results[upstream_id] = CancelResult(Outcome.accepted)
                    else:
                        detail = self._redact(error or "not canceled")
                        results[upstream_id] = CancelResult(Outcome.rejected, detail)
        return results

    async def refill_status(self, refill_ids: list[str]) -> dict[str, RefillState]:
        states: dict[str, RefillState] = {}
        for chunk in _chunks(refill_ids):
            if len(chunk) == 1:
                payload = await self._query("refill_status", {"refill": chunk[0]})
                rows = self._rows_for_one("refill_status", chunk[0], payload, "refill")
            else:
                payload = await self._query("refill_status", {"refills": ",".join(chunk)})
                rows = self._rows_for_many("refill_status", payload, "refill")
            for refill_id, row in rows:
                if refill_id in chunk and (state := parse_refill_state(row)) is not None:
                    states[refill_id] = state
            if len(chunk) == 1 and chunk[0] not in states:
                self._unexpected("refill_status", payload)
        return states

    async def balance(self) -> Balance:
        payload = await self._query("balance", {})
        amount = parse_decimal(payload.get("balance")) if isinstance(payload, dict) else None
        if amount is None or not isinstance(payload, dict):
            self._unexpected("balance", payload)
        currency = payload.get("currency")
        return Balance(amount, currency if isinstance(currency, str) and currency else None)

    # Transport and classification.

    async def _post(self, action: str, fields: Mapping[str, str]) -> _Reply:
        wait = await self._limiter.acquire()
        if wait is not None:
            raise _Failed(Outcome.transient, f"held back by the rate limit for {wait:.1f} s", wait)
        form = {**fields, "key": self._api_key.get_secret_value(), "action": action}
        try:
            response = await self._client.post(self.api_url, data=form)
        except (
            httpx.ConnectError,
            httpx.ConnectTimeout,
            httpx.PoolTimeout,
            httpx.ProxyError,
        ) as exc:
            raise _Failed(Outcome.transient, self._redact(f"not sent: {_describe(exc)}")) from None
        except (httpx.UnsupportedProtocol, httpx.LocalProtocolError, httpx.InvalidURL) as exc:
            # A request that cannot be formed never leaves, and would not on a retry either.
            raise _Failed(Outcome.rejected, self._redact(f"not sent: {_describe(exc)}")) from None
        except httpx.HTTPError as exc:
            raise _Failed(Outcome.ambiguous, self._redact(f"lost: {_describe(exc)}")) from None

        code = response.status_code
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        if code == 429 or (code == 503 and retry_after is not None):
            self._limiter.defer(DEFAULT_BACKOFF_S if retry_after is None else retry_after)
        text = response.text.lstrip("\ufeff").strip()
        # Redact before cutting, so that no part of the key can be left at the cut.
        snippet = self._redact(" ".join(text.split()))[:SNIPPET]
        if code in (408, 429):
            raise _Failed(Outcome.transient, f"HTTP {code}: {snippet}", retry_after)
        if not (200 <= code < 300 or 400 <= code < 500):
            raise _Failed(Outcome.ambiguous, f"HTTP {code}: {snippet}", retry_after)
        try:
            payload: object = json.loads(text, parse_float=Decimal, parse_constant=no_constant)
        except (ValueError, RecursionError):
            return _Reply(code, False, None, snippet)
        return _Reply(code, True, payload, snippet)

    async def _submit(
        self, kind: type[S], action: str, fields: Mapping[str, str], id_key: str
    ) -> S:
        try:
            reply = await self._post(action, fields)
        except _Failed as failed:
            reason = RejectReason.other if failed.outcome is Outcome.rejected else None
            result = kind(failed.outcome, None, reason, failed.retry_after_s, failed.detail)
        else:
            result = self._classify(kind, reply, id_key)
        if result.outcome is not Outcome.accepted:
            self._log(action, result.detail, outcome=str(result.outcome), reason=result.reason)
        return result

    def _classify(self, kind: type[S], reply: _Reply, id_key: str) -> S:
        if reply.readable:
            # A well-formed id wins over anything else in the answer: the thing exists upstream.
            created = (
                reply.payload[0]
                if isinstance(reply.payload, list) and reply.payload
                else reply.payload
            )
            if isinstance(created, dict) and (upstream_id := parse_identifier(created.get(id_key))):
                return kind(Outcome.accepted, upstream_id)
            error = read_error_text(created) or read_error_text(
                created.get(id_key) if isinstance(created, dict) else None
            )
            if error is not None:
                detail = self._redact(error)
                if THROTTLED.search(normalise_words(error)):
                    self._limiter.defer(DEFAULT_BACKOFF_S)
                    return kind(Outcome.transient, None, None, DEFAULT_BACKOFF_S, detail)
                return kind(Outcome.rejected, None, reject_reason(error), None, detail)
        detail = f"HTTP {reply.status_code}: {reply.snippet}"
        if 400 <= reply.status_code < 500:
            return kind(Outcome.rejected, None, RejectReason.other, None, detail)
        return kind(Outcome.ambiguous, None, None, None, f"no {id_key} id in answer; {detail}")

    async def _query(self, action: str, fields: Mapping[str, str]) -> object:
        try:
            reply = await self._post(action, fields)
        except _Failed as failed:
            self._log(action, failed.detail, outcome=str(failed.outcome))
            raise failed.as_error() from None
        if reply.readable and (200 <= reply.status_code < 300 or read_error_text(reply.payload)):
            return reply.payload
        detail = f"HTTP {reply.status_code}: {reply.snippet}"
        self._log(action, detail)
        if reply.status_code >= 400:
            raise UpstreamRefused(detail)
        raise UpstreamUnavailable(detail)

    def _rows_for_one(
        self, action: str, upstream_id: str, payload: object, id_key: str
    ) -> list[tuple[str, object]]:
        # Some panels answer a single id in the many-ids shape.
        if isinstance(payload, list) or isinstance(payload, dict) and upstream_id in payload:
            return self._rows_for_many(action, payload, id_key)
        return [(upstream_id, payload)]

    def _rows_for_many(self, action: str, payload: object, id_key: str) -> list[tuple[str, object]]:
        # A top-level error is about the whole call (a bad key, say), not about any one id.
        if not isinstance(payload, dict | list) or read_error_text(payload) is not None:
            self._unexpected(action, payload)
        return list(rows_by_id(payload, id_key))

    def _unexpected(self, action: str, payload: object) -> NoReturn:
        error = read_error_text(payload)
        if error is not None:
            raise UpstreamRefused(self._redact(error))
        raise UpstreamUnavailable(
            self._redact(f"unexpected answer to {action}: {payload!r}")[:SNIPPET]
        )

    def _redact(self, text: str) -> str:
        # Some panels echo the request back in their error pages.
        secret = self._api_key.get_secret_value()
        if secret:
            for shown in {secret, quote_plus(secret)}:
                text = text.replace(shown, "[redacted]")
        return text

    def _log(self, action: str, detail: str, **fields: object) -> None:
        log.warning(
            "upstream %s: %s",
            action,
            detail,
            extra={"fields": {"provider": self.provider, "action": action, **fields}},
        )


def _chunks(ids: list[str]) -> Iterator[list[str]]:
    unique = list(dict.fromkeys(stripped for raw in ids if (stripped := raw.strip())))
    for start in range(0, len(unique), BATCH):
        yield unique[start : start + BATCH]


def _describe(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _host(api_url: str) -> str:
    try:
        return httpx.URL(api_url).host or "?"
    except httpx.InvalidURL:
        return "?"  # the first call reports it, classified


if TYPE_CHECKING:  # mypy proves here that the adapter fits the protocol the pipeline uses
    _fits: type[UpstreamAdapter] = SmmV2Adapter
