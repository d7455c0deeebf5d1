"""Rewards: an agency's points redeemed for balance credit or for a voucher, paid by its
reseller.

A reseller sets what one point is worth (`point_credit` in its level rules; none: its agencies
cannot redeem). Redeeming spends points of the agency's current level period: points redeemed
count against the period's points until they reset, so what is left to redeem is the period's
points less what was redeemed in it. Redeeming never lowers the level: a level is about what
was earned.

Credit is a journal from the reseller's wallet to the agency's, refused when the reseller's
wallet cannot cover it: no money is invented. A voucher is the reseller's, for that agency
alone, used once, worth the points; the reseller pays it when an order uses it, like any of
its vouchers (growth.vouchers). Two redemptions at once queue on the agency's standing row, so
points are never spent twice.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from panel.errors import InsufficientFunds, Invalid, NotFound
from panel.growth import levels, voucher_book
from panel.growth.voucher_book import Terms
from panel.ledger import accounts as ledger_accounts
from panel.ledger.service import Leg, post
from panel.models import (
    Account,
    AccountKind,
    AgencyStanding,
    JournalKind,
    PointRedemption,
    RedemptionKind,
    VoucherKind,
)

VOUCHER_DAYS = 90  # a reward voucher's life


@dataclass(frozen=True)
class Purse:
    """What an agency can redeem now."""

    points: int  # the period's points less what was redeemed in it
    point_credit: Decimal | None  # None: its reseller does not redeem points
    period_started_at: datetime


async def purse(session: AsyncSession, agency: Account, now: datetime) -> Purse | None:
    """What `agency` can redeem now; None when its reseller has no levels."""
    found = await levels.standing(session, agency, now)
    if found is None:
        return None
    assert agency.parent_id is not None
    rules = await levels.rules_of(session, agency.parent_id)
    spent = await session.scalar(
        select(func.coalesce(func.sum(PointRedemption.points), 0)).where(
            PointRedemption.agency_id == agency.id,
            PointRedemption.created_at >= found.period_started_at,
        )
    )
    return Purse(
        max(0, found.points - int(spent or 0)), rules.point_credit, found.period_started_at
    )


async def redeem(
    session: AsyncSession, agency: Account, points: int, kind: RedemptionKind, now: datetime
) -> PointRedemption:
    """Redeem `points` for credit or a voucher; `Invalid` (with a `code`) when they cannot be,
    `InsufficientFunds` when the reseller cannot pay the credit (the caller rolls back)."""
    if agency.kind is not AccountKind.agency or agency.parent_id is None:
        raise NotFound("points are an agency's")
    if points < 1:
        raise Invalid("redeem at least one point", code="points")
    # Held to the end of the transaction: a second redemption waits, then sees this one.
    await levels.standing(session, agency, now)
    await session.execute(
        select(AgencyStanding.agency_id)
        .where(AgencyStanding.agency_id == agency.id)
        .with_for_update()
    )
    found = await purse(session, agency, now)
    if found is None or found.point_credit is None:
        raise Invalid("your reseller does not redeem points", code="not_redeemed")
    if points > found.points:
        raise Invalid(f"you have {found.points} points to redeem", code="too_many")
    amount = found.point_credit * points
    redemption = PointRedemption(
        agency_id=agency.id, points=points, amount=amount, kind=kind, created_at=now
    )
    session.add(redemption)
    await session.flush()
    if kind is RedemptionKind.credit:
        reseller = await ledger_accounts.wallet_of(session, agency.parent_id)
        wallet = await ledger_accounts.wallet_of(session, agency.id)
        try:
            journal = await post(
                session,
                kind=JournalKind.reward,
                reason=f"{points} points redeemed",
                legs=[Leg(reseller.id, -amount), Leg(wallet.id, amount)],
                actor_id=agency.id,
            )
        except InsufficientFunds as short:
            raise InsufficientFunds("your reseller cannot pay this reward now") from short
        redemption.journal_id = journal.id
    else:
        reseller_account = await session.get_one(Account, agency.parent_id)
        voucher = await voucher_book.issue(
            session,
            reseller_account,
            Terms(
                code=f"POIN-{redemption.id}",
                kind=VoucherKind.fixed,
                value=amount,
                account_id=agency.id,
                max_uses=1,
                expires_at=now + timedelta(days=VOUCHER_DAYS),
            ),
            now,
        )
        redemption.voucher_id = voucher.id
    await session.flush()
    return redemption
