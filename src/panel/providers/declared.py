"""The adapter for providers that speak their own dialect, as a dialect document describes it
(dialect_doc.py). Transport and classification are smm_v2's (transport.py): only where the
fields are and what the words mean comes from the document."""

import asyncio
import functools
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, NoReturn, TypeVar

import httpx
from pydantic import SecretStr

from panel.providers import dialect
from panel.providers.adapter import (
    AddResult,
    Balance,
    CancelResult,
    OrderParams,
    OrderState,
    Outcome,
    RefillResult,
    RefillState,
    RejectReason,
    Submission,
    UpstreamAdapter,
    UpstreamRefused,
    UpstreamService,
    UpstreamStatus,
    UpstreamUnavailable,
)
from panel.providers.dialect_doc import Dialect
from panel.providers.ratelimit import RateLimiter
from panel.providers.transport import SNIPPET, Failed, Reply, Transport, chunks, secret

PARALLEL_CALLS = 4  # single-id calls in flight at once, where the dialect has no many-ids call
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")

S = TypeVar("S", bound=Submission)


class DeclaredAdapter:
    """One provider speaking the dialect `doc`. Keep one per provider: its limiter lives in it."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        api_url: str,
        doc: Dialect,
        api_key: str | SecretStr,
        api_id: str | None = None,
        api_secret: str | SecretStr | None = None,
        limiter: RateLimiter | None = None,
    ) -> None:
        self.api_url = api_url.rstrip("/")
        self.doc = doc
        self._credentials = {
            "key": secret(api_key),
            "api_id": secret(api_id or ""),
            "secret": secret(api_secret or ""),
        }
        secrets = [self._credentials["key"], self._credentials["secret"]]
        self._wire = Transport(client, api_url, secrets, limiter)
        self.provider = self._wire.provider

    def __repr__(self) -> str:
        return f"DeclaredAdapter(provider={self.provider!r}, dialect={self.doc.name!r})"

    # Calls that create something upstream: classified into an Outcome.

    async def add(self, params: OrderParams) -> AddResult:
        values = {name: str(value) for name, value in params.items() if value is not None}
        return await self._submit(AddResult, "add", values)

    async def refill(self, upstream_id: str) -> RefillResult:
        if not self.doc.has("refill"):
            return RefillResult(Outcome.rejected, None, RejectReason.other, None, "no refill call")
        return await self._submit(RefillResult, "refill", {"order": upstream_id})

    # Calls that are safe to repeat: a failure raises UpstreamError.

    async def services(self) -> list[UpstreamService]:
        data = await self._query("services", {})
        rows = list(data.values()) if isinstance(data, dict) else data
        if not isinstance(rows, list):
            self._unexpected("services", data)
        fields = self.doc.services
        found = []
        for row in rows:
            service = (
                dialect.parse_service(_renamed(row, fields.__dict__))
                if isinstance(row, dict)
                else None
            )
            if service is not None:
                found.append(service)
        if skipped := len(rows) - len(found):
            self._wire.log("services", f"skipped {skipped} rows without an id or a rate")
        return found

    async def status(self, upstream_ids: list[str]) -> dict[str, UpstreamStatus]:
        statuses: dict[str, UpstreamStatus] = {}
        if self.doc.has("status_many"):
            for chunk in chunks(upstream_ids):
                if len(chunk) == 1:
                    statuses.update(await self._status_one(chunk[0]))
                    continue
                data = await self._query("status_many", {"orders": ",".join(chunk)})
                for upstream_id, row in dialect.rows_by_id(data, self.doc.status.id):
                    if upstream_id in chunk and (found := self._order_status(row)) is not None:
                        statuses[upstream_id] = found
            return statuses
        ids = list(dict.fromkeys(i.strip() for i in upstream_ids if i.strip()))
        for start in range(0, len(ids), PARALLEL_CALLS):
            batch = ids[start : start + PARALLEL_CALLS]
            for answered in await asyncio.gather(*(self._status_one(one) for one in batch)):
                statuses.update(answered)
        return statuses

    async def _status_one(self, upstream_id: str) -> dict[str, UpstreamStatus]:
        try:
            data = await self._query("status", {"order": upstream_id})
        except UpstreamRefused as refused:
            if self._unknown(refused.detail):
                return {upstream_id: UpstreamStatus(OrderState.unknown_upstream_id)}
            raise
        if isinstance(data, list) and data:
            data = data[0]
        if isinstance(data, dict) and upstream_id in data and isinstance(data[upstream_id], dict):
            data = data[upstream_id]
        found = self._order_status(data)
        if found is None:
            self._unexpected("status", data)
        return {upstream_id: found}

    async def cancel(self, upstream_ids: list[str]) -> dict[str, CancelResult]:
        results: dict[str, CancelResult] = {}
        for upstream_id in dict.fromkeys(i.strip() for i in upstream_ids if i.strip()):
            if not self.doc.has("cancel"):
                results[upstream_id] = CancelResult(Outcome.rejected, "no cancel call")
                continue
            try:
                await self._query("cancel", {"order": upstream_id})
            except UpstreamRefused as refused:
                results[upstream_id] = CancelResult(Outcome.rejected, refused.detail)
            else:
                results[upstream_id] = CancelResult(Outcome.accepted)
        return results

    async def refill_status(self, refill_ids: list[str]) -> dict[str, RefillState]:
        fields = self.doc.refill_status
        states: dict[str, RefillState] = {}
        if fields is None or not self.doc.has("refill_status"):
            return states
        for refill_id in dict.fromkeys(i.strip() for i in refill_ids if i.strip()):
            try:
                data = await self._query("refill_status", {"refill": refill_id})
            except UpstreamRefused as refused:
                if not self._unknown(refused.detail):
                    raise
                states[refill_id] = RefillState.unknown_upstream_id
                continue
            word = _at(data, fields.state)
            if not isinstance(word, str):
                self._unexpected("refill_status", data)
            # An unknown word keeps the refill running: settling on a guess would mislead.
            states[refill_id] = fields.words.get(word.strip().lower(), RefillState.in_progress)
        return states

    async def balance(self) -> Balance:
        data = await self._query("balance", {})
        amount = dialect.parse_decimal(_at(data, self.doc.balance))
        if amount is None:
            self._unexpected("balance", data)
        named = _at(data, self.doc.balance_currency) if self.doc.balance_currency else None
        currency = named.strip().upper() if isinstance(named, str) and named.strip() else None
        return Balance(amount, currency or self.doc.currency)

    # Reading answers the way the document says.

    def _order_status(self, row: object) -> UpstreamStatus | None:
        fields = self.doc.status
        word = _at(row, fields.state)
        if not isinstance(word, str):
            return None
        remains = _whole(_at(row, fields.remains))
        over = 0
        if remains is not None and remains < 0:
            remains, over = 0, -remains
        return UpstreamStatus(
            # An unknown word keeps the order in progress: settling on a guess would move money.
            state=fields.words.get(word.strip().lower(), OrderState.in_progress),
            remains=remains,
            start_count=_whole(_at(row, fields.start_count)),
            charge=dialect.parse_decimal(_at(row, fields.charge)),
            currency=self.doc.currency if fields.charge else None,
            over_delivered=over,
        )

    def _succeeded(self, payload: object) -> bool:
        if self.doc.success is None:
            return self._error(payload) is None
        marker = _at(payload, self.doc.success)
        return any(
            marker == value and type(marker) is type(value) for value in self.doc.success_values
        )

    def _error(self, payload: object) -> str | None:
        for path in self.doc.error:
            found = _at(payload, path)
            if isinstance(found, str | int) and str(found).strip():
                return str(found).strip()
        return None

    def _reason(self, error: str) -> RejectReason:
        lowered = error.lower()
        for fragment, reason in self.doc.reasons:
            if fragment in lowered:
                return reason
        return dialect.reject_reason(error)  # the API v2 words, which many dialects reuse

    def _unknown(self, error: str) -> bool:
        lowered = error.lower()
        return any(fragment in lowered for fragment in self.doc.unknown_id)

    # Transport.

    async def _post(self, action: str, values: Mapping[str, str]) -> Reply:
        spec = self.doc.actions[action]
        fields = _fill(self.doc.auth, self._credentials, values)
        fields |= _fill(spec.fields, self._credentials, values)
        return await self._wire.send(
            self.api_url + spec.path, fields, self.doc.method, self.doc.encoding
        )

    async def _submit(self, kind: type[S], action: str, values: Mapping[str, str]) -> S:
        classify = functools.partial(self._classify, kind, action=action)
        return await self._wire.submit(kind, action, self._post(action, values), classify)

    def _classify(self, kind: type[S], reply: Reply, action: str) -> S:
        made_at = self.doc.actions[action].id or "id"
        if reply.readable:
            data = _at(reply.payload, self.doc.data) if self.doc.data else reply.payload
            # A well-formed id wins over anything else in the answer: the thing exists upstream.
            if self._succeeded(reply.payload) and (
                made := dialect.parse_identifier(_at(data, made_at))
            ):
                return kind(Outcome.accepted, made)
            error = self._error(reply.payload)
            if error is not None or (
                self.doc.success and _at(reply.payload, self.doc.success) is False
            ):
                detail = self._wire.redact(error or "refused without a reason")
                words = dialect.normalise_words(detail)
                if dialect.THROTTLED.search(words) or any(t in words for t in self.doc.throttled):
                    return self._wire.throttled(kind, detail)
                return kind(Outcome.rejected, None, self._reason(detail), None, detail)
        return self._wire.unreadable(kind, reply, action)

    async def _query(self, action: str, values: Mapping[str, str]) -> object:
        try:
            reply = await self._post(action, values)
        except Failed as failed:
            self._wire.log(action, failed.detail, outcome=str(failed.outcome))
            raise failed.as_error() from None
        if reply.readable and self._succeeded(reply.payload) and 200 <= reply.status_code < 300:
            return _at(reply.payload, self.doc.data) if self.doc.data else reply.payload
        if reply.readable and (error := self._error(reply.payload)) is not None:
            raise UpstreamRefused(self._wire.redact(error))
        raise self._wire.refused_or_unavailable(action, reply)

    def _unexpected(self, action: str, payload: object) -> NoReturn:
        detail = self._wire.redact(f"unexpected answer to {action}: {payload!r}")[:SNIPPET]
        raise UpstreamUnavailable(detail)


def _at(payload: object, path: str | None) -> object:
    """The value at a dotted path ("data.msg"), or None."""
    if path is None:
        return None
    value = payload
    for part in path.split("."):
        if isinstance(value, dict):
            value = value.get(part)
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return value


def _whole(value: object) -> int | None:
    number = dialect.parse_decimal(value)
    return int(number) if number is not None and number == number.to_integral_value() else None


def _renamed(row: dict[str, object], fields: Mapping[str, str | None]) -> dict[str, object]:
    """A service row in API v2's names, so that `parse_service` reads it."""
    names = {"id": "service", "min": "min", "max": "max"}
    shown = {names.get(ours, ours): _at(row, theirs) for ours, theirs in fields.items() if theirs}
    for flag in ("refill", "cancel", "dripfeed"):
        shown[flag] = dialect.parse_flag(shown.get(flag))
    return shown


def _fill(
    templates: tuple[tuple[str, str], ...],
    credentials: Mapping[str, SecretStr],
    values: Mapping[str, str],
) -> dict[str, str]:
    """Request fields from their templates; a field whose order value is missing is left out."""
    filled: dict[str, str] = {}
    for name, template in templates:
        missing = False

        def value(match: re.Match[str]) -> str:
            nonlocal missing
            placeholder = match.group(1)
            if placeholder in credentials:
                return credentials[placeholder].get_secret_value()
            if placeholder not in values:
                missing = True
                return ""
            return values[placeholder]

        text = _PLACEHOLDER.sub(value, template)
        if not missing:
            filled[name] = text
    return filled


if TYPE_CHECKING:  # mypy proves here that the adapter fits the protocol the pipeline uses
    _fits: type[UpstreamAdapter] = DeclaredAdapter
