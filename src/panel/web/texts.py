"""The web panel's words, in Indonesian and English; the visitor's language is its choice
(a `lang` cookie), else its browser's (Accept-Language), else Indonesian."""

LANGUAGES = ("id", "en")

WORDS: dict[str, dict[str, str]] = {
    "en": {
        "services": "Services",
        "search": "Search",
        "per_1000": "per 1000",
        "order": "Order",
        "new_order": "New order",
        "link": "Link",
        "quantity": "Quantity",
        "charge": "Charge",
        "place_order": "Place order",
        "orders": "Orders",
        "placed": "Order placed.",
        "refill": "Refill",
        "cancel": "Cancel",
        "back": "Back",
        "completion": "completed",
        "dashboard": "Home",
        "login": "Sign in",
        "logout": "Sign out",
        "email": "Email",
        "password": "Password",
        "wrong_login": "Wrong email or password.",
        "too_many": "Too many failed attempts. Wait a few minutes and try again.",
        "stale_form": "This form has expired. Please try again.",
        "balance": "Balance",
        "recent_orders": "Recent orders",
        "no_orders": "No orders yet.",
        "support": "Support on WhatsApp",
        "not_configured": "The panel is not configured yet.",
        "tier": "Tier",
        "to_next": "Spend {amount} more to reach {tier}.",
        "mass_order": "Mass order",
        "funds": "Funds",
        "api": "API",
        "agencies": "Agencies",
        "top_ups": "Top-ups",
        "agency_orders": "Agency orders",
        "margin": "Margin",
        "markup": "Markup",
        "brand": "Brand",
        "review_queue": "Review",
        "providers": "Providers",
        # -- reseller console (en)
        # -- operator console (en)
    },
    "id": {
        "services": "Layanan",
        "search": "Cari",
        "per_1000": "per 1000",
        "order": "Pesan",
        "new_order": "Pesanan baru",
        "link": "Tautan",
        "quantity": "Jumlah",
        "charge": "Biaya",
        "place_order": "Buat pesanan",
        "orders": "Pesanan",
        "placed": "Pesanan dibuat.",
        "refill": "Isi ulang",
        "cancel": "Batalkan",
        "back": "Kembali",
        "completion": "selesai",
        "dashboard": "Beranda",
        "login": "Masuk",
        "logout": "Keluar",
        "email": "Email",
        "password": "Kata sandi",
        "wrong_login": "Email atau kata sandi salah.",
        "too_many": "Terlalu banyak percobaan gagal. Tunggu beberapa menit lalu coba lagi.",
        "stale_form": "Formulir ini sudah kedaluwarsa. Silakan coba lagi.",
        "balance": "Saldo",
        "recent_orders": "Pesanan terbaru",
        "no_orders": "Belum ada pesanan.",
        "support": "Bantuan lewat WhatsApp",
        "not_configured": "Panel belum dikonfigurasi.",
        "tier": "Level",
        "to_next": "Belanja {amount} lagi untuk mencapai {tier}.",
        "mass_order": "Pesanan massal",
        "funds": "Saldo & deposit",
        "api": "API",
        "agencies": "Agen",
        "top_ups": "Deposit",
        "agency_orders": "Pesanan agen",
        "margin": "Margin",
        "markup": "Markup",
        "brand": "Merek",
        "review_queue": "Tinjauan",
        "providers": "Penyedia",
        # -- reseller console (id)
        # -- operator console (id)
    },
}


def language(cookie: str | None, accept_language: str | None) -> str:
    if cookie in LANGUAGES:
        return cookie
    for part in (accept_language or "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return "id"
