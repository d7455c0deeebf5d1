"""Referral commissions: an agency shares its own link under its reseller's brand; a new agency
that signs up through it is recorded as its referral for as many days as the reseller sets,
and every order of the referral settled in that time (accepted before the period ends) gives
the referrer a share, set by the reseller, of the reseller's margin on that order.

The commission is a leg of the order's settlement journal, moved out of the reseller's margin
on what was delivered: a refunded part earns no margin, so it earns no commission; it is
rounded down, so never more than the margin; and an order settles once, so it is paid once.
"""

import secrets
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_DOWN, Decimal

from sqlalchemy import BigInteger, Integer, Numeric, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from panel.accounts import passwords
from panel.accounts import service as accounts
from panel.errors import Invalid
from panel.models import (
    Account,
    AccountKind,
    AccountStatus,
    LedgerAccount,
    Order,
    Referral,
    ReferralCommission,
    ReferralLink,
    ReferralTerms,
)
from panel.money import PLACES
from panel.plumbing.db import arrays_as_rows, one_of

PATH = "/ref/"
DEFAULT_DAYS = 90
MAX_DAYS = 3650
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Terms:
    share_percent: Decimal
    days: int


async def terms_of(session: AsyncSession, reseller_id: int) -> Terms:
    """The reseller's terms; a reseller that set none pays no commission."""
    # Columns, not the row: `set_terms` writes past the session, so a copy it holds is stale.
    found = (
        await session.execute(
            select(ReferralTerms.share_percent, ReferralTerms.days).where(
                ReferralTerms.reseller_id == reseller_id
            )
        )
    ).first()
    if found is None:
        return Terms(Decimal(0), DEFAULT_DAYS)
    return Terms(found.share_percent, found.days)


async def set_terms(
    session: AsyncSession, reseller: Account, share_percent: Decimal, days: int, now: datetime
) -> Terms:
    """Set the share of its margin a reseller gives referrers, and for how many days after a
    referral signs up. The share applies to orders settled from now on; the days, to agencies
    that sign up from now on (each referral keeps the period it joined with)."""
    if reseller.kind is not AccountKind.reseller:
        raise Invalid("only a reseller sets referral terms")
    if not Decimal(0) <= share_percent <= HUNDRED or share_percent != share_percent.quantize(
        Decimal("0.01")
    ):
        raise Invalid("the share must be a percent from 0 to 100, with at most 2 decimals")
    if not 0 < days <= MAX_DAYS:
        raise Invalid(f"the period must be from 1 to {MAX_DAYS} days")
    values = {"share_percent": share_percent, "days": days, "updated_at": now}
    await session.execute(
        insert(ReferralTerms)
        .values(reseller_id=reseller.id, **values)
        .on_conflict_do_update(index_elements=["reseller_id"], set_=values)
    )
    return Terms(share_percent, days)


async def link_code(session: AsyncSession, agency: Account) -> str:
    """The agency's own referral code, made on first asking; it never changes."""
    if agency.kind is not AccountKind.agency or agency.parent_id is None:
        raise Invalid("only an agency has a referral link")
    await session.execute(
        insert(ReferralLink)
        .values(account_id=agency.id, code=secrets.token_urlsafe(12))
        .on_conflict_do_nothing(index_elements=["account_id"])
    )
    code = await session.scalar(
        select(ReferralLink.code).where(ReferralLink.account_id == agency.id)
    )
    assert code is not None
    return code


async def referrer_of_code(session: AsyncSession, code: str, reseller_id: int) -> Account | None:
    """The active agency of `reseller_id` whose link `code` is: a link opens only on its own
    reseller's brand, where the new agency will sign in."""
    if not code or len(code) > 32:
        return None
    return await session.scalar(
        select(Account)
        .join(ReferralLink, ReferralLink.account_id == Account.id)
        .where(
            ReferralLink.code == code,
            Account.parent_id == reseller_id,
            Account.kind == AccountKind.agency,
            Account.status == AccountStatus.active,
        )
    )


async def join(
    session: AsyncSession,
    referrer: Account,
    now: datetime,
    *,
    name: str,
    email: str,
    password: str,
) -> Account:
    """A new agency of the referrer's reseller, signed up through the referrer's link and
    recorded as its referral for the reseller's period."""
    assert referrer.parent_id is not None
    email = email.strip().lower()
    if not name.strip() or "@" not in email:
        raise Invalid("a name and an email address are needed")
    agency = await accounts.create(
        session,
        kind=AccountKind.agency,
        name=name.strip()[:200],
        email=email,
        parent_id=referrer.parent_id,
    )
    await passwords.set_password(session, agency, password)
    terms = await terms_of(session, referrer.parent_id)
    session.add(
        Referral(
            referred_id=agency.id, referrer_id=referrer.id, until=now + timedelta(days=terms.days)
        )
    )
    await session.flush()
    return agency


# Settlement


@dataclass(frozen=True)
class Earner:
    """Who earns on a referred agency's order, and what share of the reseller's margin."""

    referrer_id: int
    wallet_id: int
    share_percent: Decimal


async def earners(session: AsyncSession, order_ids: Collection[int]) -> dict[int, Earner]:
    """The referrer earning on each of `order_ids`, by order, in one query: settlement loads
    them once per batch. An order earns if its buyer was referred, it was accepted before the
    referral's period ended, the reseller's share is above zero, and the referrer is still an
    agency of the same reseller."""
    if not order_ids:
        return {}
    referrer = aliased(Account)
    rows = await session.execute(
        select(Order.id, Referral.referrer_id, LedgerAccount.id, ReferralTerms.share_percent)
        .join(Referral, Referral.referred_id == Order.account_id)
        .join(referrer, referrer.id == Referral.referrer_id)
        .join(ReferralTerms, ReferralTerms.reseller_id == Order.reseller_id)
        .join(LedgerAccount, LedgerAccount.owner_id == Referral.referrer_id)
        .where(
            one_of(Order.id, list(order_ids)),
            Order.created_at < Referral.until,
            referrer.parent_id == Order.reseller_id,
            ReferralTerms.share_percent > 0,
        )
    )
    return {
        order_id: Earner(referrer_id, wallet_id, share)
        for order_id, referrer_id, wallet_id, share in rows
    }


def commission(margin: Decimal, share_percent: Decimal) -> Decimal:
    """`share_percent` of `margin`, rounded down to the ledger's places: never more than the
    margin (the share is at most 100%), zero when the margin is zero."""
    if margin <= 0 or share_percent <= 0:
        return Decimal(0)
    earned = (margin * share_percent / HUNDRED).quantize(PLACES, rounding=ROUND_DOWN)
    return min(earned, margin)


async def record(session: AsyncSession, credited: Sequence[ReferralCommission]) -> None:
    """The commissions a batch of settlements credited, in one statement whatever their
    number: the columns travel as arrays."""
    if not credited:
        return
    given = arrays_as_rows(
        ([c.order_id for c in credited], BigInteger()),
        ([c.referrer_id for c in credited], Integer()),
        ([c.referred_id for c in credited], Integer()),
        ([c.amount for c in credited], Numeric(20, 6)),
    )
    await session.execute(
        insert(ReferralCommission).from_select(
            ["order_id", "referrer_id", "referred_id", "amount"],
            select(given.c.c0, given.c.c1, given.c.c2, given.c.c3),
        )
    )


# The referrer's page


@dataclass(frozen=True)
class Referred:
    account_id: int
    name: str
    joined_at: datetime
    until: datetime


@dataclass(frozen=True)
class Earned:
    order_id: int
    referred_name: str
    amount: Decimal
    credited_at: datetime


async def referrals_of(session: AsyncSession, referrer_id: int) -> list[Referred]:
    rows = await session.execute(
        select(Account.id, Account.name, Referral.created_at, Referral.until)
        .join(Account, Account.id == Referral.referred_id)
        .where(Referral.referrer_id == referrer_id)
        .order_by(Referral.created_at.desc(), Account.id.desc())
    )
    return [Referred(*row) for row in rows]


async def commissions_of(
    session: AsyncSession, referrer_id: int, *, limit: int = 100
) -> tuple[list[Earned], Decimal]:
    """The referrer's newest commissions, each with its order, and what all of them total."""
    rows = await session.execute(
        select(
            ReferralCommission.order_id,
            Account.name,
            ReferralCommission.amount,
            ReferralCommission.created_at,
        )
        .join(Account, Account.id == ReferralCommission.referred_id)
        .where(ReferralCommission.referrer_id == referrer_id)
        .order_by(ReferralCommission.order_id.desc())
        .limit(limit)
    )
    total = await session.scalar(
        select(func.sum(ReferralCommission.amount)).where(
            ReferralCommission.referrer_id == referrer_id
        )
    )
    return [Earned(*row) for row in rows], total or Decimal(0)
