"""The prepaid adapter for Digiflazz-style APIs: JSON POSTs to `/price-list`, `/transaction` and
`/cek-saldo`, each signed with md5(username + key + a per-call word), answers wrapped in `data`,
and webhooks signed with an HMAC-SHA1 of the raw body.

How answers are classified (prepaid.py says what each outcome allows):
- A call that never left (connect refused or timed out, no pooled connection, our rate limit)
  is `transient`; a 429 too, with its Retry-After.
- A call that left and got no readable purchase back (read timeout, broken connection, any 5xx,
  a 2xx without JSON) is `ambiguous`. Digiflazz treats a repeat with the same `ref_id` as a
  status check, so the pipeline may resolve it by calling `check` with the same three values:
  that either reports the first purchase or, if the first never arrived, makes it once.
- A readable purchase is read by its `status` ("Sukses", "Pending", "Gagal") and its `rc`:
  `RC_REASONS` lists the failure codes, all of which Digiflazz documents as charging nothing.
  rc 49 (the ref_id is already used) is ambiguous: our ref_id names a purchase we may not know.
"""

import hashlib
import hmac
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import TYPE_CHECKING, NoReturn

import httpx
from pydantic import SecretStr

from panel.providers.adapter import Outcome, UpstreamRefused, UpstreamUnavailable
from panel.providers.dialect import no_constant, parse_decimal, parse_flag, parse_retry_after
from panel.providers.prepaid import (
    CallbackRefused,
    PrepaidAdapter,
    PrepaidCallback,
    PrepaidProduct,
    PrepaidReason,
    PrepaidResult,
    PrepaidState,
)
from panel.providers.ratelimit import RateLimiter

log = logging.getLogger("panel.providers")

DEFAULT_BASE_URL = "https://api.digiflazz.com/v1"
DEFAULT_BACKOFF_S = 1.0  # after a 429 or a limit code without Retry-After
SNIPPET = 200

RC_SUCCESS = "00"
RC_PENDING = frozenset({"03", "99"})  # 99: "DF Router Issue", still being routed
RC_AMBIGUOUS = frozenset({"49"})
# Failure codes and what they say about where to go next. Codes not listed but answered with
# status "Gagal" count as `other`.
RC_REASONS: Mapping[str, PrepaidReason] = {
    **dict.fromkeys(("41", "42", "45", "80", "82"), PrepaidReason.credentials),
    **dict.fromkeys(("44", "61"), PrepaidReason.provider_funds),
    **dict.fromkeys(
        ("43", "53", "55", "56", "58", "62", "63", "66", "67", "68", "69", "71", "81"),
        PrepaidReason.product,
    ),
    **dict.fromkeys(("51", "52", "54", "57", "59", "60", "72", "73"), PrepaidReason.customer),
    **dict.fromkeys(("65", "83", "85", "86"), PrepaidReason.limit),
}
LIMIT_CODES = frozenset({"83", "85", "86"})  # the provider wants fewer calls: back off

_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.ProxyError)
_UNSENDABLE = (httpx.UnsupportedProtocol, httpx.LocalProtocolError, httpx.InvalidURL)


def request_sign(username: str, key: str, word: str) -> str:
    """The `sign` of a request: the word is the ref_id, "pricelist" or "depo"."""
    return hashlib.md5(f"{username}{key}{word}".encode()).hexdigest()


def webhook_signature(secret: str, body: bytes) -> str:
    """The `X-Hub-Signature` header of a webhook over its raw body."""
    return "sha1=" + hmac.new(secret.encode(), body, hashlib.sha1).hexdigest()


class _NoAnswer(Exception):
    """No readable answer; `outcome` says whether the request may have been acted on."""

    def __init__(self, outcome: Outcome, detail: str, retry_after_s: float | None = None) -> None:
        super().__init__(detail)
        self.outcome = outcome
        self.detail = detail
        self.retry_after_s = retry_after_s


@dataclass(frozen=True)
class _Answer:
    status_code: int
    data: object  # what the answer holds under `data`; None when it holds nothing readable
    snippet: str


class DigiflazzAdapter:
    """One Digiflazz-style account. Build one per account and keep it for the life of the
    process: its rate limiter lives in it."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        username: str,
        api_key: str | SecretStr,
        *,
        webhook_secret: str | SecretStr | None = None,
        base_url: str = DEFAULT_BASE_URL,
        limiter: RateLimiter | None = None,
    ) -> None:
        self._client = client
        self.username = username
        self.base_url = base_url.rstrip("/")
        # SecretStr so that no repr, log or traceback of this object can show them.
        self._key = api_key if isinstance(api_key, SecretStr) else SecretStr(api_key)
        secret = webhook_secret or ""
        self._secret = secret if isinstance(secret, SecretStr) else SecretStr(secret)
        self._limiter = limiter or RateLimiter()
        self.provider = _host(self.base_url)  # what logs name: never the full URL

    def __repr__(self) -> str:
        return f"DigiflazzAdapter(provider={self.provider!r}, username={self.username!r})"

    # Purchases: classified into a PrepaidResult.

    async def topup(self, sku: str, customer_no: str, ref_id: str) -> PrepaidResult:
        return await self._purchase("topup", sku, customer_no, ref_id)

    async def check(self, sku: str, customer_no: str, ref_id: str) -> PrepaidResult:
        # The API has no read-only status call: the same request again is the check, and
        # upstream never makes a second purchase for one ref_id.
        return await self._purchase("check", sku, customer_no, ref_id)

    async def _purchase(self, call: str, sku: str, customer_no: str, ref_id: str) -> PrepaidResult:
        body = {
            "username": self.username,
            "buyer_sku_code": sku,
            "customer_no": customer_no,
            "ref_id": ref_id,
            "sign": self._sign(ref_id),
        }
        try:
            answer = await self._send("/transaction", body)
        except _NoAnswer as failed:
            refused = failed.outcome is Outcome.rejected
            result = PrepaidResult(
                failed.outcome,
                PrepaidState.failed if refused else None,
                reason=PrepaidReason.other if refused else None,
                retry_after_s=failed.retry_after_s,
                detail=failed.detail,
            )
        else:
            result = self._classify(answer)
        if result.outcome is not Outcome.accepted:
            self._log(call, result.detail, outcome=str(result.outcome), ref_id=ref_id)
        return result

    def _classify(self, answer: _Answer) -> PrepaidResult:
        if isinstance(answer.data, dict) and (read := read_purchase(answer.data)) is not None:
            if read.outcome is Outcome.rejected and read.code in LIMIT_CODES:
                self._limiter.defer(DEFAULT_BACKOFF_S)
            # Some providers echo the request in their messages.
            return replace(
                read, message=self._redact(read.message), detail=self._redact(read.detail)
            )
        detail = f"HTTP {answer.status_code}: {answer.snippet}"
        if 400 <= answer.status_code < 500:
            # Refused before anything was made, in a shape we do not know.
            return PrepaidResult(
                Outcome.rejected, PrepaidState.failed, reason=PrepaidReason.other, detail=detail
            )
        return PrepaidResult(Outcome.ambiguous, detail=f"no purchase in answer; {detail}")

    # Safe to repeat: a failure raises UpstreamError.

    async def products(self) -> list[PrepaidProduct]:
        body = {"cmd": "prepaid", "username": self.username, "sign": self._sign("pricelist")}
        rows = await self._query("price-list", "/price-list", body)
        if not isinstance(rows, list):
            self._unexpected("price-list", rows)
        found = [product for row in rows if (product := read_product(row)) is not None]
        if skipped := len(rows) - len(found):
            self._log("price-list", f"skipped {skipped} rows without a sku or a price")
        return found

    async def balance(self) -> Decimal:
        body = {"cmd": "deposit", "username": self.username, "sign": self._sign("depo")}
        data = await self._query("cek-saldo", "/cek-saldo", body)
        deposit = parse_decimal(data.get("deposit")) if isinstance(data, dict) else None
        if deposit is None:
            self._unexpected("cek-saldo", data)
        return deposit

    async def _query(self, call: str, path: str, body: Mapping[str, str]) -> object:
        try:
            answer = await self._send(path, body)
        except _NoAnswer as failed:
            self._log(call, failed.detail, outcome=str(failed.outcome))
            if failed.outcome is Outcome.rejected:
                raise UpstreamRefused(failed.detail) from None
            raise UpstreamUnavailable(failed.detail, failed.retry_after_s) from None
        if 200 <= answer.status_code < 300 and answer.data is not None:
            if not (isinstance(answer.data, dict) and "rc" in answer.data):
                return answer.data
        self._unexpected(call, answer.data, answer)

    def _unexpected(self, call: str, data: object, answer: _Answer | None = None) -> NoReturn:
        code = str(data.get("rc")) if isinstance(data, dict) and "rc" in data else None
        if code is not None and isinstance(data, dict):
            detail = self._redact(f"rc {code}: {data.get('message') or ''}".strip())
            self._log(call, detail)
            if code in LIMIT_CODES:
                self._limiter.defer(DEFAULT_BACKOFF_S)
                raise UpstreamUnavailable(detail, DEFAULT_BACKOFF_S)
            raise UpstreamRefused(detail)
        shown = f"HTTP {answer.status_code}: {answer.snippet}" if answer else repr(data)
        detail = self._redact(f"unexpected answer to {call}: {shown}")[:SNIPPET]
        self._log(call, detail)
        if answer is not None and 400 <= answer.status_code < 500:
            raise UpstreamRefused(detail)
        raise UpstreamUnavailable(detail)

    # Callbacks.

    def read_callback(self, headers: Mapping[str, str], body: bytes) -> PrepaidCallback:
        secret = self._secret.get_secret_value()
        if not secret:
            raise CallbackRefused("no webhook secret is set for this account: cannot verify")
        lowered = {name.lower(): value for name, value in headers.items()}
        given = lowered.get("x-hub-signature", "").strip()
        if not hmac.compare_digest(given.lower(), webhook_signature(secret, body)):
            raise CallbackRefused("wrong or missing X-Hub-Signature")
        try:
            payload = json.loads(body, parse_float=Decimal, parse_constant=no_constant)
        except (ValueError, RecursionError):
            raise CallbackRefused("the callback body is not JSON") from None
        data = payload.get("data") if isinstance(payload, dict) else None
        ref_id = data.get("ref_id") if isinstance(data, dict) else None
        if not isinstance(data, dict) or not isinstance(ref_id, str) or not ref_id:
            raise CallbackRefused("the callback carries no data.ref_id")
        result = read_purchase(data) or PrepaidResult(
            Outcome.ambiguous, detail=self._redact(f"unreadable callback: {data!r}")[:SNIPPET]
        )
        return PrepaidCallback(ref_id, lowered.get("x-digiflazz-event"), result)

    # Transport.

    async def _send(self, path: str, body: Mapping[str, str]) -> _Answer:
        wait = await self._limiter.acquire()
        if wait is not None:
            raise _NoAnswer(
                Outcome.transient, f"held back by the rate limit for {wait:.1f} s", wait
            )
        try:
            response = await self._client.post(f"{self.base_url}{path}", json=body)
        except _NOT_SENT as exc:
            raise _NoAnswer(Outcome.transient, self._redact(f"not sent: {exc!r}")) from None
        except _UNSENDABLE as exc:
            # It never leaves, and would not on a retry either.
            raise _NoAnswer(Outcome.rejected, self._redact(f"not sent: {exc!r}")) from None
        except httpx.HTTPError as exc:
            raise _NoAnswer(Outcome.ambiguous, self._redact(f"lost: {exc!r}")) from None
        code = response.status_code
        text = response.text.lstrip("\ufeff").strip()
        snippet = self._redact(" ".join(text.split()))[:SNIPPET]
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        if code == 429:
            backoff = DEFAULT_BACKOFF_S if retry_after is None else retry_after
            self._limiter.defer(backoff)
            raise _NoAnswer(Outcome.transient, f"HTTP 429: {snippet}", backoff)
        if not (200 <= code < 300 or 400 <= code < 500):
            # A 5xx may come after the purchase was written: never read it as a refusal.
            raise _NoAnswer(Outcome.ambiguous, f"HTTP {code}: {snippet}", retry_after)
        try:
            payload = json.loads(text, parse_float=Decimal, parse_constant=no_constant)
        except (ValueError, RecursionError):
            return _Answer(code, None, snippet)
        data = payload.get("data") if isinstance(payload, dict) else None
        return _Answer(code, data, snippet)

    def _sign(self, word: str) -> str:
        return request_sign(self.username, self._key.get_secret_value(), word)

    def _redact(self, text: str) -> str:
        for secret in (self._key.get_secret_value(), self._secret.get_secret_value()):
            if secret:
                text = text.replace(secret, "[redacted]")
        return text

    def _log(self, call: str, detail: str, **fields: object) -> None:
        log.warning(
            "prepaid %s: %s",
            call,
            detail,
            extra={"fields": {"provider": self.provider, "action": call, **fields}},
        )


def _host(url: str) -> str:
    try:
        return httpx.URL(url).host or "?"
    except httpx.InvalidURL:
        return "?"  # the first call reports it, classified


def read_purchase(data: Mapping[str, object]) -> PrepaidResult | None:
    """A purchase as a topup, a check or a webhook reports it; None without a status or rc."""
    code = str(data["rc"]).strip() if data.get("rc") is not None else None
    status = data.get("status")
    word = status.strip().lower() if isinstance(status, str) else None
    if code is None and word is None:
        return None
    message, serial = data.get("message"), data.get("sn")
    base = PrepaidResult(
        Outcome.ambiguous,
        serial=(serial.strip() or None) if isinstance(serial, str) else None,
        message=message if isinstance(message, str) else "",
        price=parse_decimal(data.get("price")),
        code=code,
    )
    said = f"rc {code}, status {status!r}: {base.message}"
    if code in RC_AMBIGUOUS:
        return replace(base, detail=said)
    if word in ("sukses", "success") and code in (RC_SUCCESS, None):
        return replace(base, outcome=Outcome.accepted, state=PrepaidState.success)
    if word in ("pending", "processing") and (code is None or code in RC_PENDING):
        return replace(base, outcome=Outcome.accepted, state=PrepaidState.pending)
    if word in ("gagal", "failed") and code != RC_SUCCESS and code not in RC_PENDING:
        reason = RC_REASONS.get(code or "", PrepaidReason.other)
        return replace(
            base, outcome=Outcome.rejected, state=PrepaidState.failed, reason=reason, detail=said
        )
    # A status and a code that disagree, or words we do not know: ask again.
    return replace(base, detail=f"unclear answer: {said}")


def read_product(row: object) -> PrepaidProduct | None:
    """One price-list row; None without a sku or a price."""
    if not isinstance(row, dict):
        return None
    sku, price = row.get("buyer_sku_code"), parse_decimal(row.get("price"))
    if not isinstance(sku, str) or not sku.strip() or price is None:
        return None

    def text(name: str) -> str:
        value = row.get(name)
        return value.strip() if isinstance(value, str) else ""

    # Sold only while both we (the buyer) and the seller have it switched on.
    active = parse_flag(row.get("buyer_product_status", True)) and parse_flag(
        row.get("seller_product_status", True)
    )
    return PrepaidProduct(
        sku=sku.strip(),
        name=text("product_name"),
        category=text("category"),
        brand=text("brand"),
        price=price,
        active=active,
        description=text("desc"),
    )


if TYPE_CHECKING:  # mypy proves here that the adapter fits the protocol the pipeline uses
    _fits: type[PrepaidAdapter] = DigiflazzAdapter
