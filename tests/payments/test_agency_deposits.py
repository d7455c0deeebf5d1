"""An agency paying its reseller, through the reseller's own gateway: the money is the
reseller's, outside the panel, so the agency is credited from the reseller's wallet and
nothing comes from `external`; a reseller short of funds leaves the deposit held, with an
alert, and nothing is ever overdrawn; topped up, the held deposit is credited once."""

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from panel.config import Settings
from panel.errors import InsufficientFunds, NotFound
from panel.ledger import service as ledger
from panel.models import (
    DepositStatus,
    FeePayer,
    GatewayKind,
    MethodKind,
    PaymentMethod,
    ReviewOutcome,
    ReviewReason,
)
from panel.payments import crediting, methods
from panel.payments.adapters import adapter_for
from tests.conftest import Operator
from tests.fixtures.gateway import GatewayHandle
from tests.payments.conftest import (
    Opener,
    Payments,
    audit_clean,
    deposit_journals,
    fresh,
    legs_of,
    replay,
    sent,
    wallet,
)

D = Decimal
RESELLER_MERCHANT = ("T-BUDI", "DEV-budi-api-key", "budi-private-key")


@pytest.fixture
async def resellers_qris(
    session: AsyncSession,
    pay: Payments,
    gateway: GatewayHandle,
    tripay_http: httpx.AsyncClient,
    settings: Settings,
) -> PaymentMethod:
    """The reseller's own Tripay merchant, offered to its agencies."""
    gateway.register_merchant(*RESELLER_MERCHANT)
    own = await methods.add_gateway(
        session,
        None,
        pay.reseller.id,
        GatewayKind.tripay,
        "Tripay Toko Budi",
        methods.GatewayKeys(*RESELLER_MERCHANT),
        "IDR",
    )
    adapter = adapter_for(own, tripay_http, settings.payments)
    found = await methods.import_channels(session, None, own, adapter, FeePayer.receiver)
    await session.commit()
    return next(m for m in found if m.code == "QRIS")


async def _paid_by_callback(
    gateway: GatewayHandle, client: AsyncClient, reference: str | None, **faults: Any
) -> None:
    assert reference is not None
    for callback in sent(gateway.pay(reference, **faults)):
        assert (await replay(client, callback)).status_code == 200


async def test_an_agency_is_credited_from_its_resellers_wallet(
    session: AsyncSession,
    pay: Payments,
    resellers_qris: PaymentMethod,
    open_deposit: Opener,
    gateway: GatewayHandle,
    app_client: AsyncClient,
) -> None:
    await ledger.top_up(session, pay.reseller.id, D(100_000), "modal", None)
    # The agency is offered its reseller's methods only.
    offered = await methods.methods_for(session, pay.agency)
    assert {g.owner_id for _, g in offered} == {pay.reseller.id}
    deposit = await open_deposit(session, pay.agency, resellers_qris, D(30_000))
    await session.commit()
    assert deposit.receiver_id == pay.reseller.id
    at_gateway = [t for t in gateway.transactions() if t["merchant_ref"] == deposit.merchant_ref]
    assert at_gateway[0]["merchant_code"] == RESELLER_MERCHANT[0]

    await _paid_by_callback(gateway, app_client, deposit.gateway_reference)

    deposit = await fresh(session, deposit)
    assert deposit.status is DepositStatus.paid
    assert deposit.journal_id is not None
    assert await wallet(session, pay.agency) == D(30_000)
    assert await wallet(session, pay.reseller) == D(70_000)
    assert await legs_of(session, deposit.journal_id) == {
        f"wallet:{pay.reseller.id}": D(-30_000),
        f"wallet:{pay.agency.id}": D(30_000),
    }
    # Nothing was paid into the panel: not a review of the panel's, not a review of anyone.
    assert await crediting.reviews_for(session, None, everyone=True) == []
    await audit_clean(session)


async def test_a_reseller_short_of_funds_holds_the_deposit_until_topped_up(
    session: AsyncSession,
    pay: Payments,
    resellers_qris: PaymentMethod,
    open_deposit: Opener,
    gateway: GatewayHandle,
    app_client: AsyncClient,
) -> None:
    await ledger.top_up(session, pay.reseller.id, D(10_000), "modal", None)
    first = await open_deposit(session, pay.agency, resellers_qris, D(25_000))
    second = await open_deposit(session, pay.agency, resellers_qris, D(15_000))
    await session.commit()

    await _paid_by_callback(gateway, app_client, first.gateway_reference)
    await _paid_by_callback(gateway, app_client, second.gateway_reference, duplicates=3)

    for deposit in (first, second):
        deposit = await fresh(session, deposit)
        assert deposit.status is DepositStatus.held
        assert deposit.journal_id is None
        assert deposit.note
    assert await crediting.held_for(session, pay.reseller.id) == crediting.Held(2, D(40_000))
    assert await crediting.held_for(session, pay.other_reseller.id) == crediting.Held(0, D(0))
    assert await wallet(session, pay.reseller) == D(10_000)
    assert await wallet(session, pay.agency) == 0
    await audit_clean(session)  # no wallet below zero
    now = datetime.now(UTC)
    assert await crediting.retry_held(session, now) == 0

    # Enough for the first only: the first is credited, the second still waits.
    await ledger.top_up(session, pay.reseller.id, D(20_000), "modal", None)
    assert await crediting.retry_held(session, now) == 1
    assert (await fresh(session, first)).status is DepositStatus.paid
    assert (await fresh(session, second)).status is DepositStatus.held
    assert await crediting.held_for(session, pay.reseller.id) == crediting.Held(1, D(15_000))
    assert await wallet(session, pay.reseller) == D(5_000)
    await audit_clean(session)

    await ledger.top_up(session, pay.reseller.id, D(10_000), "modal", None)
    assert await crediting.retry_held(session, now) == 1
    assert await crediting.retry_held(session, now) == 0
    assert (await fresh(session, second)).status is DepositStatus.paid
    assert await wallet(session, pay.agency) == D(40_000)
    assert await wallet(session, pay.reseller) == 0
    assert await deposit_journals(session) == 2
    assert await crediting.held_for(session, pay.reseller.id) == crediting.Held(0, D(0))
    await audit_clean(session)


async def test_the_reseller_decides_about_money_paid_to_it_and_is_never_overdrawn(
    session: AsyncSession,
    pay: Payments,
    resellers_qris: PaymentMethod,
    open_deposit: Opener,
    gateway: GatewayHandle,
    app_client: AsyncClient,
    operator: Operator,
) -> None:
    deposit = await open_deposit(session, pay.agency, resellers_qris, D(20_000))
    await session.commit()
    await _paid_by_callback(gateway, app_client, deposit.gateway_reference, amount_delta=1)
    assert (await fresh(session, deposit)).status is DepositStatus.review
    # On the reseller's review list, not the panel's.
    assert await crediting.reviews_for(session, None) == []
    ((found, _, _),) = await crediting.reviews_for(session, pay.reseller.id)
    assert found.reason is ReviewReason.amount_mismatch
    now = datetime.now(UTC)

    with pytest.raises(NotFound):
        await crediting.resolve(
            session, pay.other_reseller, found.id, ReviewOutcome.credited, "ok", now
        )
    # The reseller's wallet is empty: crediting by hand is refused, nothing moves.
    with pytest.raises(InsufficientFunds):
        async with session.begin_nested():
            await crediting.resolve(
                session, pay.reseller, found.id, ReviewOutcome.credited, "lebih 1", now
            )
    assert await wallet(session, pay.agency) == 0
    assert await wallet(session, pay.reseller) == 0
    await audit_clean(session)

    await ledger.top_up(session, pay.reseller.id, D(20_000), "modal", None)
    await crediting.resolve(session, pay.reseller, found.id, ReviewOutcome.credited, "ok", now)
    assert await wallet(session, pay.agency) == D(20_000)
    assert await wallet(session, pay.reseller) == 0
    assert (await fresh(session, deposit)).status is DepositStatus.paid
    await audit_clean(session)


async def test_an_agencys_transfer_by_hand_is_confirmed_by_its_reseller(
    session: AsyncSession, pay: Payments, open_deposit: Opener
) -> None:
    own = await methods.add_gateway(
        session,
        None,
        pay.reseller.id,
        GatewayKind.manual,
        "BRI Toko Budi",
        methods.GatewayKeys(private_key="budi-statement"),
        "IDR",
    )
    by_hand = await methods.put_method(
        session,
        None,
        own,
        methods.MethodTerms(
            code="BRI",
            name="Transfer BRI",
            kind=MethodKind.transfer,
            min_amount=D(10_000),
            max_amount=D(1_000_000),
            instructions="BRI 0011 a.n. Budi",
        ),
    )
    await ledger.top_up(session, pay.reseller.id, D(100_000), "modal", None)
    deposit = await open_deposit(session, pay.agency, by_hand, D(50_000))
    now = datetime.now(UTC)

    with pytest.raises(NotFound):
        await crediting.confirm_transfer(session, pay.other_reseller, deposit.id, now)
    with pytest.raises(NotFound):
        await crediting.confirm_transfer(session, pay.agency, deposit.id, now)
    done = await crediting.confirm_transfer(session, pay.reseller, deposit.id, now)

    assert done.status is DepositStatus.paid
    assert await wallet(session, pay.agency) == deposit.total
    assert await wallet(session, pay.reseller) == D(100_000) - deposit.total
    await audit_clean(session)


async def test_a_held_deposit_refunded_by_the_gateway_is_never_credited_by_itself(
    session: AsyncSession,
    pay: Payments,
    resellers_qris: PaymentMethod,
    open_deposit: Opener,
    gateway: GatewayHandle,
    app_client: AsyncClient,
) -> None:
    deposit = await open_deposit(session, pay.agency, resellers_qris, D(30_000))
    await session.commit()
    await _paid_by_callback(gateway, app_client, deposit.gateway_reference)
    assert (await fresh(session, deposit)).status is DepositStatus.held
    assert deposit.gateway_reference is not None

    for callback in sent(gateway.refund(deposit.gateway_reference)):
        assert (await replay(app_client, callback)).status_code == 200

    deposit = await fresh(session, deposit)
    assert deposit.status is DepositStatus.review
    ((found, _, _),) = await crediting.reviews_for(session, pay.reseller.id)
    assert found.reason is ReviewReason.refund_after_credit
    assert await crediting.held_for(session, pay.reseller.id) == crediting.Held(0, D(0))
    # The reseller is topped up: the buyer has its money back, so nothing is credited.
    await ledger.top_up(session, pay.reseller.id, D(50_000), "modal", None)
    assert await crediting.retry_held(session, datetime.now(UTC)) == 0
    assert await wallet(session, pay.agency) == 0
    assert await wallet(session, pay.reseller) == D(50_000)
    await audit_clean(session)
