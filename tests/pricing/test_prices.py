"""What accounts pay, through the database: routes give the cost, rules the markup, and an
agency pays its reseller's rate plus the reseller's own markup."""

from dataclasses import dataclass
from decimal import Decimal

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from panel.accounts import service as accounts
from panel.catalogue import routes
from panel.catalogue import service as catalogue
from panel.errors import Invalid, NotFound
from panel.models import Account, AccountKind, Provider, ProviderService, Service, Tier
from panel.pricing import rule_book, tiers
from panel.pricing.service import Charge, charges_for, price_list, rate_for

D = Decimal
CATEGORY = "Followers"


@dataclass
class World:
    providers: list[Provider]
    provider_services: list[ProviderService]
    service: Service  # category CATEGORY, routed to provider_services[0] (cost 2)
    sibling: Service  # same category, another service (cost 2)
    elsewhere: Service  # another category (cost 2)
    tier: Tier
    other_tier: Tier
    reseller: Account  # in `tier`
    other_reseller: Account  # in `other_tier`
    agency: Account  # under `reseller`
    other_agency: Account  # under `reseller` too
    foreign_agency: Account  # under `other_reseller`


async def provider_service(
    session: AsyncSession, provider: Provider, external_id: str, rate: str
) -> ProviderService:
    return await catalogue.upsert_provider_service(
        session,
        provider.id,
        external_id,
        panel_currency="USD",
        name=f"upstream {external_id}",
        rate=D(rate),
        min_quantity=1,
        max_quantity=100_000,
    )


async def routed_service(
    session: AsyncSession, name: str, category: str, *upstreams: ProviderService
) -> Service:
    service = await catalogue.create_service(
        session, name=name, category=category, min_quantity=1, max_quantity=100_000
    )
    await routes.replace(session, service.id, [ps.id for ps in upstreams])
    return service


@pytest.fixture
async def world(session: AsyncSession) -> World:
    first = await catalogue.create_provider(
        session, name="First", api_url="http://127.0.0.1:9/api/v2", api_key="k1", currency="USD"
    )
    second = await catalogue.create_provider(
        session, name="Second", api_url="http://127.0.0.1:9/api/v2", api_key="k2", currency="USD"
    )
    upstreams = [
        await provider_service(session, first, "1", "2"),
        await provider_service(session, second, "1", "3"),
        await provider_service(session, first, "2", "2"),
        await provider_service(session, first, "3", "2"),
    ]
    service = await routed_service(session, "Followers HQ", CATEGORY, upstreams[0], upstreams[1])
    sibling = await routed_service(session, "Followers cheap", CATEGORY, upstreams[2])
    elsewhere = await routed_service(session, "Likes", "Likes", upstreams[3])
    tier = await tiers.create(session, name="Gold", min_spend_90d=D(0))
    other_tier = await tiers.create(session, name="Silver", min_spend_90d=D(0))
    reseller = await accounts.create(session, kind=AccountKind.reseller, name="R", tier_id=tier.id)
    other_reseller = await accounts.create(
        session, kind=AccountKind.reseller, name="R2", tier_id=other_tier.id
    )
    agency = await accounts.create(
        session, kind=AccountKind.agency, name="A", parent_id=reseller.id
    )
    other_agency = await accounts.create(
        session, kind=AccountKind.agency, name="A2", parent_id=reseller.id
    )
    foreign_agency = await accounts.create(
        session, kind=AccountKind.agency, name="A3", parent_id=other_reseller.id
    )
    return World(
        [first, second],
        upstreams,
        service,
        sibling,
        elsewhere,
        tier,
        other_tier,
        reseller,
        other_reseller,
        agency,
        other_agency,
        foreign_agency,
    )


# Operator rule scopes, most specific first, each with its own markup percent.
OPERATOR_SCOPES = [
    "account+service",
    "account+category",
    "account",
    "tier+service",
    "tier+category",
    "tier",
    "default+service",
    "default+category",
    "default",
]


def _operator_scope(world: World, name: str) -> dict[str, object]:
    subject, _, target = name.partition("+")
    scope: dict[str, object] = {}
    if subject == "account":
        scope["account_id"] = world.reseller.id
    elif subject == "tier":
        scope["tier_id"] = world.tier.id
    if target == "service":
        scope["service_id"] = world.service.id
    elif target == "category":
        scope["category"] = CATEGORY
    return scope


async def _foreign_operator_rules(session: AsyncSession, world: World) -> None:
    """Rules at every specific level that must not reach `world.reseller` on `world.service`."""
    foreign: list[dict[str, object]] = [
        {"account_id": world.other_reseller.id, "service_id": world.service.id},
        {"account_id": world.other_reseller.id, "category": CATEGORY},
        {"account_id": world.other_reseller.id},
        {"account_id": world.reseller.id, "service_id": world.sibling.id},
        {"account_id": world.reseller.id, "category": "Likes"},
        {"tier_id": world.other_tier.id, "service_id": world.service.id},
        {"tier_id": world.other_tier.id, "category": CATEGORY},
        {"tier_id": world.other_tier.id},
        {"tier_id": world.tier.id, "service_id": world.sibling.id},
        {"tier_id": world.tier.id, "category": "Likes"},
        {"service_id": world.sibling.id},
        {"category": "Likes"},
    ]
    for number, scope in enumerate(foreign):
        await rule_book.create(session, markup_percent=D(50 + number), **scope)  # type: ignore[arg-type]


@pytest.mark.parametrize("level", range(len(OPERATOR_SCOPES)), ids=OPERATOR_SCOPES)
async def test_reseller_rate_comes_from_the_most_specific_operator_rule(
    session: AsyncSession, world: World, level: int
) -> None:
    await _foreign_operator_rules(session, world)
    # This level and every less specific one; level i marks up by i + 1 percent.
    for number in range(level, len(OPERATOR_SCOPES)):
        scope = _operator_scope(world, OPERATOR_SCOPES[number])
        await rule_book.create(session, markup_percent=D(number + 1), **scope)  # type: ignore[arg-type]

    expected = D(2) * (1 + D(level + 1) / 100)
    assert await rate_for(session, world.reseller, world.service.id) == expected
    prices = await price_list(session, world.reseller)
    assert prices[world.service.id].cost == D(2)
    assert prices[world.service.id].rate == expected


async def test_foreign_rules_apply_to_their_own_subjects(
    session: AsyncSession, world: World
) -> None:
    await _foreign_operator_rules(session, world)
    # The first foreign rule (+50%) is the other reseller's own rule for the service.
    assert await rate_for(session, world.other_reseller, world.service.id) == D("3")
    # `world.reseller` has none of them for its service: it pays the cost.
    assert await rate_for(session, world.reseller, world.service.id) == D("2")
    # ... but its own rule for the sibling service (+53%) does reach it there,
    assert await rate_for(session, world.reseller, world.sibling.id) == D("3.06")
    # and the other reseller's account rule (+52%) covers that reseller's other services.
    assert await rate_for(session, world.other_reseller, world.elsewhere.id) == D("3.04")


async def test_a_reseller_without_a_tier_skips_tier_rules(
    session: AsyncSession, world: World
) -> None:
    untiered = await accounts.create(session, kind=AccountKind.reseller, name="No tier")
    await rule_book.create(session, tier_id=world.tier.id, markup_percent=D(50))
    await rule_book.create(session, markup_percent=D(10))
    assert await rate_for(session, untiered, world.service.id) == D("2.2")
    assert await rate_for(session, world.reseller, world.service.id) == D("3")


async def test_the_primary_route_gives_the_cost(session: AsyncSession, world: World) -> None:
    primary, fallback = world.provider_services[0], world.provider_services[1]
    await rule_book.create(session, markup_percent=D(10))

    async def price() -> tuple[Decimal, Decimal] | None:
        found = (await price_list(session, world.reseller)).get(world.service.id)
        return None if found is None else (found.cost, found.rate)

    assert await price() == (D(2), D("2.2"))

    # The primary provider service goes inactive: the next route is used.
    await catalogue.upsert_provider_service(
        session, primary.provider_id, "1", panel_currency="USD", active=False
    )
    assert await price() == (D(3), D("3.3"))
    await catalogue.upsert_provider_service(
        session, primary.provider_id, "1", panel_currency="USD", active=True
    )
    assert await price() == (D(2), D("2.2"))

    # The primary's provider is disabled: the same.
    await catalogue.update_provider(session, primary.provider_id, enabled=False)
    assert await price() == (D(3), D("3.3"))
    await catalogue.update_provider(session, primary.provider_id, enabled=True)

    # The order of the routes decides, not the ids or the cheaper cost.
    await routes.replace(session, world.service.id, [fallback.id, primary.id])
    assert await price() == (D(3), D("3.3"))

    # A cost change upstream shows at once.
    await catalogue.upsert_provider_service(
        session, fallback.provider_id, "1", panel_currency="USD", rate=D("4")
    )
    assert await price() == (D(4), D("4.4"))


async def test_a_service_without_a_live_route_has_no_price(
    session: AsyncSession, world: World
) -> None:
    primary, fallback = world.provider_services[0], world.provider_services[1]
    await catalogue.upsert_provider_service(
        session, primary.provider_id, "1", panel_currency="USD", active=False
    )
    await catalogue.update_provider(session, fallback.provider_id, enabled=False)
    unrouted = await catalogue.create_service(
        session, name="Nothing behind it", category="X", min_quantity=1, max_quantity=10
    )

    for account in (world.reseller, world.agency):
        prices = await price_list(session, account)
        assert world.service.id not in prices
        assert unrouted.id not in prices
        assert world.sibling.id in prices  # the others are still sold
        with pytest.raises(NotFound):
            await rate_for(session, account, world.service.id)
        with pytest.raises(NotFound):
            await rate_for(session, account, unrouted.id)
        with pytest.raises(NotFound):
            await charges_for(session, account, world.service.id, 100)

    # Routes to nothing at all, after a replace with none, are the same as no routes.
    await routes.replace(session, world.sibling.id, [])
    assert world.sibling.id not in await price_list(session, world.reseller)


async def test_a_service_created_with_its_defaults_can_be_priced(
    session: AsyncSession, world: World
) -> None:
    # The model declares min_quantity = max_quantity = 1 by default; the service layer must
    # honour that rather than compare None with an int.
    service = await catalogue.create_service(session, name="Plain", category=CATEGORY)
    await routes.replace(session, service.id, [world.provider_services[0].id])
    assert (service.min_quantity, service.max_quantity) == (1, 1)
    assert await rate_for(session, world.reseller, service.id) == D(2)


async def test_a_disabled_service_has_no_price(session: AsyncSession, world: World) -> None:
    await catalogue.update_service(session, world.service.id, enabled=False)
    assert world.service.id not in await price_list(session, world.reseller)
    with pytest.raises(NotFound):
        await rate_for(session, world.agency, world.service.id)


async def test_price_list_can_be_limited_to_some_services(
    session: AsyncSession, world: World
) -> None:
    prices = await price_list(session, world.reseller, [world.sibling.id])
    assert set(prices) == {world.sibling.id}
    assert set(await price_list(session, world.reseller)) == {
        world.service.id,
        world.sibling.id,
        world.elsewhere.id,
    }


async def test_operators_do_not_buy(session: AsyncSession, world: World) -> None:
    operator = await accounts.create(session, kind=AccountKind.operator, name="Ops")
    with pytest.raises(Invalid):
        await rate_for(session, operator, world.service.id)


# The reseller's own rules over its agencies, most specific first.
AGENCY_SCOPES = ["agency+service", "agency+category", "agency", "all agencies"]


@pytest.mark.parametrize("level", range(len(AGENCY_SCOPES)), ids=AGENCY_SCOPES)
async def test_agency_pays_the_reseller_rate_plus_the_reseller_markup(
    session: AsyncSession, world: World, level: int
) -> None:
    # The reseller pays 2.2 (its tier); the operator's default (+30%) loses to the tier and must
    # not be applied a second time to the agency either.
    await rule_book.create(session, tier_id=world.tier.id, markup_percent=D(10))
    await rule_book.create(session, markup_percent=D(30))
    # Rules that must not reach `world.agency` on `world.service`.
    owner = world.reseller.id
    await rule_book.create(
        session, owner_id=owner, account_id=world.other_agency.id, markup_percent=D(60)
    )
    await rule_book.create(
        session,
        owner_id=owner,
        account_id=world.agency.id,
        service_id=world.sibling.id,
        markup_percent=D(61),
    )
    await rule_book.create(
        session, owner_id=owner, account_id=world.agency.id, category="Likes", markup_percent=D(62)
    )
    await rule_book.create(session, owner_id=world.other_reseller.id, markup_percent=D(63))
    await rule_book.create(
        session,
        owner_id=world.other_reseller.id,
        account_id=world.foreign_agency.id,
        service_id=world.service.id,
        markup_percent=D(64),
    )
    scopes: list[dict[str, object]] = [
        {"account_id": world.agency.id, "service_id": world.service.id},
        {"account_id": world.agency.id, "category": CATEGORY},
        {"account_id": world.agency.id},
        {},
    ]
    for number in range(level, len(scopes)):
        await rule_book.create(
            session,
            owner_id=owner,
            markup_percent=D(number + 5),
            **scopes[number],  # type: ignore[arg-type]
        )

    reseller_rate = D("2.2")
    expected = reseller_rate * (1 + D(level + 5) / 100)
    assert await rate_for(session, world.reseller, world.service.id) == reseller_rate
    assert await rate_for(session, world.agency, world.service.id) == expected
    agency_price = (await price_list(session, world.agency))[world.service.id]
    assert agency_price.cost == D(2)
    assert agency_price.rate == expected


async def test_agency_without_reseller_rules_pays_the_reseller_rate(
    session: AsyncSession, world: World
) -> None:
    await rule_book.create(session, tier_id=world.tier.id, markup_percent=D(10))
    await rule_book.create(session, owner_id=world.other_reseller.id, markup_percent=D(50))
    assert await rate_for(session, world.agency, world.service.id) == D("2.2")


async def test_agency_charges_run_up_the_chain(session: AsyncSession, world: World) -> None:
    await rule_book.create(session, tier_id=world.tier.id, markup_percent=D(10))
    await rule_book.create(session, owner_id=world.reseller.id, markup_percent=D(5))

    charges = await charges_for(session, world.agency, world.service.id, 500)
    assert charges == [
        Charge(world.agency.id, D("2.31"), D("1.155")),
        Charge(world.reseller.id, D("2.2"), D("1.1")),
    ]
    assert await charges_for(session, world.reseller, world.service.id, 500) == [
        Charge(world.reseller.id, D("2.2"), D("1.1")),
    ]


async def test_charges_round_half_up(session: AsyncSession, world: World) -> None:
    upstream = await provider_service(session, world.providers[0], "odd", "1.000005")
    service = await routed_service(session, "Odd", "Odd", upstream)
    await rule_book.create(session, owner_id=world.reseller.id, markup_fixed=D("0.000004"))

    charges = await charges_for(session, world.agency, service.id, 500)
    # 1.000009 * 0.5 = 0.5000045 and 1.000005 * 0.5 = 0.5000025: half-up, not half-even.
    assert charges == [
        Charge(world.agency.id, D("1.000009"), D("0.500005")),
        Charge(world.reseller.id, D("1.000005"), D("0.500003")),
    ]
    # 1.000005 * 333 / 1000 = 0.333001665
    assert (await charges_for(session, world.reseller, service.id, 333))[0].amount == D("0.333002")


async def test_sell_rate_never_below_cost_plus_floor(session: AsyncSession, world: World) -> None:
    await rule_book.create(
        session, tier_id=world.tier.id, markup_percent=D(-50), floor_margin=D("0.3")
    )
    await rule_book.create(
        session,
        tier_id=world.tier.id,
        service_id=world.sibling.id,
        markup_percent=D(1),
        floor_margin=D("0.5"),
    )
    await rule_book.create(
        session,
        owner_id=world.reseller.id,
        markup_percent=D(-100),
        markup_fixed=D(-1),
        floor_margin=D("0.05"),
    )
    reseller = await price_list(session, world.reseller)
    assert reseller[world.service.id].rate == D("2.3")
    assert reseller[world.sibling.id].rate == D("2.5")
    assert reseller[world.elsewhere.id].rate == D("2.3")
    agency = await price_list(session, world.agency)
    for service_id, price in agency.items():
        assert price.rate == reseller[service_id].rate + D("0.05")
        assert price.rate >= price.cost
