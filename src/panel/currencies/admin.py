"""`/admin/v1`: exchange rates into the panel's currency, their history, and how old each is."""

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Path, status

from panel.currencies import service
from panel.currencies.schemas import (
    ExchangeRateIn,
    ExchangeRateOut,
    ExchangeRateSet,
    RateInForceOut,
)
from panel.keys.callers import OperatorDep
from panel.plumbing import metrics
from panel.plumbing.deps import RuntimeDep, SessionDep

router = APIRouter(tags=["admin: currencies"])

CurrencyCode = Annotated[str, Path(min_length=3, max_length=3, pattern=r"^[A-Z]{3}$")]


@router.post("/exchange-rates", status_code=status.HTTP_201_CREATED)
async def set_exchange_rate(
    body: ExchangeRateIn, session: SessionDep, runtime: RuntimeDep, operator: OperatorDep
) -> ExchangeRateSet:
    """Put a rate in force for a currency; every provider service in it is repriced at once."""
    row, repriced = await service.set_rate(
        session,
        body.currency,
        body.rate,
        panel_currency=runtime.settings.currency,
        set_by_id=operator.account_id,
    )
    return ExchangeRateSet.model_validate(
        ExchangeRateOut.model_validate(row).model_dump() | {"repriced": repriced}
    )


@router.get("/exchange-rates")
async def exchange_rates(session: SessionDep, runtime: RuntimeDep) -> list[RateInForceOut]:
    """The rate in force for every currency the panel buys in, with its age: `stale` when
    older than allowed or missing where a provider needs it."""
    settings = runtime.settings
    found = await service.in_force(
        session, settings.currency, settings.currencies.rate_max_age_s, datetime.now(UTC)
    )
    await metrics.publish_exchange_rates(runtime.redis, {r.currency: r.stale for r in found})
    return [RateInForceOut(panel_currency=settings.currency, **asdict(rate)) for rate in found]


@router.get("/exchange-rates/{currency}")
async def exchange_rate_history(
    currency: CurrencyCode, session: SessionDep
) -> list[ExchangeRateOut]:
    """Every rate set for `currency`, newest first: who set it and when."""
    return [ExchangeRateOut.model_validate(row) for row in await service.history(session, currency)]
