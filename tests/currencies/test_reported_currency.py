"""What a provider says about its currency: in `balance`, and where it names one, per service."""

from decimal import Decimal

from panel.catalogue.sync import Listing, reported_currency
from panel.models import Provider
from panel.providers.adapter import Balance
from panel.providers.dialect import parse_service


def _listing(balance_currency: str | None, *service_currencies: str | None) -> Listing:
    services = []
    for number, currency in enumerate(service_currencies, start=1):
        row = {"service": number, "name": "S", "rate": "1.5", "min": 10, "max": 100}
        if currency is not None:
            row["currency"] = currency
        parsed = parse_service(row)
        assert parsed is not None
        services.append(parsed)
    return Listing(services, Balance(Decimal(10), balance_currency))


def test_a_service_row_may_name_its_currency() -> None:
    row = {"service": 1, "rate": "1", "currency": " eur "}
    parsed = parse_service(row)
    assert parsed is not None
    assert parsed.currency == "EUR"
    assert parse_service({"service": 1, "rate": "1"}).currency is None  # type: ignore[union-attr]


def test_another_currency_anywhere_in_the_answer_is_reported() -> None:
    usd = Provider(currency="USD")
    assert reported_currency(usd, _listing("USD", "USD", None)) is None
    assert reported_currency(usd, _listing(None)) is None
    assert reported_currency(usd, _listing("usd")) is None
    assert reported_currency(usd, _listing("IDR")) == "IDR"
    assert reported_currency(usd, _listing("USD", None, "EUR")) == "EUR"
    assert reported_currency(usd, _listing(None, "INR")) == "INR"
