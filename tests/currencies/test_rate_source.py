"""The automatic rate source: an operator's URL answering one rate per currency, brought in by
the cron; an unusable answer leaves the rate in force as it was."""

from decimal import Decimal

import httpx
import pytest
import respx

from panel.catalogue import service as catalogue
from panel.config import CurrencySettings, Settings
from panel.currencies import service as currencies
from panel.errors import Invalid
from panel.models import ProviderService
from panel.plumbing import metrics
from panel.plumbing.runtime import Runtime
from workers import currency_jobs

URL = "http://rates.example.test/rate"


@pytest.fixture
def pipeline_settings(pipeline_settings: Settings) -> Settings:
    return pipeline_settings.model_copy(
        update={"currencies": CurrencySettings(rate_source_url=URL)}
    )


async def _usd_provider(runtime: Runtime) -> int:
    async with runtime.transaction() as session:
        provider = await catalogue.create_provider(
            session,
            name="Dollars",
            api_url="http://127.0.0.1:9/api/v2",
            api_key="k",
            currency="USD",
        )
        service = await catalogue.upsert_provider_service(
            session, provider.id, "1", panel_currency="IDR", name="F", rate=Decimal("0.5")
        )
        return service.id


async def _in_force(runtime: Runtime) -> list[tuple[str, Decimal, str]]:
    async with runtime.transaction() as session:
        rows = await currencies.history(session, "USD")
        return [(row.currency, row.rate, row.source) for row in rows]


async def test_the_source_sets_the_rate_and_reprices(runtime: Runtime) -> None:
    service_id = await _usd_provider(runtime)
    with respx.mock:
        route = respx.get(URL, params={"from": "USD", "to": "IDR"}).mock(
            return_value=httpx.Response(200, text='{"rate": 16250.5}')
        )
        assert await currency_jobs.refresh_exchange_rates(runtime) == 1
    assert route.called
    assert await _in_force(runtime) == [("USD", Decimal("16250.5"), "source")]
    async with runtime.transaction() as session:
        service = await session.get_one(ProviderService, service_id)
        assert (service.cost, service.exchange_rate) == (Decimal("8125.25"), Decimal("16250.5"))
    assert metrics.EXCHANGE_RATE_STALE.labels("USD")._value.get() == 0


@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(200, text='{"rate": "0"}'),
        httpx.Response(200, text='{"rate": "-1"}'),
        httpx.Response(200, text='{"rate": "NaN"}'),
        httpx.Response(200, text='{"rate": 1e999}'),
        httpx.Response(200, text='{"rate": "16250.12345678901"}'),
        httpx.Response(200, text='{"price": "16250"}'),
        httpx.Response(200, text="<html>"),
        httpx.Response(503, text='{"rate": "16250"}'),
    ],
)
async def test_an_unusable_answer_changes_nothing(runtime: Runtime, answer: httpx.Response) -> None:
    await _usd_provider(runtime)
    async with runtime.transaction() as session:
        await currencies.set_rate(session, "USD", "16000", panel_currency="IDR")
    with respx.mock:
        respx.get(URL).mock(return_value=answer)
        assert await currency_jobs.refresh_exchange_rates(runtime) == 0
    assert await _in_force(runtime) == [("USD", Decimal("16000"), "manual")]


async def test_with_no_rate_at_all_the_currency_is_flagged_stale(runtime: Runtime) -> None:
    await _usd_provider(runtime)
    with respx.mock:
        respx.get(URL).mock(side_effect=httpx.ConnectError("refused"))
        assert await currency_jobs.refresh_exchange_rates(runtime) == 0
    assert await _in_force(runtime) == []
    assert metrics.EXCHANGE_RATE_STALE.labels("USD")._value.get() == 1


@pytest.mark.parametrize(
    "given",
    [
        "0",
        "-1",
        "NaN",
        "sNaN",
        "Infinity",
        "1e-11",
        "1E+999",
        "1e10",
        "12345678901",
        "0.00000000001",
        "x",
        "",
    ],
)
def test_a_rate_is_refused_unless_finite_positive_and_within_its_digits(given: str) -> None:
    with pytest.raises(Invalid):
        currencies.rate_value(given)


@pytest.mark.parametrize("given", ["16250", "0.000061", "9999999999.9999999999", "1e3"])
def test_a_rate_within_bounds_is_kept_exactly(given: str) -> None:
    assert currencies.rate_value(given) == Decimal(given)
