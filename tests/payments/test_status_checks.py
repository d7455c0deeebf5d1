"""Status polling: a callback that never came is caught by asking the gateway within a
minute of the deposit being made, credited once however often the check runs, and a deposit
the gateway still calls unpaid past its expiry and grace is closed."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from panel.config import PaymentSettings
from panel.models import DepositStatus, PaymentGateway
from panel.payments import checks
from panel.payments.adapters import adapter_for
from panel.payments.gateways import Adapter
from tests.fixtures.gateway import GatewayHandle
from tests.payments.conftest import (
    Opener,
    Payments,
    audit_clean,
    deposit_journals,
    fresh,
    reviews,
    wallet,
)

D = Decimal


def _adapters(
    http: httpx.AsyncClient, settings: PaymentSettings
) -> Callable[[PaymentGateway], Adapter]:
    def made(gateway: PaymentGateway) -> Adapter:
        return adapter_for(gateway, http, settings)

    return made


async def test_a_lost_callback_is_caught_by_polling_within_a_minute(
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    pay: Payments,
    open_deposit: Opener,
    gateway: GatewayHandle,
    tripay_http: httpx.AsyncClient,
    pay_settings: PaymentSettings,
) -> None:
    made_at = datetime.now(UTC)
    deposit = await open_deposit(session, pay.reseller, pay.qris, D(35_000), now=made_at)
    await session.commit()
    assert deposit.gateway_reference is not None
    assert deposit.next_check_at == made_at + timedelta(seconds=pay_settings.first_check_after_s)
    answer = gateway.pay(deposit.gateway_reference, send=False)
    assert answer["callbacks"] == []
    assert gateway.callbacks() == []
    adapters = _adapters(tripay_http, pay_settings)

    # Not due yet: the gateway is not asked.
    early = made_at + timedelta(seconds=pay_settings.first_check_after_s - 1)
    assert await checks.check_due(sessionmaker, adapters, pay_settings, early) == 0
    assert (await fresh(session, deposit)).status is DepositStatus.pending

    a_minute_on = made_at + timedelta(seconds=60)
    assert await checks.check_due(sessionmaker, adapters, pay_settings, a_minute_on) == 1
    deposit = await fresh(session, deposit)
    assert deposit.status is DepositStatus.paid
    assert deposit.checks == 1
    assert deposit.next_check_at is None
    assert await wallet(session, pay.reseller) == D(35_000)

    # Run again (and later): nothing is due, nothing is credited twice.
    assert await checks.check_due(sessionmaker, adapters, pay_settings, a_minute_on) == 0
    later = a_minute_on + timedelta(seconds=pay_settings.check_every_s)
    assert await checks.check_due(sessionmaker, adapters, pay_settings, later) == 0
    assert await wallet(session, pay.reseller) == D(35_000)
    assert await deposit_journals(session) == 1
    assert await reviews(session) == []
    await audit_clean(session)


async def test_an_unpaid_deposit_is_asked_again_then_closed_past_its_grace(
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    pay: Payments,
    open_deposit: Opener,
    gateway: GatewayHandle,
    tripay_http: httpx.AsyncClient,
    pay_settings: PaymentSettings,
) -> None:
    made_at = datetime.now(UTC)
    deposit = await open_deposit(session, pay.reseller, pay.briva, D(50_000), now=made_at)
    await session.commit()
    adapters = _adapters(tripay_http, pay_settings)

    first = made_at + timedelta(seconds=pay_settings.first_check_after_s)
    assert await checks.check_due(sessionmaker, adapters, pay_settings, first) == 1
    deposit = await fresh(session, deposit)
    assert deposit.status is DepositStatus.pending
    assert deposit.checks == 1
    assert deposit.next_check_at == first + timedelta(seconds=pay_settings.check_every_s)

    # Past expiry and its grace, and the gateway (its clock not yet there) still says
    # UNPAID: it will not be paid now.
    past = deposit.expires_at + checks.GRACE + timedelta(seconds=1)
    assert await checks.check_due(sessionmaker, adapters, pay_settings, past) == 1
    deposit = await fresh(session, deposit)
    assert deposit.status is DepositStatus.expired
    assert deposit.next_check_at is None
    assert await wallet(session, pay.reseller) == 0
    assert await checks.check_due(sessionmaker, adapters, pay_settings, past) == 0
    await audit_clean(session)


async def test_a_deposit_near_its_expiry_is_asked_once_more_within_the_grace(
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    pay: Payments,
    open_deposit: Opener,
    gateway: GatewayHandle,
    tripay_http: httpx.AsyncClient,
    pay_settings: PaymentSettings,
) -> None:
    deposit = await open_deposit(session, pay.reseller, pay.qris, D(12_000))
    await session.commit()
    adapters = _adapters(tripay_http, pay_settings)
    just_expired = deposit.expires_at + timedelta(seconds=1)
    assert await checks.check_due(sessionmaker, adapters, pay_settings, just_expired) == 1
    deposit = await fresh(session, deposit)
    # Unpaid, but the gateway has the last word on a payment made in the final seconds.
    assert deposit.status is DepositStatus.pending
    assert deposit.next_check_at == min(
        just_expired + timedelta(seconds=pay_settings.check_every_s),
        deposit.expires_at + checks.GRACE,
    )

    assert deposit.gateway_reference is not None
    gateway.pay(deposit.gateway_reference, send=False)
    at_grace = deposit.expires_at + checks.GRACE
    assert await checks.check_due(sessionmaker, adapters, pay_settings, at_grace) == 1
    assert (await fresh(session, deposit)).status is DepositStatus.paid
    assert await wallet(session, pay.reseller) == D(12_000)
    await audit_clean(session)


async def test_a_gateway_that_cannot_answer_leaves_the_deposit_waiting(
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    pay: Payments,
    open_deposit: Opener,
    tripay_http: httpx.AsyncClient,
    pay_settings: PaymentSettings,
) -> None:
    made_at = datetime.now(UTC)
    deposit = await open_deposit(session, pay.reseller, pay.qris, D(15_000), now=made_at)
    await session.commit()
    down = pay_settings.model_copy(update={"tripay_sandbox_url": "http://127.0.0.1:9"})
    a_minute_on = made_at + timedelta(seconds=60)

    assert (
        await checks.check_due(sessionmaker, _adapters(tripay_http, down), down, a_minute_on) == 1
    )

    deposit = await fresh(session, deposit)
    assert deposit.status is DepositStatus.pending
    assert deposit.next_check_at == a_minute_on + timedelta(seconds=down.check_every_s)
    assert await reviews(session) == []
    await audit_clean(session)


async def test_a_gateway_down_at_the_last_check_is_asked_again_later(
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    pay: Payments,
    open_deposit: Opener,
    tripay_http: httpx.AsyncClient,
    pay_settings: PaymentSettings,
) -> None:
    deposit = await open_deposit(session, pay.reseller, pay.qris, D(15_000))
    await session.commit()
    down = pay_settings.model_copy(update={"tripay_sandbox_url": "http://127.0.0.1:9"})
    past = deposit.expires_at + checks.GRACE + timedelta(seconds=1)

    assert await checks.check_due(sessionmaker, _adapters(tripay_http, down), down, past) == 1
    deposit = await fresh(session, deposit)
    # The gateway could not say: the deposit is not left waiting for ever, unasked.
    assert deposit.status is DepositStatus.pending
    assert deposit.next_check_at is not None

    later = past + timedelta(seconds=pay_settings.check_every_s)
    adapters = _adapters(tripay_http, pay_settings)
    assert await checks.check_due(sessionmaker, adapters, pay_settings, later) == 1
    deposit = await fresh(session, deposit)
    assert deposit.status is DepositStatus.expired
    assert deposit.next_check_at is None
    await audit_clean(session)
