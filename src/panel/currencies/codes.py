"""The ISO 4217 currencies Pasok knows, with their minor units (digits after the point in
everyday use). A code not listed here is refused wherever a currency is given."""

MINOR_UNITS: dict[str, int] = {
    "AED": 2,
    "AUD": 2,
    "BDT": 2,
    "BRL": 2,
    "CAD": 2,
    "CHF": 2,
    "CNY": 2,
    "EGP": 2,
    "EUR": 2,
    "GBP": 2,
    "HKD": 2,
    # Rupiah has two minor units on paper; none has been in use for decades.
    "IDR": 0,
    "INR": 2,
    "JPY": 0,
    "KRW": 0,
    "KWD": 3,
    "MXN": 2,
    "MYR": 2,
    "NGN": 2,
    "NZD": 2,
    "PHP": 2,
    "PKR": 2,
    "RUB": 2,
    "SAR": 2,
    "SGD": 2,
    "THB": 2,
    "TRY": 2,
    "TWD": 2,
    "UAH": 2,
    "USD": 2,
    "VND": 0,
    "ZAR": 2,
}


def is_known(code: str) -> bool:
    return code in MINOR_UNITS


def minor_units(code: str) -> int:
    """Digits after the point the currency is counted in; KeyError for an unknown code."""
    return MINOR_UNITS[code]
