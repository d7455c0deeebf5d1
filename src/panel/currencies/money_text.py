"""Money as the web panel's readers read it: shown in the panel currency's own style and the
page's language (`Rp 10.000` in Indonesian, `$1.25` in English), and typed amounts read back
exactly in that same style, or refused with a message saying how to write them.

APIs never come here: they carry decimal strings (`money.text`), unchanged.

Choices the style makes, and why:
- Indonesian groups thousands with a dot and writes decimals after a comma; English the other
  way round. Rupiah is `Rp 10.000` in Indonesian and `Rp 10,000` in English, as Indonesia's
  English-language press writes it: the symbol does not change with the language.
- An amount shows the currency's minor units (`currencies.codes`: none for rupiah, two for
  dollars), and more decimals only when the ledger holds them: a balance of 10000.500000 is
  `Rp 10.000,50`, never rounded to `Rp 10.000`, because a shown balance that differs from the
  ledger's is a lie. A fraction shows at least two decimals, as sen or cents.
- A price per 1000 shows as many decimals as it needs (`Rp 812,5`, `$0.0125`).
- Three decimals after a lone separator (`1.250`) read as thousands in the other language, so
  an amount is never shown that way (`$1.2500`) and never read that way: typed, it is refused
  as ambiguous. A form thus accepts everything the pages show.
- Typed input in the other language's style is refused, not guessed: in rupiah, reading
  `10,000` as ten where ten thousand was meant would move the wrong money.
"""

import re
from dataclasses import dataclass
from decimal import Decimal

from panel import money
from panel.currencies.codes import MINOR_UNITS

MOST_PLACES = 6  # the ledger's
MOST_WHOLE_DIGITS = 14  # NUMERIC(20, 6)


@dataclass(frozen=True)
class Symbol:
    """How a currency is marked before its figure: in Indonesian, and in English."""

    id: str  # with its space, if it takes one
    en: str


# The symbols readers of the panel know; any other code is shown as `XYZ 1.234,56`.
SYMBOLS = {
    "IDR": Symbol("Rp ", "Rp "),
    "USD": Symbol("US$", "$"),
    "EUR": Symbol("€", "€"),
    "GBP": Symbol("£", "£"),
    "SGD": Symbol("S$", "S$"),
    "MYR": Symbol("RM", "RM"),
    "AUD": Symbol("AU$", "A$"),
    "INR": Symbol("₹", "₹"),
    "JPY": Symbol("JP¥", "¥"),
    "KRW": Symbol("₩", "₩"),
}
# Decimals an amount with a fraction shows at least, whatever its currency's minor units: a
# fraction of a rupiah reads as sen, `Rp 10.000,50`, as on a price tag.
FRACTION_PLACES = 2


def symbol(code: str) -> Symbol:
    return SYMBOLS.get(code.upper(), Symbol(f"{code} ", f"{code} "))


def places(code: str) -> int:
    """The minor units an amount in `code` always shows (ISO 4217; two for a code not known)."""
    return MINOR_UNITS.get(code.upper(), 2)


@dataclass(frozen=True)
class Style:
    """How a page in one language writes numbers."""

    group: str
    decimal: str


STYLES = {"id": Style(".", ","), "en": Style(",", ".")}


def style(lang: str) -> Style:
    return STYLES.get(lang, STYLES["en"])


def prefix(code: str, lang: str) -> str:
    found = symbol(code)
    return found.id if lang == "id" else found.en


def show(amount: Decimal | int, code: str, lang: str, *, per_1000: bool = False) -> str:
    """`amount` in currency `code` as a reader of `lang` reads it; a price per 1000 units
    (`per_1000`) shows as many decimals as it has, an amount at least the currency's own."""
    exact = money.round_half_up(Decimal(amount))
    least = places(code)
    if not per_1000 and exact != exact.to_integral_value():
        least = max(least, FRACTION_PLACES)
    sign = "-" if exact < 0 else ""
    return sign + prefix(code, lang) + number(abs(exact), lang, least)


def number(value: Decimal, lang: str, least: int = 0) -> str:
    """`value` in the page's style, with at least `least` decimals and no trailing zeros
    beyond them (a percentage, or the figure of an amount)."""
    whole, _, fraction = format(money.round_half_up(value), "f").lstrip("-").partition(".")
    fraction = fraction.rstrip("0").ljust(least, "0")
    # A lone separator before three digits is grouping in the other style: "1.250" is 1250
    # to a reader of Indonesian. Below 1000 no group separator tells them apart; a fourth
    # decimal does.
    if len(fraction) == 3 and len(whole) <= 3 and whole != "0":
        fraction += "0"
    page = style(lang)
    shown = _grouped(whole, page.group)
    sign = "-" if value < 0 and (whole.strip("0") or fraction.strip("0")) else ""
    return sign + shown + (page.decimal + fraction if fraction else "")


def _grouped(whole: str, group: str) -> str:
    head = len(whole) % 3 or 3
    parts = [whole[:head]] + [whole[i : i + 3] for i in range(head, len(whole), 3)]
    return group.join(parts)


# Why typed text is not an amount, and what to say to the one who typed it.
REFUSALS = {
    "en": {
        "empty": "Enter an amount.",
        "not_digits": "Write the amount with the digits 0–9 only, for example {example}.",
        "spaces": "Remove the spaces inside the amount, for example {example}.",
        "style": "“{text}” is not an amount as this page writes it: thousands with a comma "
        "or nothing (1,000 or 1000), decimals after a point (1.5).",
        "ambiguous": "“{text}” could be read two ways. Write thousands with a comma or "
        "nothing (1,000 or 1000), decimals after a point (1.5).",
        "not_above_zero": "Enter an amount above zero.",
        "negative": "Enter a number of 0 or more.",
        "too_many_places": "Enter an amount above zero, with at most {places} decimals.",
        "no_places": "Enter an amount above zero, without decimals.",
        "too_large": "That amount is too large.",
    },
    "id": {
        "empty": "Masukkan jumlah.",
        "not_digits": "Tulis jumlah dengan angka 0–9 saja, misalnya {example}.",
        "spaces": "Hapus spasi di dalam jumlah, misalnya {example}.",
        "style": "“{text}” bukan penulisan jumlah yang dikenal: ribuan dengan titik atau "
        "tanpa pemisah (1.000 atau 1000), desimal setelah koma (1,5).",
        "ambiguous": "“{text}” bisa dibaca dua cara. Tulis ribuan dengan titik atau tanpa "
        "pemisah (1.000 atau 1000), desimal setelah koma (1,5).",
        "not_above_zero": "Masukkan jumlah di atas nol.",
        "negative": "Masukkan angka 0 atau lebih.",
        "too_many_places": "Masukkan jumlah di atas nol, paling banyak {places} angka desimal.",
        "no_places": "Masukkan jumlah di atas nol, tanpa angka desimal.",
        "too_large": "Jumlah itu terlalu besar.",
    },
}


class Unreadable(ValueError):
    """Typed text that is not an amount; `said(lang)` tells its writer why."""

    def __init__(self, reason: str, text: str, places: int = MOST_PLACES) -> None:
        super().__init__(reason)
        self.reason = reason
        self.text = text
        self.places = places

    def said(self, lang: str) -> str:
        words = REFUSALS.get(lang, REFUSALS["en"])
        example = "10.000" if lang == "id" else "10,000"
        return words[self.reason].format(text=self.text, places=self.places, example=example)


_SPACE = re.compile(r"\s")
_DIGITS = re.compile(r"[0-9.,]+")


# Grouped whole part: 1 to 3 digits, then groups of exactly three.
def _grouping(separator: str) -> re.Pattern[str]:
    return re.compile(rf"[1-9][0-9]{{0,2}}(?:{re.escape(separator)}[0-9]{{3}})+")


_GROUPINGS = {page.group: _grouping(page.group) for page in STYLES.values()}


def read(
    text: str, code: str, lang: str, *, places: int | None = None, zero: bool = False
) -> Decimal:
    """An amount typed in currency `code` on a page in `lang`, exactly, or `Unreadable`.
    `places` is what the field allows (the ledger's six unless said), `zero` whether 0 is an
    answer; a leading currency symbol or code, as the pages show it, is allowed."""
    typed = text.strip()
    return _read(typed, _without_symbol(typed, code), lang, places, zero)


def read_number(
    text: str, lang: str, *, places: int | None = None, zero: bool = False, unit: str = ""
) -> Decimal:
    """A plain number typed in the page's style (a percentage, with `unit` "%" allowed after
    it), by the same rules as `read`."""
    typed = text.strip()
    bare = typed.removesuffix(unit).rstrip() if unit else typed
    return _read(typed, bare, lang, places, zero)


def _read(typed: str, bare: str, lang: str, places: int | None, zero: bool) -> Decimal:
    most = MOST_PLACES if places is None else min(places, MOST_PLACES)
    if not bare:
        raise Unreadable("empty", typed)
    if bare.startswith("-") and _DIGITS.fullmatch(bare[1:].strip()):
        raise Unreadable("negative" if zero else "not_above_zero", typed)
    if not _DIGITS.fullmatch(bare):
        inside = _SPACE.sub("", bare)
        if inside != bare and _DIGITS.fullmatch(inside):
            raise Unreadable("spaces", typed)
        raise Unreadable("not_digits", typed)
    whole, fraction = _split(bare, typed, style(lang))
    if len(whole.lstrip("0")) > MOST_WHOLE_DIGITS:
        raise Unreadable("too_large", typed)
    if len(fraction) > MOST_PLACES or len(fraction.rstrip("0")) > most:
        raise Unreadable("no_places" if most == 0 else "too_many_places", typed, most)
    value = Decimal(f"{whole or '0'}.{fraction}" if fraction else whole)
    if value == 0 and not zero:
        raise Unreadable("not_above_zero", typed)
    return value


def _split(bare: str, typed: str, page: Style) -> tuple[str, str]:
    """The whole digits and the decimals of `bare` (digits, dots and commas only), written in
    the page's style."""
    whole, point, fraction = bare.partition(page.decimal)
    if point and not re.fullmatch(r"[0-9]+", fraction) or not (whole or point):
        raise Unreadable("style", typed)
    if page.group in whole:
        if _GROUPINGS[page.group].fullmatch(whole):
            return whole.replace(page.group, ""), fraction
        if not point and re.fullmatch(rf"[0-9]+{re.escape(page.group)}[0-9]+", whole):
            # "1,5" in English, "12.5" in Indonesian: a decimal written the other way?
            raise Unreadable("ambiguous", typed)
        raise Unreadable("style", typed)
    if point and len(fraction) == 3 and 1 <= len(whole) <= 3 and whole[0] != "0":
        # "1.000" in English, "1,000" in Indonesian: a decimal, or thousands the other way?
        raise Unreadable("ambiguous", typed)
    return whole, fraction


def _without_symbol(typed: str, code: str) -> str:
    """`typed` without a leading symbol or code of the currency, as the pages show them
    (and `Rp.`, as Indonesians often write it)."""
    found = symbol(code)
    marks = {found.id.strip(), found.en.strip(), code.upper()}
    if code.upper() == "IDR":
        marks.add("Rp.")
    for mark in sorted(marks, key=len, reverse=True):
        if mark and typed.upper().startswith(mark.upper()):
            return typed[len(mark) :].lstrip()
        if mark and typed.startswith("-") and typed[1:].upper().startswith(mark.upper()):
            return "-" + typed[1 + len(mark) :].lstrip()
    return typed
