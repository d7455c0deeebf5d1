"""Opening deposits, and reading them. A deposit through a gateway is made there first, then
recorded; one by a transfer by hand gets a unique code of a few rupiah added to its amount,
so that one line of the receiver's bank statement names one deposit."""

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from panel.config import PaymentSettings
from panel.currencies.codes import minor_units
from panel.errors import Conflict, Invalid, NotFound, TooMany, Unavailable
from panel.models import (
    OPEN_DEPOSITS,
    Account,
    AccountStatus,
    Deposit,
    DepositStatus,
    FeePayer,
    GatewayKind,
    PaymentGateway,
    PaymentMethod,
)
from panel.payments import fees, methods
from panel.payments.gateways import Adapter, GatewayError, NewPayment

# Unique codes run 1..999 rupiah: small beside the deposit, and 999 deposits of one amount can
# wait at once on one account before a buyer has to pick another amount.
MOST_CODE = 999
_LOCK_SPACE = 7301  # advisory locks of deposit opening, one per payer


@dataclass(frozen=True)
class Links:
    """Where a gateway calls back about a deposit, and where the buyer returns to."""

    callback_url: str
    return_url: str


async def open_deposit(
    session: AsyncSession,
    payer: Account,
    method_id: int,
    amount: Decimal,
    *,
    now: datetime,
    currency: str,
    settings: PaymentSettings,
    adapter_for: Callable[[PaymentGateway], Adapter],
    links: Callable[[PaymentGateway, str], Links],
) -> Deposit:
    """A deposit waiting for `payer`'s payment, to credit `amount` (a transfer by hand
    credits what is transferred: the amount and its code). Each refusal carries a `code`
    (amount, method, limits, open, rate, daily, codes, gateway, suspended), in problem JSON
    too, so a page or a client words it without reading the English."""
    if payer.status is not AccountStatus.active:
        raise Invalid("a suspended account cannot pay in", code="suspended")
    receiver = methods.receiver_of(payer)
    if amount <= 0 or amount != amount.quantize(Decimal(1).scaleb(-minor_units(currency))):
        raise Invalid(f"amount must be above zero, in whole {currency} units", code="amount")
    offered = {m.id: (m, g) for m, g in await methods.methods_for(session, payer)}
    if method_id not in offered:
        raise NotFound(f"payment method {method_id} is not offered to this account", code="method")
    method, gateway = offered[method_id]
    total = fees.buyer_pays(method, amount, currency)
    if not method.min_amount <= total <= method.max_amount:
        raise Invalid(
            f"{method.name} takes {method.min_amount.normalize():f} to "
            f"{method.max_amount.normalize():f} {currency}",
            code="limits",
        )
    # One payer's deposits are opened one at a time, so the limits hold under concurrency.
    await session.execute(
        text("SELECT pg_advisory_xact_lock(:space, :payer)"),
        {"space": _LOCK_SPACE, "payer": payer.id},
    )
    await _within_limits(session, payer, amount, now, settings)
    merchant_ref = f"PSK{now:%y%m%d}{secrets.token_hex(5).upper()}"
    deposit = Deposit(
        account_id=payer.id,
        receiver_id=receiver,
        gateway_id=gateway.id,
        method_id=method.id,
        merchant_ref=merchant_ref,
        status=DepositStatus.pending,
        currency=currency,
        amount=amount,
        fee=fees.fee_of(method, amount, currency) if gateway.kind is not GatewayKind.manual else 0,
        fee_paid_by=method.fee_paid_by,
        total=total,
        updated_at=now,
    )
    if gateway.kind is GatewayKind.manual:
        deposit.fee_paid_by = FeePayer.receiver
        deposit.expires_at = now + timedelta(seconds=settings.transfer_expire_after_s)
        return await _with_unique_code(session, deposit, currency)
    made = links(gateway, merchant_ref)
    try:
        created = await adapter_for(gateway).create(
            NewPayment(
                merchant_ref=merchant_ref,
                method_code=method.code,
                total=total,
                description=f"Deposit saldo {payer.name}"[:100],
                customer_name=payer.name[:100],
                customer_email=payer.email or f"account{payer.id}@example.invalid",
                callback_url=made.callback_url,
                return_url=made.return_url,
                expires_at=now + timedelta(seconds=settings.expire_after_s),
            )
        )
    except GatewayError as exc:
        raise Unavailable(f"the payment gateway made no payment: {exc}", code="gateway") from None
    deposit.gateway_reference = created.gateway_reference
    deposit.total = created.total
    deposit.pay_code, deposit.qr_string = created.pay_code, created.qr_string
    deposit.checkout_url = created.checkout_url
    deposit.expires_at = created.expires_at
    deposit.next_check_at = now + timedelta(seconds=settings.first_check_after_s)
    session.add(deposit)
    await session.flush()
    return deposit


async def _within_limits(
    session: AsyncSession,
    payer: Account,
    amount: Decimal,
    now: datetime,
    settings: PaymentSettings,
) -> None:
    waiting = await session.scalar(
        select(func.count())
        .select_from(Deposit)
        .where(Deposit.account_id == payer.id, Deposit.status == DepositStatus.pending)
    )
    if (waiting or 0) >= settings.max_open:
        raise Conflict(
            f"at most {settings.max_open} deposits can wait for payment at once: pay or let "
            "one expire first",
            code="open",
        )
    # Counted here, under the payer's lock, rather than in Redis: a gateway payment is made per
    # deposit, so a burst must not get through while Redis is down.
    made = await session.scalar(
        select(func.count())
        .select_from(Deposit)
        .where(Deposit.account_id == payer.id, Deposit.created_at > now - timedelta(minutes=1))
    )
    if (made or 0) >= settings.create_per_minute:
        raise TooMany(
            f"at most {settings.create_per_minute} deposits a minute: wait a moment", code="rate"
        )
    if settings.max_per_day is None:
        return
    today = await session.scalar(
        select(func.coalesce(func.sum(Deposit.amount), 0)).where(
            Deposit.account_id == payer.id,
            Deposit.created_at > now - timedelta(days=1),
            Deposit.status.not_in([DepositStatus.expired, DepositStatus.failed]),
        )
    )
    if (today or 0) + amount > settings.max_per_day:
        raise Conflict(
            f"deposits are limited to {settings.max_per_day.normalize():f} a day", code="daily"
        )


async def _with_unique_code(session: AsyncSession, deposit: Deposit, currency: str) -> Deposit:
    """Add a code no open deposit of the same gateway and total holds. The unique index on
    open totals is what guarantees it; the lookup only makes a clash rare."""
    unit = Decimal(1).scaleb(-minor_units(currency))
    asked = deposit.amount
    for _ in range(5):
        taken = set(
            await session.scalars(
                select(Deposit.total).where(
                    Deposit.gateway_id == deposit.gateway_id,
                    Deposit.status == DepositStatus.pending,
                    Deposit.unique_code.is_not(None),
                    Deposit.total.between(asked + unit, asked + MOST_CODE * unit),
                )
            )
        )
        free = [code for code in range(1, MOST_CODE + 1) if asked + code * unit not in taken]
        if not free:
            raise Conflict(
                "too many transfers of this amount are waiting: choose another amount",
                code="codes",
            )
        code = secrets.choice(free)
        deposit.unique_code = code
        deposit.amount = deposit.total = asked + code * unit
        try:
            async with session.begin_nested():
                session.add(deposit)
                await session.flush()
            return deposit
        except IntegrityError:
            # Another buyer took the code meanwhile: draw again.
            if deposit in session:
                session.expunge(deposit)
    raise Conflict("could not give this transfer a unique code: try again", code="codes")


# --- reading ---------------------------------------------------------------------------------


async def deposit_of(session: AsyncSession, payer: Account, deposit_id: int) -> Deposit:
    """One of the payer's deposits; anyone else's does not exist."""
    deposit = await session.get(Deposit, deposit_id)
    if deposit is None or deposit.account_id != payer.id:
        raise NotFound(f"deposit {deposit_id} does not exist")
    return deposit


async def deposits_of(
    session: AsyncSession, payer: Account, *, before: int | None = None, limit: int = 50
) -> Sequence[Deposit]:
    query = select(Deposit).where(Deposit.account_id == payer.id)
    if before is not None:
        query = query.where(Deposit.id < before)
    return (await session.scalars(query.order_by(Deposit.id.desc()).limit(limit))).all()


@dataclass(frozen=True)
class Filter:
    """What an operator or a reseller looks for among deposits."""

    status: DepositStatus | None = None
    account_id: int | None = None
    reference: str | None = None  # Pasok's merchant_ref, the gateway's, or a unique total
    before: int | None = None
    limit: int = 50


async def search(
    session: AsyncSession, receiver_id: int | None, found: Filter, *, everyone: bool = False
) -> list[tuple[Deposit, Account, PaymentMethod]]:
    """Deposits paid to `receiver_id` (None: to the panel), or, for the operator with
    `everyone`, all deposits; newest first."""
    query = (
        select(Deposit, Account, PaymentMethod)
        .join(Account, Account.id == Deposit.account_id)
        .join(PaymentMethod, PaymentMethod.id == Deposit.method_id)
    )
    if not everyone:
        query = query.where(
            Deposit.receiver_id.is_(None)
            if receiver_id is None
            else Deposit.receiver_id == receiver_id
        )
    if found.status is not None:
        query = query.where(Deposit.status == found.status)
    if found.account_id is not None:
        query = query.where(Deposit.account_id == found.account_id)
    if found.reference:
        ref = found.reference.strip()
        query = query.where(
            (Deposit.merchant_ref == ref)
            | (Deposit.gateway_reference == ref)
            | (Deposit.pay_code == ref)
        )
    if found.before is not None:
        query = query.where(Deposit.id < found.before)
    rows = await session.execute(query.order_by(Deposit.id.desc()).limit(found.limit))
    return [(deposit, account, method) for deposit, account, method in rows]


def is_open(deposit: Deposit) -> bool:
    return deposit.status in OPEN_DEPOSITS
