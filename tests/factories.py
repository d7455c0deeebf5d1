"""A small priced world built through the services, the way an operator would build it."""

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from panel.accounts import service as accounts
from panel.catalogue import routes
from panel.catalogue import service as catalogue
from panel.ledger import service as ledger
from panel.models import Account, AccountKind, Provider, ProviderService, Service
from panel.pricing import rule_book, tiers

# Upstream cost per 1000; the tier adds 50%, the reseller adds 20% for its agencies.
COST = Decimal("1.00")
RESELLER_RATE = Decimal("1.5")
AGENCY_RATE = Decimal("1.8")


@dataclass
class World:
    provider: Provider
    backup: Provider
    reseller: Account
    agency: Account
    other_reseller: Account
    services: dict[str, Service] = field(default_factory=dict)
    routes: dict[str, list[ProviderService]] = field(default_factory=dict)


async def build_world(
    session: AsyncSession,
    *,
    provider_url: str = "http://127.0.0.1:9/api/v2",
    backup_url: str = "http://127.0.0.1:9/backup/api/v2",
    reseller_balance: Decimal = Decimal(100),
    agency_balance: Decimal = Decimal(50),
) -> World:
    provider = await catalogue.create_provider(
        session, name="Primary", api_url=provider_url, api_key="primary-key", currency="USD"
    )
    backup = await catalogue.create_provider(
        session, name="Backup", api_url=backup_url, api_key="backup-key", currency="USD"
    )
    tier = await tiers.create(session, name="Standard", min_spend_90d=Decimal(0))
    await rule_book.create(session, tier_id=tier.id, markup_percent=Decimal(50))
    reseller = await accounts.create(
        session, kind=AccountKind.reseller, name="Reseller", tier_id=tier.id
    )
    other = await accounts.create(session, kind=AccountKind.reseller, name="Other", tier_id=tier.id)
    agency = await accounts.create(
        session, kind=AccountKind.agency, name="Agency", parent_id=reseller.id
    )
    await rule_book.create(session, owner_id=reseller.id, markup_percent=Decimal(20))
    world = World(provider, backup, reseller, agency, other)
    specs: dict[str, dict[str, Any]] = {
        "followers": {"type": "Default", "refill": True, "cancel": True, "dripfeed": True},
        "likes": {"type": "Default"},
        "comments": {"type": "Custom Comments"},
        "package": {"type": "Package"},
    }
    for number, (name, spec) in enumerate(specs.items(), start=1):
        chain = []
        for upstream in (provider, backup):
            chain.append(
                await catalogue.upsert_provider_service(
                    session,
                    upstream.id,
                    str(number),
                    panel_currency="USD",
                    name=name.title(),
                    category="Instagram",
                    rate=COST,
                    min_quantity=10,
                    max_quantity=10_000,
                    **spec,
                )
            )
        world.services[name] = await catalogue.create_service(
            session,
            name=name.title(),
            category="Instagram",
            min_quantity=10,
            max_quantity=10_000,
            **spec,
        )
        await routes.replace(session, world.services[name].id, [ps.id for ps in chain])
        world.routes[name] = chain
    for account, amount in (
        (reseller, reseller_balance + agency_balance),
        (other, reseller_balance),
    ):
        await ledger.top_up(session, account.id, amount, "test funds", None)
    await ledger.fund_agency(session, agency.id, agency_balance, "test funds", None)
    return world
