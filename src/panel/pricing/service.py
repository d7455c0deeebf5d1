"""What an account pays: "the rate of service S for account A" and "the chain of charges for
an order of A". Rates are per 1000 units.

A reseller's rate is the primary route's cost marked up by the operator's most specific rule.
An agency's rate is its reseller's rate marked up by the reseller's own most specific rule.
"""

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from panel.catalogue import routes
from panel.errors import Invalid, NotFound
from panel.growth import levels
from panel.models import Account, AccountKind, PriceRule, Service
from panel.money import charge_for, round_half_up
from panel.plumbing.read_cache import ReadCache, detached
from panel.pricing.rule_choice import most_specific, sell_rate


@dataclass(frozen=True)
class Price:
    service: Service
    cost: Decimal  # the primary route's cost, in the panel's currency
    rate: Decimal  # what the account pays

    @property
    def service_id(self) -> int:
        return self.service.id


@dataclass(frozen=True)
class TierPrice(Price):
    """A reseller's rate in a tier, and the operator rule that sets it (None: sold at cost)."""

    rule: PriceRule | None


async def tier_prices(
    session: AsyncSession, tier_id: int | None, service_ids: Sequence[int] | None = None
) -> dict[int, TierPrice]:
    """What a reseller of `tier_id` (None: of no tier) pays for every orderable service (or
    those asked) when it has no rules of its own, by service id: the same choice of rule and
    the same markup as `price_list`."""
    priced = await routes.priced_services(session, service_ids)
    scope: list[ColumnElement[bool]] = [PriceRule.tier_id.is_(None)]
    if tier_id is not None:
        scope.append(PriceRule.tier_id == tier_id)
    rules = list(
        await session.scalars(
            select(PriceRule).where(
                PriceRule.owner_id.is_(None), PriceRule.account_id.is_(None), or_(*scope)
            )
        )
    )
    found = {}
    for service, cost in priced:
        rule = most_specific(
            rules,
            account_id=None,
            tier_id=tier_id,
            service_id=service.id,
            category=service.category,
        )
        found[service.id] = TierPrice(service, cost, sell_rate(cost, rule), rule)
    return found


@dataclass(frozen=True)
class Charge:
    """One link of an order's chain: `account_id` pays `amount` (at `rate`) for the order."""

    account_id: int
    rate: Decimal
    amount: Decimal


async def price_list(
    session: AsyncSession, account: Account, service_ids: Sequence[int] | None = None
) -> dict[int, Price]:
    """Prices for `account` of every orderable service (or of those asked), by service id.
    A service with no live route has no price and is left out."""
    return (await _chain_prices(session, account, service_ids))[0][1]


async def rate_for(session: AsyncSession, account: Account, service_id: int) -> Decimal:
    """The rate per 1000 of `service_id` for `account`."""
    prices = await price_list(session, account, [service_id])
    if service_id not in prices:
        raise NotFound(f"service {service_id} is not available")
    return prices[service_id].rate


@dataclass(frozen=True)
class Quote:
    """A service as one account can order it: the service, and each payer's rate per 1000,
    the buyer first, then up the chain (an agency's reseller pays its own rate)."""

    service: Service
    rates: list[tuple[int, Decimal]]

    def charges(self, quantity: int, *, per_package: bool = False) -> list[Charge]:
        """Who pays what for an order of `quantity`. A package is priced whole: its rate is
        its price."""
        return [
            Charge(
                payer_id, rate, round_half_up(rate) if per_package else charge_for(rate, quantity)
            )
            for payer_id, rate in self.rates
        ]


async def kept_quote(
    reads: ReadCache, account: Account, service_id: int, read: Callable[[], Awaitable[Quote]]
) -> Quote:
    """What `account` pays for `service_id`, kept by the read cache, read by `read` when not
    known or too old; a refusal from `read` is raised and not kept."""

    async def copied() -> Quote:
        quote = await read()
        return replace(quote, service=detached(quote.service))

    return await reads.kept("quote", (account.id, service_id), copied)


async def quote(session: AsyncSession, account: Account, service_id: int) -> Quote:
    """The service and its chain of rates for `account`; NotFound if it cannot be ordered (no
    such service, disabled, or no live route)."""
    chain = await _chain_prices(session, account, [service_id])
    if service_id not in chain[0][1]:
        raise NotFound(f"service {service_id} is not available")
    return Quote(
        chain[0][1][service_id].service,
        [(payer.id, prices[service_id].rate) for payer, prices in chain],
    )


async def charges_for(
    session: AsyncSession,
    account: Account,
    service_id: int,
    quantity: int,
    *,
    per_package: bool = False,
) -> list[Charge]:
    """Who pays what for an order of `quantity`, buyer first."""
    found = await quote(session, account, service_id)
    return found.charges(quantity, per_package=per_package)


async def _chain_prices(
    session: AsyncSession, account: Account, service_ids: Sequence[int] | None
) -> list[tuple[Account, dict[int, Price]]]:
    """Prices for the buyer and, for an agency, its reseller: buyer first."""
    chain = await pricer(session, account)
    priced = await routes.priced_services(session, service_ids)
    reseller_prices = {
        service.id: Price(service, cost, chain.reseller_rate(service, cost))
        for service, cost in priced
    }
    if chain.agency_rules is None:
        return [(chain.reseller, reseller_prices)]
    agency_prices = {
        service.id: Price(
            service, cost, chain.agency_rate(service, reseller_prices[service.id].rate)
        )
        for service, cost in priced
    }
    return [(account, agency_prices), (chain.reseller, reseller_prices)]


@dataclass(frozen=True)
class Pricer:
    """One account's price rules, read once, to price any service at any cost exactly as
    `price_list` does (a cost a service had before a change, say)."""

    account: Account
    reseller: Account  # the account itself, for a reseller
    reseller_rules: list[PriceRule]
    agency_rules: list[PriceRule] | None  # None: the account is a reseller
    # The markup of the agency's level: it stands over the reseller's rules for all agencies.
    level_rule: PriceRule | None = None

    def reseller_rate(self, service: Service, cost: Decimal) -> Decimal:
        return sell_rate(cost, _rule_for(self.reseller_rules, self.reseller, service))

    def agency_rate(self, service: Service, reseller_rate: Decimal) -> Decimal:
        assert self.agency_rules is not None
        rule = _rule_for(self.agency_rules, self.account, service)
        if self.level_rule is not None and (rule is None or rule.account_id is None):
            rule = self.level_rule
        return sell_rate(reseller_rate, rule)

    def rate(self, service: Service, cost: Decimal) -> Decimal:
        """What the account pays per 1000 of `service` when its primary route costs `cost`."""
        rate = self.reseller_rate(service, cost)
        return rate if self.agency_rules is None else self.agency_rate(service, rate)


async def pricer(session: AsyncSession, account: Account) -> Pricer:
    """The rules that price `account` (a reseller or an agency)."""
    if account.kind is AccountKind.operator:
        raise Invalid("operators do not buy services")
    reseller = account if account.kind is AccountKind.reseller else await _parent(session, account)
    reseller_rules = await _rules(session, owner_id=None, account=reseller)
    if account is reseller:
        return Pricer(account, reseller, reseller_rules, None)
    agency_rules = await _rules(session, owner_id=reseller.id, account=account)
    level_rule = await levels.markup_rule(session, account)
    return Pricer(account, reseller, reseller_rules, agency_rules, level_rule)


def _rule_for(rules: list[PriceRule], account: Account, service: Service) -> PriceRule | None:
    # An agency has no tier: its reseller's rules over it are by agency or for all agencies.
    tier_id = account.tier_id if account.kind is AccountKind.reseller else None
    return most_specific(
        rules,
        account_id=account.id,
        tier_id=tier_id,
        service_id=service.id,
        category=service.category,
    )


async def _parent(session: AsyncSession, agency: Account) -> Account:
    assert agency.parent_id is not None
    parent = await session.get(Account, agency.parent_id)
    assert parent is not None
    return parent


async def _rules(
    session: AsyncSession, *, owner_id: int | None, account: Account
) -> list[PriceRule]:
    """The rules of one owner that could apply to `account`, whatever the service."""
    owner = PriceRule.owner_id.is_(None) if owner_id is None else PriceRule.owner_id == owner_id
    subject = [
        PriceRule.account_id == account.id,
        PriceRule.account_id.is_(None) & PriceRule.tier_id.is_(None),
    ]
    if account.tier_id is not None and owner_id is None:
        subject.append(PriceRule.tier_id == account.tier_id)
    return list(await session.scalars(select(PriceRule).where(owner, or_(*subject))))
