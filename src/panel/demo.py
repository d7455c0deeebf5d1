"""The demo `pasok up` seeds into an empty database: an operator, a "Standard" tier priced at
25% over cost, one reseller in it with a balance and an API key, its brand on `localhost` with
one agency that signs in there, the sandbox provider with a few services routed to it, and ways
to pay deposits in: a transfer by hand for both, and, in a rupiah panel, the sandbox gateway's
QRIS, virtual accounts and retail outlets (Tripay collects rupiah only).
Everything goes through the services, as an operator's clicks would, so the demo obeys the same
rules (and the same ledger) as real data.

The sandbox charges in US dollars, as most large upstream panels do. A panel in another
currency (`PASOK_CURRENCY=IDR`) gets a demo exchange rate for the dollar, and the demo balances
are the same dollar amounts in its currency."""

import secrets
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from panel.accounts import passwords
from panel.accounts import service as accounts
from panel.brands import brand_book
from panel.catalogue import routes
from panel.catalogue import service as catalogue
from panel.config import PaymentSettings
from panel.currencies import service as currencies
from panel.keys import service as keys
from panel.ledger import service as ledger
from panel.models import Account, AccountKind, FeePayer, GatewayKind, MethodKind, PaymentGateway
from panel.payments import methods, tripay
from panel.payments.adapters import adapter_for
from panel.pricing import rule_book, tiers

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
    gateway = await _payment_methods(session, reseller, panel_currency)
    return {
        "operator_token": operator_token.plaintext,
        "reseller": await _credentials(session, reseller),
        "agency": await _credentials(session, agency),
        # Set once `pasok up` runs the sandbox provider.
        "sandbox_url": None,
        "gateway": gateway,
    }


async def _payment_methods(
    session: AsyncSession, reseller: Account, panel_currency: str
) -> dict[str, Any]:
    """Deposits into the panel (for the reseller) and into the reseller (for its agency): a
    transfer by hand each and, in rupiah, the sandbox gateway, whose channels `pasok up`
    imports once the sandbox answers. Returns the demo merchant, for the sandbox."""
    demo_keys = methods.GatewayKeys("T0001", f"DEV-{secrets.token_hex(16)}", secrets.token_hex(16))
    tripay_ids: list[int] = []
    for owner, name in ((None, "Demo panel"), (reseller.id, "Demo Sosmed")):
        manual = await methods.add_gateway(
            session,
            None,
            owner,
            GatewayKind.manual,
            "Transfer bank",
            methods.GatewayKeys(private_key=secrets.token_hex(16)),
            panel_currency,
        )
        await methods.put_method(
            session,
            None,
            manual,
            methods.MethodTerms(
                code="BCA",
                name="Transfer BCA",
                kind=MethodKind.transfer,
                min_amount=Decimal(1),
                max_amount=Decimal(100_000_000),
                instructions=f"BCA 1234567890 a.n. {name}",
            ),
        )
        if panel_currency == tripay.CURRENCY:
            gateway = await methods.add_gateway(
                session,
                None,
                owner,
                GatewayKind.tripay,
                "Tripay (sandbox)",
                demo_keys,
                panel_currency,
            )
            tripay_ids.append(gateway.id)
    return {
        "merchant_code": demo_keys.merchant_code,
        "api_key": demo_keys.api_key,
        "private_key": demo_keys.private_key,
        "tripay_gateway_ids": tripay_ids,
    }


async def import_channels(
    session: AsyncSession,
    gateway_ids: list[int],
    http: httpx.AsyncClient,
    settings: PaymentSettings,
) -> int:
    """Offer the sandbox gateway's channels on the demo's Tripay gateways."""
    made = 0
    for gateway_id in gateway_ids:
        gateway = await session.get_one(PaymentGateway, gateway_id)
        adapter = adapter_for(gateway, http, settings)
        made += len(await methods.import_channels(session, None, gateway, adapter, FeePayer.buyer))
    return made


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
