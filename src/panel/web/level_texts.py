"""The words of agency levels on the dashboard and in the reseller's console, in Indonesian
and English."""

from datetime import UTC, datetime
from decimal import Decimal

WORDS: dict[str, dict[str, str]] = {
    "id": {
        "level": "Level",
        "no_level": "Belum ada level",
        "points": "{points} poin",
        "points_note": "1 poin setiap {amount} belanja yang selesai; dana kembali mengurangi poin.",
        "to_next": "{points} poin lagi menuju {level}",
        "top": "Level tertinggi tercapai",
        "expires": "{points} poin berakhir pada {date}",
        "resets": "Poin kembali ke nol pada {date}; level tetap jika mencapai {keep}% target.",
        "markup": "Harga level ini: markup {percent}%",
        "levels": "Level agen",
        "levels_intro": "Agen naik level dengan poin dalam 90 hari; level bisa menurunkan markup.",
        "name": "Nama",
        "target": "Target poin",
        "badge": "Lencana",
        "markup_percent": "Markup (%)",
        "markup_same": "sama",
        "add": "Tambah level",
        "delete": "Hapus",
        "rules": "Aturan",
        "keep_percent": "Bagian target untuk mempertahankan level (%)",
        "reset_days": "Poin kembali ke nol setiap (hari)",
        "save": "Simpan",
        "saved": "Tersimpan.",
        "none": "Belum ada level.",
        "point_credit": "Nilai 1 poin saat ditukar (kosongkan: poin tidak bisa ditukar)",
        "redeem": "Tukar poin",
        "redeemable": "{points} poin bisa ditukar, 1 poin = {amount}",
        "redeem_points": "Jumlah poin",
        "redeem_credit": "Jadi saldo",
        "redeem_voucher": "Jadi voucher",
        "redeemed_credit": "{points} poin ditukar jadi saldo {amount}.",
        "redeemed_voucher": "{points} poin ditukar jadi voucher {amount}: "
        "pakai kode {code} saat memesan.",
    },
    "en": {
        "level": "Level",
        "no_level": "No level yet",
        "points": "{points} points",
        "points_note": "1 point per {amount} of settled spend; refunds take points back.",
        "to_next": "{points} more points to {level}",
        "top": "Top level reached",
        "expires": "{points} points expire on {date}",
        "resets": "Points go back to zero on {date}; the level stays at {keep}% of its target.",
        "markup": "This level's price: {percent}% markup",
        "levels": "Agency levels",
        "levels_intro": "Agencies level up with points over 90 days; a level can lower the markup.",
        "name": "Name",
        "target": "Point target",
        "badge": "Badge",
        "markup_percent": "Markup (%)",
        "markup_same": "unchanged",
        "add": "Add level",
        "delete": "Delete",
        "rules": "Rules",
        "keep_percent": "Share of the target that keeps a level (%)",
        "reset_days": "Points go back to zero every (days)",
        "save": "Save",
        "saved": "Saved.",
        "none": "No levels yet.",
        "point_credit": "What 1 point redeems for (empty: points are not redeemed)",
        "redeem": "Redeem points",
        "redeemable": "{points} points to redeem, 1 point = {amount}",
        "redeem_points": "Points",
        "redeem_credit": "For balance",
        "redeem_voucher": "For a voucher",
        "redeemed_credit": "{points} points redeemed for {amount} of balance.",
        "redeemed_voucher": "{points} points redeemed for a {amount} voucher: "
        "name {code} in an order.",
    },
}

BADGE_WORDS: dict[str, dict[str, str]] = {
    "id": {
        "bronze": "Perunggu",
        "silver": "Perak",
        "gold": "Emas",
        "platinum": "Platinum",
        "diamond": "Berlian",
    },
    "en": {
        "bronze": "Bronze",
        "silver": "Silver",
        "gold": "Gold",
        "platinum": "Platinum",
        "diamond": "Diamond",
    },
}

MONTHS = {
    "id": "Jan Feb Mar Apr Mei Jun Jul Agu Sep Okt Nov Des".split(),
    "en": "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(),
}


def percent(value: Decimal) -> str:
    """A percentage without trailing zeros: 30, 12.5."""
    return f"{value.normalize():f}"


def day(lang: str, moment: datetime) -> str:
    """A date as a reader says it: 3 Mar 2027."""
    at = moment.astimezone(UTC)
    return f"{at.day} {MONTHS[lang][at.month - 1]} {at.year}"
