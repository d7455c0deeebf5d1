"""Exchange rates into the panel's currency, and the one place a provider's rate becomes a cost
in the panel's currency.

A provider service keeps its rate as the provider charges it (in the provider's currency) and
beside it the cost in the panel's currency, `convert(rate, exchange rate)`, with the exchange
rate used. Both are set together, whenever either moves: the catalogue sync when the rate
changes, `set_rate` when the exchange rate does. Prices are read from the stored cost, so an
order costs no conversion, and a rate change reprices every service routed to the provider by
itself, as a cost change does.

A provider in the panel's own currency needs no rate: its exchange rate is 1. A provider in a
currency with no rate yet has no cost, and its routes take no orders until one is set.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.ext.asyncio import AsyncSession

from panel import action_log
from panel.currencies.codes import is_known
from panel.errors import Invalid
from panel.growth import service_updates
from panel.models import ExchangeRate, Provider, ProviderService
from panel.money import round_half_up

ONE = Decimal(1)
# NUMERIC(20, 10): ten digits each side of the point.
MAX_INTEGER_DIGITS = 10
MAX_FRACTION_DIGITS = 10
MANUAL = "manual"
SOURCE = "source"


def convert(rate: Decimal, exchange_rate: Decimal) -> Decimal:
    """`rate` (a provider's, in its currency) in the panel's currency, rounded half-up to 6
    places: the one place an exchange rate is applied to a cost."""
    return round_half_up(rate * exchange_rate)


def currency_code(value: str) -> str:
    """`value` as a known ISO 4217 code, or Invalid."""
    if not is_known(value):
        raise Invalid(f"unknown currency {value!r}: give an ISO 4217 code such as USD or IDR")
    return value


def rate_value(value: str | Decimal) -> Decimal:
    """An exchange rate as given: a finite decimal above zero with at most ten digits on each
    side of the point, or Invalid. Nothing is rounded: a rate is used exactly as set."""
    try:
        rate = Decimal(value.strip()) if isinstance(value, str) else value
    except InvalidOperation:
        raise Invalid(f"rate {value!r} is not a decimal number") from None
    if not rate.is_finite():
        raise Invalid("rate must be a finite number")
    if rate <= 0:
        raise Invalid("rate must be above zero")
    exponent = rate.as_tuple().exponent
    assert isinstance(exponent, int)  # finite
    fraction = max(0, -exponent)
    whole = max(0, rate.adjusted() + 1)  # "1E+999" has a thousand, however it is written
    if fraction > MAX_FRACTION_DIGITS or whole > MAX_INTEGER_DIGITS:
        raise Invalid(
            f"rate must have at most {MAX_INTEGER_DIGITS} digits before the point and "
            f"{MAX_FRACTION_DIGITS} after it"
        )
    return rate


async def latest(session: AsyncSession, currencies: Iterable[str]) -> dict[str, ExchangeRate]:
    """The rate in force for each of `currencies` that has one."""
    wanted = sorted(set(currencies))
    if not wanted:
        return {}
    rows = await session.scalars(
        select(ExchangeRate)
        .where(ExchangeRate.currency.in_(wanted))
        # DISTINCT ON keeps each currency's first row: its newest.
        .ext(distinct_on(ExchangeRate.currency))
        .order_by(ExchangeRate.currency, ExchangeRate.created_at.desc(), ExchangeRate.id.desc())
    )
    return {row.currency: row for row in rows}


async def rate_for(session: AsyncSession, currency: str, panel_currency: str) -> Decimal | None:
    """What one unit of `currency` is worth in the panel's currency now; None when no rate
    has been set."""
    if currency == panel_currency:
        return ONE
    found = (await latest(session, [currency])).get(currency)
    return found.rate if found is not None else None


async def set_rate(
    session: AsyncSession,
    currency: str,
    rate: str | Decimal,
    *,
    panel_currency: str,
    source: str = MANUAL,
    set_by_id: int | None = None,
) -> tuple[ExchangeRate, int]:
    """Put `rate` in force for `currency` and reprice every provider service in it; the new
    row and how many provider services were repriced. Invalid (nothing written) for an
    unknown code, the panel's own currency or a bad rate. A rate an operator sets
    (`set_by_id`) is recorded in the action log."""
    currency = currency_code(currency)
    if currency == panel_currency:
        raise Invalid(f"{currency} is the panel's currency: it needs no exchange rate")
    value = rate_value(rate)
    was = (await latest(session, [currency])).get(currency)
    row = ExchangeRate(currency=currency, rate=value, source=source, set_by_id=set_by_id)
    session.add(row)
    await session.flush()
    repriced = await reprice(session, currency, value)
    if set_by_id is not None:
        await action_log.record(
            session,
            set_by_id,
            "exchange_rate.set",
            "exchange_rate",
            row.id,
            before={"currency": currency, "rate": was.rate} if was is not None else None,
            after={"currency": currency, "rate": value, "repriced": repriced},
        )
    return row, repriced


async def reprice(session: AsyncSession, currency: str, exchange_rate: Decimal | None) -> int:
    """Set the cost of every provider service of a provider in `currency` from its rate at
    `exchange_rate` (None: no cost); how many changed."""
    services = await session.scalars(
        select(ProviderService)
        .join(Provider, Provider.id == ProviderService.provider_id)
        .where(Provider.currency == currency)
    )
    changed = 0
    # Buyers see the costs move as prices: recorded with the new rate.
    watched = await service_updates.routed_in_currency(session, currency)
    async with service_updates.recorded(session, watched):
        for provider_service in services:
            changed += set_cost(provider_service, exchange_rate)
        await session.flush()
    return changed


def set_cost(provider_service: ProviderService, exchange_rate: Decimal | None) -> bool:
    """Derive the service's cost in the panel's currency from its rate; whether it moved."""
    cost = convert(provider_service.rate, exchange_rate) if exchange_rate is not None else None
    if provider_service.cost == cost and provider_service.exchange_rate == exchange_rate:
        return False
    provider_service.cost = cost
    provider_service.exchange_rate = exchange_rate
    return True


async def history(session: AsyncSession, currency: str) -> list[ExchangeRate]:
    """Every rate set for `currency`, newest first."""
    currency = currency_code(currency)
    rows = await session.scalars(
        select(ExchangeRate)
        .where(ExchangeRate.currency == currency)
        .order_by(ExchangeRate.created_at.desc(), ExchangeRate.id.desc())
    )
    return list(rows)


@dataclass(frozen=True)
class RateInForce:
    """A currency the panel buys in, and its rate as of now. `rate` None: providers use the
    currency and no rate has been set (their routes take no orders)."""

    currency: str
    rate: Decimal | None
    source: str | None
    set_by_id: int | None
    set_at: datetime | None
    age_s: float | None
    stale: bool
    providers: int  # providers in this currency


async def in_force(
    session: AsyncSession, panel_currency: str, max_age_s: float, now: datetime
) -> list[RateInForce]:
    """Every currency with a rate or a provider, other than the panel's own, by code. A rate
    older than `max_age_s`, or missing where a provider needs it, is stale."""
    counts: dict[str, int] = {}
    for code in await session.scalars(select(Provider.currency)):
        if code != panel_currency:
            counts[code] = counts.get(code, 0) + 1
    known = set(await session.scalars(select(ExchangeRate.currency).distinct()))
    found = await latest(session, known | set(counts))
    shown = []
    for code in sorted((known | set(counts)) - {panel_currency}):
        row = found.get(code)
        age = (now - row.created_at).total_seconds() if row is not None else None
        shown.append(
            RateInForce(
                currency=code,
                rate=row.rate if row is not None else None,
                source=row.source if row is not None else None,
                set_by_id=row.set_by_id if row is not None else None,
                set_at=row.created_at if row is not None else None,
                age_s=age,
                stale=age is None or age > max_age_s,
                providers=counts.get(code, 0),
            )
        )
    return shown


async def needed(session: AsyncSession, panel_currency: str) -> list[str]:
    """The currencies, other than the panel's, that some provider charges in."""
    codes = await session.scalars(
        select(Provider.currency).where(Provider.currency != panel_currency).distinct()
    )
    return sorted(codes)
