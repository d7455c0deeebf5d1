"""The sandbox's price list: a few dozen prepaid products in the five categories agencies
resell, priced in whole rupiah as Digiflazz prices them."""

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Product:
    sku: str
    name: str
    category: str
    brand: str
    price: int  # rupiah, what the buyer pays the provider
    description: str = ""
    seller_active: bool = True
    kind: str = "Umum"

    @property
    def token(self) -> bool:
        """Electricity tokens carry the token itself as the serial number."""
        return self.category == "PLN"

    def shown(self) -> dict[str, Any]:
        """One row of `/price-list`."""
        return {
            "product_name": self.name,
            "category": self.category,
            "brand": self.brand,
            "type": self.kind,
            "seller_name": "SANDBOX",
            "price": self.price,
            "buyer_sku_code": self.sku,
            "buyer_product_status": True,
            "seller_product_status": self.seller_active,
            "unlimited_stock": True,
            "stock": 0,
            "multi": True,
            "start_cut_off": "23:45",
            "end_cut_off": "00:15",
            "desc": self.description,
        }


def _range(
    category: str, brand: str, prefix: str, label: str, rows: list[tuple[str, str, int]]
) -> list[Product]:
    return [
        Product(f"{prefix}{code}", f"{label} {name}", category, brand, price, f"{label} {name}")
        for code, name, price in rows
    ]


PRODUCTS: tuple[Product, ...] = (
    *_range(
        "Pulsa",
        "TELKOMSEL",
        "tsel",
        "Telkomsel",
        [("5", "5.000", 5_475), ("10", "10.000", 10_350), ("25", "25.000", 24_900)]
        + [("50", "50.000", 49_500), ("100", "100.000", 98_300)],
    ),
    *_range(
        "Pulsa",
        "XL",
        "xl",
        "XL",
        [("5", "5.000", 5_890), ("10", "10.000", 10_800), ("25", "25.000", 24_850)]
        + [("50", "50.000", 49_250)],
    ),
    *_range(
        "Pulsa",
        "INDOSAT",
        "isat",
        "Indosat",
        [("10", "10.000", 10_900), ("25", "25.000", 24_975), ("50", "50.000", 49_400)],
    ),
    *_range("Pulsa", "TRI", "tri", "Tri", [("10", "10.000", 10_150), ("20", "20.000", 19_800)]),
    Product("smart10", "Smartfren 10.000", "Pulsa", "SMARTFREN", 10_200, seller_active=False),
    *_range(
        "Data",
        "TELKOMSEL",
        "tseld",
        "Telkomsel Data",
        [("1", "1 GB / 7 hari", 12_500), ("3", "3 GB / 30 hari", 31_000)],
    ),
    *_range("Data", "XL", "xld", "XL Data", [("5", "5 GB / 30 hari", 38_700)]),
    *_range("Data", "INDOSAT", "isatd", "Indosat Data", [("2", "2 GB / 7 hari", 15_300)]),
    *_range("Data", "TRI", "trid", "Tri Data", [("6", "6 GB / 30 hari", 29_900)]),
    *_range(
        "Games",
        "MOBILE LEGENDS",
        "ml",
        "Mobile Legends",
        [("86", "86 Diamond", 19_850), ("172", "172 Diamond", 39_600)]
        + [("257", "257 Diamond", 59_200)],
    ),
    *_range(
        "Games",
        "FREE FIRE",
        "ff",
        "Free Fire",
        [("70", "70 Diamond", 9_350), ("140", "140 Diamond", 18_600)],
    ),
    *_range("Games", "PUBG MOBILE", "pubg", "PUBG Mobile", [("60", "60 UC", 14_800)]),
    *_range("Games", "GENSHIN IMPACT", "gi", "Genshin Impact", [("60", "60 Crystals", 15_900)]),
    *_range(
        "E-Money",
        "GO PAY",
        "gopay",
        "Go Pay",
        [("20", "20.000", 21_000), ("50", "50.000", 51_000)],
    ),
    *_range("E-Money", "OVO", "ovo", "OVO", [("20", "20.000", 21_150), ("50", "50.000", 51_150)]),
    *_range(
        "E-Money", "DANA", "dana", "DANA", [("25", "25.000", 25_850), ("50", "50.000", 50_850)]
    ),
    *_range("E-Money", "SHOPEE PAY", "spay", "ShopeePay", [("20", "20.000", 21_200)]),
    *_range(
        "PLN",
        "PLN",
        "pln",
        "PLN Token",
        [("20", "20.000", 20_300), ("50", "50.000", 50_300), ("100", "100.000", 100_300)]
        + [("200", "200.000", 200_300)],
    ),
)
BY_SKU = {product.sku: product for product in PRODUCTS}
