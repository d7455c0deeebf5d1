"""Money as the web panel shows and reads it: each typed input exact or refused, in rupiah and
dollar panels, on Indonesian and English pages; and everything shown reads back exactly."""

from decimal import Decimal

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from panel.currencies import money_text
from panel.currencies.money_text import Unreadable, read, show

D = Decimal

# (typed, lang, what an IDR panel reads, what a USD panel reads); a str is the refusal's reason.
# The language is the page's; the field takes the ledger's six decimals.
READ = [
    ("10.000", "id", D(10_000), D(10_000)),
    ("10000", "id", D(10_000), D(10_000)),
    ("10.000,50", "id", D("10000.50"), D("10000.50")),
    ("1,5", "id", D("1.5"), D("1.5")),  # the comma is Indonesian's decimal mark, and only that
    ("1,000", "id", "ambiguous", "ambiguous"),  # one, or one thousand written in English?
    ("12.5", "id", "ambiguous", "ambiguous"),  # a decimal written in English?
    ("0,125", "id", D("0.125"), D("0.125")),  # no thousands start with 0
    ("1.000.000", "id", D(1_000_000), D(1_000_000)),
    ("1.000.000,123456", "id", D("1000000.123456"), D("1000000.123456")),
    ("1.00.000", "id", "style", "style"),
    ("10.000,", "id", "style", "style"),
    ("1,000.50", "id", "style", "style"),
    ("Rp 10.000", "id", D(10_000), "not_digits"),  # the symbol the page shows may be typed
    ("Rp. 10.000", "id", D(10_000), "not_digits"),
    ("Rp10.000", "id", D(10_000), "not_digits"),
    ("US$1,25", "id", "not_digits", D("1.25")),
    ("10.000", "en", "ambiguous", "ambiguous"),
    ("1.000", "en", "ambiguous", "ambiguous"),  # one, or one thousand written in Indonesian?
    ("1,5", "en", "ambiguous", "ambiguous"),  # 1.5 with a decimal comma?
    ("10.000,50", "en", "style", "style"),
    ("10000", "en", D(10_000), D(10_000)),
    ("10,000", "en", D(10_000), D(10_000)),
    ("1,000.50", "en", D("1000.50"), D("1000.50")),
    ("1.25", "en", D("1.25"), D("1.25")),
    ("0.0125", "en", D("0.0125"), D("0.0125")),
    ("1.2345", "en", D("1.2345"), D("1.2345")),
    ("$1.25", "en", "not_digits", D("1.25")),
    ("Rp 10,000", "en", D(10_000), "not_digits"),
    ("1,0000", "en", "ambiguous", "ambiguous"),
    ("0,00", "id", "not_above_zero", "not_above_zero"),
    ("0.00", "en", "not_above_zero", "not_above_zero"),
    ("-Rp 5", "id", "not_above_zero", "not_digits"),
    ("1,000,000", "en", D(1_000_000), D(1_000_000)),
]
# Refused the same way in every panel and language.
REFUSED = [
    ("-1", "not_above_zero"),
    ("0", "not_above_zero"),
    ("000", "not_above_zero"),
    ("1e3", "not_digits"),
    ("NaN", "not_digits"),
    ("Infinity", "not_digits"),
    ("∞", "not_digits"),
    ("１０００", "not_digits"),  # full-width digits
    ("١٠٠٠", "not_digits"),  # Arabic-Indic digits
    ("+5", "not_digits"),
    ("1_000", "not_digits"),
    ("", "empty"),
    ("   ", "empty"),
    ("10 000", "spaces"),
    ("1\u00a0000", "spaces"),
    ("123456789012345", "too_large"),  # NUMERIC(20, 6) holds 14 digits before the point
]


@pytest.mark.parametrize(("typed", "lang", "in_idr", "in_usd"), READ)
def test_typed_amounts_are_read_exactly_or_refused(
    typed: str, lang: str, in_idr: Decimal | str, in_usd: Decimal | str
) -> None:
    for code, expected in (("IDR", in_idr), ("USD", in_usd)):
        if isinstance(expected, Decimal):
            value = read(typed, code, lang)
            assert (value, str(value)) == (expected, str(expected)), (typed, code, lang)
        else:
            with pytest.raises(Unreadable) as refused:
                read(typed, code, lang)
            assert refused.value.reason == expected, (typed, code, lang)


@pytest.mark.parametrize(("typed", "reason"), REFUSED)
def test_what_is_no_amount_is_refused_everywhere(typed: str, reason: str) -> None:
    for code in ("IDR", "USD"):
        for lang in ("id", "en"):
            with pytest.raises(Unreadable) as refused:
                read(typed, code, lang)
            assert refused.value.reason == reason, (typed, code, lang)


def test_decimals_are_refused_beyond_what_the_field_takes() -> None:
    assert read("1,123456", "USD", "id") == D("1.123456")
    for typed in ("1,1234567", "1,0000000"):  # more than the ledger's six, even zeros
        with pytest.raises(Unreadable) as refused:
            read(typed, "USD", "id")
        assert refused.value.said("id") == (
            "Masukkan jumlah di atas nol, paling banyak 6 angka desimal."
        )
    # A top-up is counted in the currency's own units: whole rupiah, cents.
    idr, usd = money_text.places("IDR"), money_text.places("USD")
    assert read("10.000,00", "IDR", "id", places=idr) == D(10_000)
    with pytest.raises(Unreadable) as refused:
        read("10.000,50", "IDR", "id", places=idr)
    assert refused.value.said("id") == "Masukkan jumlah di atas nol, tanpa angka desimal."
    assert refused.value.said("en") == "Enter an amount above zero, without decimals."
    assert read("1.25", "USD", "en", places=usd) == D("1.25")
    with pytest.raises(Unreadable) as refused:
        read("1.2555", "USD", "en", places=usd)
    assert refused.value.said("en") == "Enter an amount above zero, with at most 2 decimals."


def test_refusals_say_how_to_write_the_amount_in_the_page_s_language() -> None:
    with pytest.raises(Unreadable) as refused:
        read("1,000", "IDR", "id")
    assert refused.value.said("id") == (
        "“1,000” bisa dibaca dua cara. Tulis ribuan dengan titik atau tanpa pemisah "
        "(1.000 atau 1000), desimal setelah koma (1,5)."
    )
    with pytest.raises(Unreadable) as refused:
        read("1,5", "USD", "en")
    assert refused.value.said("en") == (
        "“1,5” could be read two ways. Write thousands with a comma or nothing "
        "(1,000 or 1000), decimals after a point (1.5)."
    )
    with pytest.raises(Unreadable) as refused:
        read("1e3", "IDR", "id")
    assert refused.value.said("id") == "Tulis jumlah dengan angka 0–9 saja, misalnya 10.000."
    with pytest.raises(Unreadable) as refused:
        read("10 000", "USD", "en")
    assert refused.value.said("en") == ("Remove the spaces inside the amount, for example 10,000.")


@pytest.mark.parametrize(
    ("amount", "code", "lang", "per_1000", "expected"),
    [
        ("10000", "IDR", "id", False, "Rp 10.000"),
        ("10000", "IDR", "en", False, "Rp 10,000"),
        ("10000.500000", "IDR", "id", False, "Rp 10.000,50"),  # never rounded to Rp 10.000
        ("10000.000001", "IDR", "id", False, "Rp 10.000,000001"),
        ("1234567", "IDR", "id", False, "Rp 1.234.567"),
        ("0", "IDR", "id", False, "Rp 0"),
        ("-2500", "IDR", "id", False, "-Rp 2.500"),
        ("812.5", "IDR", "id", True, "Rp 812,5"),
        ("812", "IDR", "id", True, "Rp 812"),
        ("1.25", "USD", "en", False, "$1.25"),
        ("1.25", "USD", "id", False, "US$1,25"),
        ("50", "USD", "en", False, "$50.00"),
        ("1000", "USD", "en", False, "$1,000.00"),
        ("12.345678", "USD", "en", False, "$12.345678"),
        ("0.0125", "USD", "en", True, "$0.0125"),
        ("1.5", "USD", "en", True, "$1.50"),
        # Three decimals after a lone separator would read as thousands the other way round.
        ("1.125", "USD", "en", True, "$1.1250"),
        ("812.125", "IDR", "id", True, "Rp 812,1250"),
        ("1000.125", "IDR", "id", True, "Rp 1.000,125"),
        ("0.125", "USD", "en", True, "$0.125"),
        ("1500", "JPY", "en", False, "¥1,500"),
        ("1500", "EUR", "id", False, "€1.500,00"),
        ("7", "XAU", "en", False, "XAU 7.00"),
    ],
)
def test_amounts_are_shown_in_the_currency_s_style(
    amount: str, code: str, lang: str, per_1000: bool, expected: str
) -> None:
    assert show(D(amount), code, lang, per_1000=per_1000) == expected


CODES = st.sampled_from(["IDR", "USD", "EUR", "JPY", "KWD", "XAU"])


@st.composite
def amounts(draw: st.DrawFn) -> Decimal:
    """Above zero, at most six decimals and fourteen digits before the point; small whole parts
    and few decimals come often, where a lone separator could be read either way."""
    whole = draw(st.one_of(st.integers(0, 999), st.integers(0, 10**14 - 1)))
    places = draw(st.integers(0, 6))
    value = Decimal(whole) + Decimal(draw(st.integers(0, 10**places - 1))).scaleb(-places)
    assume(value > 0)
    return value


AMOUNTS = amounts()


@settings(max_examples=500)
@given(amount=AMOUNTS, code=CODES, lang=st.sampled_from(["id", "en"]), per_1000=st.booleans())
def test_whatever_is_shown_reads_back_exactly(
    amount: Decimal, code: str, lang: str, per_1000: bool
) -> None:
    shown = show(amount, code, lang, per_1000=per_1000)
    assert read(shown, code, lang) == amount, shown
    # And without its symbol, as one would copy the figure alone.
    figure = shown.removeprefix(money_text.prefix(code, lang))
    assert read(figure, code, lang) == amount, figure


@given(amount=AMOUNTS, lang=st.sampled_from(["id", "en"]))
def test_a_number_shown_reads_back_exactly(amount: Decimal, lang: str) -> None:
    assert money_text.read_number(money_text.number(amount, lang), lang) == amount
