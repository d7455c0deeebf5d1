"""The demo `pasok up` seeds into an empty database: an operator, a "Standard" tier priced at
25% over cost, one reseller in it with a balance and an API key, its brand on `localhost` with
one agency that signs in there, and the sandbox provider with a few services routed to it.
Everything goes through the services, as an operator's clicks would, so the demo obeys the same
rules (and the same ledger) as real data.

The sandbox charges in US dollars, as most large upstream panels do. A panel in another
currency (`PASOK_CURRENCY=IDR`) gets a demo exchange rate for the dollar, and the demo balances
are the same dollar amounts in its currency."""

import secrets
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from panel.accounts import service as accounts
from panel.catalogue import routes
from panel.catalogue import service as catalogue
from panel.currencies import service as currencies
from panel.keys import service as keys
from panel.ledger import service as ledger
from panel.models import Account, AccountKind
from panel.pricing import rule_book, tiers
from panel.web import brand_book, passwords

DEMO_BALANCE = Decimal("100")
AGENCY_FLOAT = Decimal("20")
STANDARD_MARKUP_PERCENT = Decimal("25")
AGENCY_MARKUP_PERCENT = Decimal("10")
# The web panel shows the demo reseller's brand on this host, the operator's on any other.
BRAND_HOST = "localhost"

SANDBOX_CURRENCY = "USD"
# What a dollar is worth in the demo, by panel currency; only a demo figure, never fetched.
DEMO_USD_RATES = {
    "IDR": Decimal("16250"),
    "EUR": Decimal("0.92"),
    "GBP": Decimal("0.79"),
    "INR": Decimal("84"),
    "MYR": Decimal("4.45"),
    "SGD": Decimal("1.34"),
    "PHP": Decimal("58"),
    "THB": Decimal("34.5"),
    "VND": Decimal("25400"),
    "JPY": Decimal("150"),
}

# What the sandbox sells: (external id, name, category, cost per 1000, min, max, refill, cancel).
SANDBOX_SERVICES = (
    ("1", "Instagram Followers", "Instagram", "0.90", 10, 100_000, True, True),
    ("2", "Instagram Likes", "Instagram", "0.12", 10, 50_000, False, True),
    ("3", "YouTube Views", "YouTube", "1.50", 100, 1_000_000, True, False),
    ("4", "Telegram Channel Members", "Telegram", "2.40", 50, 50_000, False, False),
)


def sandbox_currency(panel_currency: str) -> str:
    """What the demo's sandbox charges in: dollars where the demo has a rate for them, else
    the panel's own currency."""
    if panel_currency == SANDBOX_CURRENCY or panel_currency in DEMO_USD_RATES:
        return SANDBOX_CURRENCY
    return panel_currency


async def seed(
    session: AsyncSession, *, sandbox_port: int = 8001, panel_currency: str = SANDBOX_CURRENCY
) -> dict[str, Any]:
    """Create the demo; return what demo.json records (the keys in plaintext, shown once)."""
    operator = await accounts.create(session, kind=AccountKind.operator, name="Demo operator")
    operator_token = await keys.issue(session, operator, label="demo")
    upstream_currency = sandbox_currency(panel_currency)
    # The demo's balances are dollar amounts, in the panel's currency at the demo rate.
    dollar = Decimal(1)
    if upstream_currency != panel_currency:
        dollar = DEMO_USD_RATES[panel_currency]
        await currencies.set_rate(
            session,
            upstream_currency,
            dollar,
            panel_currency=panel_currency,
            set_by_id=operator.id,
        )

    tier = await tiers.create(session, name="Standard", min_spend_90d=Decimal(0))
    await rule_book.create(session, tier_id=tier.id, markup_percent=STANDARD_MARKUP_PERCENT)
    reseller = await accounts.create(
        session,
        kind=AccountKind.reseller,
        name="Demo reseller",
        email="reseller@demo.invalid",
        tier_id=tier.id,
    )
    balance = currencies.convert(DEMO_BALANCE, dollar)
    await ledger.top_up(session, reseller.id, balance, "demo balance", operator.id)
    await brand_book.set_brand(
        session,
        reseller,
        name="Demo Sosmed",
        hosts=[BRAND_HOST],
        logo_url=None,
        primary_color="#c2410c",
        accent_color="#111827",
        whatsapp_url=None,
        payment_instructions="Transfer to the demo bank account, then ask for a top-up.",
    )
    await rule_book.create(session, owner_id=reseller.id, markup_percent=AGENCY_MARKUP_PERCENT)
    agency = await accounts.create(
        session,
        kind=AccountKind.agency,
        name="Demo agency",
        email="agency@demo.invalid",
        parent_id=reseller.id,
    )
    agency_float = currencies.convert(AGENCY_FLOAT, dollar)
    await ledger.fund_agency(session, agency.id, agency_float, "demo float", reseller.id)

    await _sandbox_catalogue(
        session, f"http://127.0.0.1:{sandbox_port}/api/v2", upstream_currency, panel_currency
    )
    return {
        "operator_token": operator_token.plaintext,
        "reseller": await _credentials(session, reseller),
        "agency": await _credentials(session, agency),
        # Set once `pasok up` runs the sandbox provider.
        "sandbox_url": None,
    }


async def _credentials(session: AsyncSession, account: Account) -> dict[str, Any]:
    """An API key and a web panel password for the account, as demo.json records them."""
    key = await keys.issue(session, account, label="demo")
    password = secrets.token_urlsafe(12)
    await passwords.set_password(session, account, password)
    return {
        "id": account.id,
        "api_key": key.plaintext,
        "email": account.email,
        "password": password,
    }


async def _sandbox_catalogue(
    session: AsyncSession, api_url: str, currency: str, panel_currency: str
) -> None:
    """The sandbox provider, its services, and one Pasok service routed to each."""
    provider = await catalogue.create_provider(
        session, name="Sandbox", api_url=api_url, api_key=secrets.token_hex(16), currency=currency
    )
    for external_id, name, category, rate, minimum, maximum, refill, cancel in SANDBOX_SERVICES:
        shape = {
            "name": name,
            "type": "Default",
            "category": category,
            "min_quantity": minimum,
            "max_quantity": maximum,
            "refill": refill,
            "cancel": cancel,
            "dripfeed": False,
        }
        upstream = await catalogue.upsert_provider_service(
            session,
            provider.id,
            external_id,
            panel_currency=panel_currency,
            rate=Decimal(rate),
            **shape,
        )
        service = await catalogue.create_service(session, **shape)
        await routes.replace(session, service.id, [upstream.id])
