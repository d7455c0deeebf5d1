"""What Pasok does with what a gateway says about a deposit: credit it exactly once, in the
transaction that marks it paid, or put it on the review list for a person. Every report,
from a callback, a status check or a bank statement, comes through `apply`, with the
deposit's row locked, so the same report any number of times at once credits once.

Into the panel (a reseller's deposit), one journal: `external` gives what the buyer paid,
the wallet gets the amount, `payment_fees` what the gateway kept, and `revenue` the
difference (the fee when the panel absorbs it; nothing when the buyer pays it). To a reseller
(an agency's deposit), the money is the reseller's, outside the panel: the agency is credited
from the reseller's wallet, as a top-up approval does, and waits (`held`) while that wallet
is short."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from panel import action_log
from panel.errors import Conflict, InsufficientFunds, Invalid, NotFound
from panel.ledger import accounts
from panel.ledger import service as ledger
from panel.models import (
    Account,
    AccountKind,
    Deposit,
    DepositStatus,
    GatewayKind,
    JournalKind,
    PaymentGateway,
    PaymentReview,
    ReviewOutcome,
    ReviewReason,
)
from panel.payments import events
from panel.payments.gateways import PaymentState, Report

BODY_KEPT = 2000  # characters of a doubtful callback kept for the reviewer
PAYMENT_FEES = "payment_fees"
_WAITING = (DepositStatus.pending, DepositStatus.held, DepositStatus.review)


@dataclass(frozen=True)
class Applied:
    """What a report did: `credited`, `held`, `review`, `closed` (expired or failed), or
    `nothing` (a duplicate, or news already known)."""

    outcome: str
    deposit_id: int | None = None


async def apply(
    session: AsyncSession, gateway: PaymentGateway, report: Report, body: str, now: datetime
) -> Applied:
    deposit = await session.scalar(
        select(Deposit)
        .where(Deposit.gateway_id == gateway.id, Deposit.merchant_ref == report.merchant_ref)
        .with_for_update()
        # The row as locked, not as this session may have read it before the lock: a stale
        # `pending` would credit twice.
        .execution_options(populate_existing=True)
    )
    if deposit is None:
        await review(
            session,
            gateway,
            None,
            ReviewReason.unknown_reference,
            f"no deposit {report.merchant_ref!r} on this gateway",
            body,
            report.paid_total,
        )
        return Applied("review")
    if deposit.gateway_reference not in (None, report.gateway_reference):
        await review(
            session,
            gateway,
            deposit,
            ReviewReason.unknown_reference,
            f"gateway reference {report.gateway_reference!r} is not the deposit's "
            f"{deposit.gateway_reference!r}",
            body,
            report.paid_total,
        )
        return Applied("review", deposit.id)
    if deposit.currency != gateway.currency:
        return await _doubt(
            session,
            gateway,
            deposit,
            ReviewReason.currency_mismatch,
            f"the gateway counts {gateway.currency}, the deposit {deposit.currency}",
            body,
            report,
            now,
        )
    if report.state is PaymentState.paid:
        return await _paid(session, gateway, deposit, report, body, now)
    if report.state is PaymentState.refunded:
        if deposit.status is DepositStatus.paid:
            return await _doubt(
                session,
                gateway,
                deposit,
                ReviewReason.refund_after_credit,
                "the gateway refunded the buyer after the wallet was credited",
                body,
                report,
                now,
            )
        if deposit.status in (DepositStatus.held, DepositStatus.review):
            # Paid but not yet credited, and now refunded: a held deposit must not be
            # credited when its reseller is topped up, nor a reviewed one by someone who
            # cannot see the refund.
            doubted = await _doubt(
                session,
                gateway,
                deposit,
                ReviewReason.refund_after_credit,
                "the gateway refunded the buyer before the deposit was credited",
                body,
                report,
                now,
            )
            await _move(session, deposit, DepositStatus.review, now)
            return doubted
        return Applied("nothing", deposit.id)
    if report.state in (PaymentState.expired, PaymentState.failed) and (
        deposit.status is DepositStatus.pending
    ):
        closed = (
            DepositStatus.expired
            if report.state is PaymentState.expired
            else (DepositStatus.failed)
        )
        await _move(session, deposit, closed, now)
        return Applied("closed", deposit.id)
    # UNPAID, or news out of order (EXPIRED after PAID): what the deposit knows stands.
    return Applied("nothing", deposit.id)


async def _paid(
    session: AsyncSession,
    gateway: PaymentGateway,
    deposit: Deposit,
    report: Report,
    body: str,
    now: datetime,
) -> Applied:
    if deposit.status in (DepositStatus.paid, DepositStatus.held, DepositStatus.review):
        return Applied("nothing", deposit.id)  # the same news again
    if deposit.status is DepositStatus.expired:
        return await _doubt(
            session,
            gateway,
            deposit,
            ReviewReason.after_expiry,
            "paid after the deposit expired",
            body,
            report,
            now,
        )
    if deposit.status is not DepositStatus.pending:
        return await _doubt(
            session,
            gateway,
            deposit,
            ReviewReason.after_failure,
            f"paid after the deposit was {deposit.status.value}",
            body,
            report,
            now,
        )
    if report.paid_total != deposit.total or not 0 <= report.received <= report.paid_total:
        return await _doubt(
            session,
            gateway,
            deposit,
            ReviewReason.amount_mismatch,
            f"paid {report.paid_total.normalize():f} {deposit.currency}, asked "
            f"{deposit.total.normalize():f}",
            body,
            report,
            now,
        )
    deposit.paid_total, deposit.paid_at = report.paid_total, report.paid_at or now
    deposit.fee_taken = report.paid_total - report.received
    return Applied(await credit(session, deposit, now), deposit.id)


async def _doubt(
    session: AsyncSession,
    gateway: PaymentGateway,
    deposit: Deposit,
    reason: ReviewReason,
    detail: str,
    body: str,
    report: Report,
    now: datetime,
) -> Applied:
    await review(session, gateway, deposit, reason, detail, body, report.paid_total)
    if deposit.status in (DepositStatus.pending, DepositStatus.expired, DepositStatus.failed):
        deposit.paid_total, deposit.paid_at = report.paid_total, report.paid_at or now
        deposit.fee_taken = max(report.paid_total - report.received, Decimal(0))
        await _move(session, deposit, DepositStatus.review, now)
    return Applied("review", deposit.id)


async def review(
    session: AsyncSession,
    gateway: PaymentGateway,
    deposit: Deposit | None,
    reason: ReviewReason,
    detail: str,
    body: str,
    amount: Decimal | None = None,
) -> PaymentReview:
    """Put something on the review list: it credits nothing until a person decides. The same
    doubt already waiting there is not listed twice."""
    already = await session.scalar(
        select(PaymentReview).where(
            PaymentReview.gateway_id == gateway.id,
            PaymentReview.deposit_id.is_(None)
            if deposit is None
            else PaymentReview.deposit_id == deposit.id,
            PaymentReview.reason == reason,
            PaymentReview.detail == detail[:1000],
            PaymentReview.resolved_at.is_(None),
        )
    )
    if already is not None:
        return already
    found = PaymentReview(
        gateway_id=gateway.id,
        deposit_id=deposit.id if deposit else None,
        reason=reason,
        detail=detail[:1000],
        amount=amount,
        body=body[:BODY_KEPT],
    )
    session.add(found)
    await session.flush()
    return found


async def credit(session: AsyncSession, deposit: Deposit, now: datetime) -> str:
    """Credit a deposit whose money has arrived (`paid_total` and `fee_taken` set): `paid`,
    or `held` when the reseller it was paid to cannot fund it yet."""
    reason = f"deposit {deposit.merchant_ref}"
    if deposit.receiver_id is None:
        journal = await _into_panel(session, deposit, reason)
    else:
        try:
            # A savepoint: a refused wallet leaves the caller's transaction usable.
            async with session.begin_nested():
                journal = await _from_reseller(session, deposit, reason)
        except InsufficientFunds:
            deposit.note = "menunggu saldo reseller"
            await _move(session, deposit, DepositStatus.held, now)
            return "held"
    deposit.journal_id = journal
    deposit.note = ""
    await _move(session, deposit, DepositStatus.paid, now)
    return "credited"


async def _into_panel(session: AsyncSession, deposit: Deposit, reason: str) -> int:
    paid = deposit.paid_total if deposit.paid_total is not None else deposit.total
    kept = deposit.fee_taken or Decimal(0)
    wallet, external = await accounts.wallet_and_system(
        session, deposit.account_id, accounts.EXTERNAL
    )
    legs = [ledger.Leg(external, -paid), ledger.Leg(wallet, deposit.amount)]
    if kept:
        legs.append(ledger.Leg(await accounts.system(session, PAYMENT_FEES), kept))
    if rest := paid - kept - deposit.amount:
        legs.append(ledger.Leg(await accounts.system(session, accounts.REVENUE), rest))
    journal = await ledger.post(session, kind=JournalKind.deposit, reason=reason, legs=legs)
    return journal.id


async def _from_reseller(session: AsyncSession, deposit: Deposit, reason: str) -> int:
    assert deposit.receiver_id is not None
    reseller = await accounts.wallet_of(session, deposit.receiver_id)
    agency = await accounts.wallet_of(session, deposit.account_id)
    journal = await ledger.post(
        session,
        kind=JournalKind.deposit,
        reason=reason,
        actor_id=deposit.receiver_id,
        legs=[ledger.Leg(reseller.id, -deposit.amount), ledger.Leg(agency.id, deposit.amount)],
    )
    return journal.id


async def _move(
    session: AsyncSession, deposit: Deposit, status: DepositStatus, now: datetime
) -> None:
    if deposit.status is status:
        return
    deposit.status, deposit.updated_at = status, now
    if status is not DepositStatus.pending:
        deposit.next_check_at = None
    await session.flush()
    await events.deposit_updated(session, deposit, now)


async def expire(session: AsyncSession, deposit: Deposit, now: datetime) -> None:
    """A deposit nobody paid in time (its row locked by the caller)."""
    if deposit.status is DepositStatus.pending:
        await _move(session, deposit, DepositStatus.expired, now)


async def retry_held(session: AsyncSession, now: datetime, limit: int = 100) -> int:
    """Credit agencies' deposits whose resellers can fund them now; returns how many."""
    held = await session.scalars(
        select(Deposit)
        .where(Deposit.status == DepositStatus.held)
        .order_by(Deposit.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    )
    return sum([await credit(session, deposit, now) == "credited" for deposit in held.all()])


# --- decisions of a person ---------------------------------------------------------------------


async def _receiving(
    session: AsyncSession, actor: Account, gateway_id: int, what: str
) -> PaymentGateway:
    """The gateway, if `actor` decides about money paid into it: the operator for any, a
    reseller for its own. To anyone else it does not exist, as reads answer."""
    gateway = await session.get_one(PaymentGateway, gateway_id)
    if actor.kind is AccountKind.operator or actor.id == gateway.owner_id:
        return gateway
    raise NotFound(f"{what} does not exist")


async def confirm_transfer(
    session: AsyncSession, actor: Account, deposit_id: int, now: datetime
) -> Deposit:
    """Whoever received a transfer by hand says it came: the deposit is credited with what
    it asked for."""
    deposit = await _locked(session, deposit_id)
    gateway = await _receiving(session, actor, deposit.gateway_id, f"deposit {deposit_id}")
    if gateway.kind is not GatewayKind.manual:
        raise Conflict("only a transfer by hand is confirmed by hand; a gateway reports itself")
    if deposit.status is not DepositStatus.pending:
        raise Conflict(f"deposit {deposit.id} is already {deposit.status.value}")
    deposit.paid_total, deposit.fee_taken, deposit.paid_at = deposit.total, Decimal(0), now
    deposit.decided_by_id = actor.id
    await credit(session, deposit, now)
    await _logged(session, actor, "deposit.confirm", deposit)
    return deposit


async def reject_transfer(
    session: AsyncSession, actor: Account, deposit_id: int, reason: str, now: datetime
) -> Deposit:
    if not reason.strip():
        raise Invalid("say why the transfer is rejected: the buyer reads it")
    deposit = await _locked(session, deposit_id)
    gateway = await _receiving(session, actor, deposit.gateway_id, f"deposit {deposit_id}")
    if gateway.kind is not GatewayKind.manual:
        raise Conflict("only a transfer by hand is rejected by hand")
    if deposit.status is not DepositStatus.pending:
        raise Conflict(f"deposit {deposit.id} is already {deposit.status.value}")
    deposit.note, deposit.decided_by_id = reason.strip()[:500], actor.id
    await _move(session, deposit, DepositStatus.rejected, now)
    await _logged(session, actor, "deposit.reject", deposit)
    return deposit


DECIDED = ("status", "amount", "total", "journal_id", "note")


async def _logged(session: AsyncSession, actor: Account, action: str, deposit: Deposit) -> None:
    """A person's decision about money, in the action log (the deposit was pending before)."""
    await action_log.record(
        session,
        actor.id,
        action,
        "deposit",
        deposit.id,
        before={"status": DepositStatus.pending.value},
        after=action_log.snapshot(deposit, DECIDED),
    )


async def resolve(
    session: AsyncSession,
    actor: Account,
    review_id: int,
    outcome: ReviewOutcome,
    note: str,
    now: datetime,
    amount: Decimal | None = None,
) -> PaymentReview:
    """Close a review: `credited` credits its deposit (`amount`, by default what it asked
    for) once; `dismissed` credits nothing. Either way the reviewer says why."""
    if not note.strip():
        raise Invalid("say why: the decision is kept with the review")
    found = await session.scalar(
        select(PaymentReview).where(PaymentReview.id == review_id).with_for_update()
    )
    if found is None:
        raise NotFound(f"review {review_id} does not exist")
    await _receiving(session, actor, found.gateway_id, f"review {review_id}")
    if found.resolved_at is not None:
        raise Conflict(f"review {review_id} is already {found.outcome}")
    if outcome is ReviewOutcome.credited:
        if found.deposit_id is None:
            raise Conflict("a review of no deposit cannot be credited: adjust the wallet instead")
        deposit = await _locked(session, found.deposit_id)
        if deposit.status not in (
            DepositStatus.review,
            DepositStatus.expired,
            DepositStatus.failed,
        ):
            raise Conflict(f"deposit {deposit.id} is {deposit.status.value}: nothing to credit")
        if amount is not None:
            if amount <= 0:
                raise Invalid("the amount credited must be above zero")
            deposit.amount = amount
        # What the person credits is what arrived as far as the ledger goes: no fee is
        # guessed at.
        deposit.paid_total, deposit.fee_taken = deposit.amount, Decimal(0)
        deposit.paid_at, deposit.decided_by_id = deposit.paid_at or now, actor.id
        if await credit(session, deposit, now) == "held":
            raise InsufficientFunds("the reseller's wallet cannot fund this deposit yet")
    found.outcome, found.resolution = outcome, note.strip()[:1000]
    found.resolved_at, found.resolved_by_id = now, actor.id
    await session.flush()
    await action_log.record(
        session,
        actor.id,
        "payment_review.resolve",
        "payment_review",
        found.id,
        after=action_log.snapshot(found, ("deposit_id", "reason", "outcome", "resolution")),
        note=f"credited {amount.normalize():f}" if amount is not None else "",
    )
    return found


async def _locked(session: AsyncSession, deposit_id: int) -> Deposit:
    deposit = await session.scalar(
        select(Deposit)
        .where(Deposit.id == deposit_id)
        .with_for_update()
        # The row as locked, not as this session read it earlier (see `apply`).
        .execution_options(populate_existing=True)
    )
    if deposit is None:
        raise NotFound(f"deposit {deposit_id} does not exist")
    return deposit


def waiting(deposit: Deposit) -> bool:
    return deposit.status in _WAITING


async def reviews_for(
    session: AsyncSession,
    owner_id: int | None,
    *,
    everyone: bool = False,
    open_only: bool = True,
    limit: int = 100,
) -> list[tuple[PaymentReview, PaymentGateway, Deposit | None]]:
    """The review list of the money paid into `owner_id`'s gateways (None: the panel's), or,
    for the operator with `everyone`, of all; newest first."""
    query = (
        select(PaymentReview, PaymentGateway, Deposit)
        .join(PaymentGateway, PaymentGateway.id == PaymentReview.gateway_id)
        .outerjoin(Deposit, Deposit.id == PaymentReview.deposit_id)
    )
    if not everyone:
        query = query.where(
            PaymentGateway.owner_id.is_(None)
            if owner_id is None
            else PaymentGateway.owner_id == owner_id
        )
    if open_only:
        query = query.where(PaymentReview.resolved_at.is_(None))
    rows = await session.execute(query.order_by(PaymentReview.id.desc()).limit(limit))
    return [(found, gateway, deposit) for found, gateway, deposit in rows]


@dataclass(frozen=True)
class Held:
    """Agencies' deposits waiting for a reseller's wallet: how many, and how much they need."""

    count: int
    total: Decimal


async def held_for(session: AsyncSession, reseller_id: int) -> Held:
    count, total = (
        await session.execute(
            select(func.count(), func.coalesce(func.sum(Deposit.amount), 0)).where(
                Deposit.receiver_id == reseller_id, Deposit.status == DepositStatus.held
            )
        )
    ).one()
    return Held(count, total)
