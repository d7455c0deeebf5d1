"""The optional automatic exchange-rate source: an operator's own URL, asked for each currency
its providers charge in, instead of setting every rate by hand.

    GET <PASOK_CURRENCIES__RATE_SOURCE_URL>?from=USD&to=IDR  ->  {"rate": "16250"}

The answer is read as exactly as it is written (a decimal string, or a JSON number read as a
decimal, never as a float) and checked like a rate typed in `/admin/v1`; an answer that does
not pass leaves the rate in force as it is. Rates it sets are recorded with source `source`.
"""

import json
import logging
from decimal import Decimal
from typing import Protocol

import httpx

from panel.currencies import service
from panel.errors import PanelError

log = logging.getLogger("panel.currencies")


class RateUnavailable(PanelError):
    status_code = 502
    title = "Exchange rate unavailable"


class RateSource(Protocol):
    async def rate(self, currency: str, panel_currency: str) -> Decimal:
        """What one unit of `currency` is worth in `panel_currency`; RateUnavailable if the
        source cannot say."""
        ...


class UrlRateSource:
    """A rate source at an operator's URL."""

    def __init__(self, client: httpx.AsyncClient, url: str) -> None:
        self._client = client
        self._url = url

    async def rate(self, currency: str, panel_currency: str) -> Decimal:
        try:
            response = await self._client.get(
                self._url, params={"from": currency, "to": panel_currency}
            )
        except httpx.HTTPError as error:
            raise RateUnavailable(f"rate source not reached: {type(error).__name__}") from None
        if response.status_code != 200:
            raise RateUnavailable(f"rate source answered HTTP {response.status_code}")
        try:
            body = json.loads(response.text, parse_float=Decimal, parse_int=Decimal)
        except ValueError:
            raise RateUnavailable("rate source answered something other than JSON") from None
        given = body.get("rate") if isinstance(body, dict) else None
        if not isinstance(given, str | Decimal):
            raise RateUnavailable("rate source answer has no `rate`")
        try:
            return service.rate_value(given)
        except PanelError as error:
            raise RateUnavailable(f"rate source gave an unusable rate: {error.detail}") from None


async def fetch_all(
    source: RateSource, currencies: list[str], panel_currency: str
) -> dict[str, Decimal]:
    """The rates the source gives for `currencies`; a currency it cannot give is logged and
    left out, so its rate in force stays as it is."""
    found: dict[str, Decimal] = {}
    for currency in currencies:
        try:
            found[currency] = await source.rate(currency, panel_currency)
        except RateUnavailable as error:
            log.warning(
                "exchange rate not refreshed",
                extra={"fields": {"currency": currency, "error": error.detail}},
            )
    return found
