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
import functools
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, NoReturn, TypeVar

import httpx
from pydantic import SecretStr

from panel.providers.adapter import (
    AddResult,
    Balance,
    CancelResult,
    OrderParams,
    Outcome,
    RefillResult,
    RefillState,
    Submission,
    UpstreamAdapter,
    UpstreamRefused,
    UpstreamService,
    UpstreamStatus,
    UpstreamUnavailable,
)
from panel.providers.dialect import (
    THROTTLED,
    normalise_words,
    parse_decimal,
    parse_flag,
    parse_identifier,
    parse_order_status,
    parse_refill_state,
    parse_service,
    read_error_text,
    reject_reason,
    rows_by_id,
)
from panel.providers.ratelimit import RateLimiter
from panel.providers.transport import SNIPPET, Failed, Reply, Transport, chunks, secret

PARALLEL_CALLS = 4  # status calls in flight at once to one provider

S = TypeVar("S", bound=Submission)
T = TypeVar("T")


# --- the adapter -------------------------------------------------------------------------------


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
        self.api_url = api_url
        self._api_key = secret(api_key)
        self._wire = Transport(client, api_url, [self._api_key], limiter)
        self._limiter = self._wire.limiter
        self.provider = self._wire.provider

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

    async def status(self, upstream_ids: list[str]) -> dict[str, UpstreamStatus]:
        # Calls of 100 ids go out a few at a time: a poll of thousands is not 20 round trips
        # in a row, and the provider is not flooded either (the limiter still applies).
        batches = list(chunks(upstream_ids))
        statuses: dict[str, UpstreamStatus] = {}
        for start in range(0, len(batches), PARALLEL_CALLS):
            calls = (
                self._read_chunk("status", "order", chunk, parse_order_status)
                for chunk in batches[start : start + PARALLEL_CALLS]
            )
            for found in await asyncio.gather(*calls):
                statuses.update(found)
        return statuses

    async def _read_chunk(
        self, action: str, field: str, chunk: list[str], parse: Callable[[object], T | None]
    ) -> dict[str, T]:
        """One call of a status read, of orders or refills: one id goes as `field`, several as
        `field`s. Rows `parse` cannot read are left out, but a lone id without one is an
        unexpected answer."""
        found: dict[str, T] = {}
        if len(chunk) == 1:
            payload = await self._query(action, {field: chunk[0]})
            rows = self._rows_for_one(action, chunk[0], payload, field)
        else:
            payload = await self._query(action, {f"{field}s": ",".join(chunk)})
            rows = self._rows_for_many(action, payload, field)
        for upstream_id, row in rows:
            if upstream_id in chunk and (parsed := parse(row)) is not None:
                found[upstream_id] = parsed
        if len(chunk) == 1 and chunk[0] not in found:
            self._unexpected(action, payload)
        return found

    async def cancel(self, upstream_ids: list[str]) -> dict[str, CancelResult]:
        results: dict[str, CancelResult] = {}
        for chunk in chunks(upstream_ids):
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
        for chunk in chunks(refill_ids):
            states |= await self._read_chunk("refill_status", "refill", chunk, parse_refill_state)
        return states

    async def balance(self) -> Balance:
        payload = await self._query("balance", {})
        amount = parse_decimal(payload.get("balance")) if isinstance(payload, dict) else None
        if amount is None or not isinstance(payload, dict):
            self._unexpected("balance", payload)
        currency = payload.get("currency")
        return Balance(amount, currency if isinstance(currency, str) and currency else None)

    # Transport and classification.

    async def _post(self, action: str, fields: Mapping[str, str]) -> Reply:
        form = {**fields, "key": self._api_key.get_secret_value(), "action": action}
        return await self._wire.send(self.api_url, form)

    async def _submit(
        self, kind: type[S], action: str, fields: Mapping[str, str], id_key: str
    ) -> S:
        classify = functools.partial(self._classify, kind, id_key=id_key)
        return await self._wire.submit(kind, action, self._post(action, fields), classify)

    def _classify(self, kind: type[S], reply: Reply, id_key: str) -> S:
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
                    return self._wire.throttled(kind, detail)
                return kind(Outcome.rejected, None, reject_reason(error), None, detail)
        return self._wire.unreadable(kind, reply, id_key)

    async def _query(self, action: str, fields: Mapping[str, str]) -> object:
        try:
            reply = await self._post(action, fields)
        except Failed as failed:
            self._log(action, failed.detail, outcome=str(failed.outcome))
            raise failed.as_error() from None
        if reply.readable and (200 <= reply.status_code < 300 or read_error_text(reply.payload)):
            return reply.payload
        raise self._wire.refused_or_unavailable(action, reply)

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
        return self._wire.redact(text)

    def _log(self, action: str, detail: str, **fields: object) -> None:
        self._wire.log(action, detail, **fields)


if TYPE_CHECKING:  # mypy proves here that the adapter fits the protocol the pipeline uses
    _fits: type[UpstreamAdapter] = SmmV2Adapter
