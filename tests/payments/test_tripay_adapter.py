"""Pasok's Tripay adapter against the sandbox gateway over HTTP: payments it makes are signed
as Tripay checks them, keys Tripay refuses make nothing anywhere, a status answer about
another payment is not believed, and channels come with the gateway's own fees and limits."""

from datetime import UTC, datetime
from decimal import Decimal

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from panel.config import Settings
from panel.errors import Unavailable
from panel.models import Deposit, DepositStatus, FeePayer, MethodKind
from panel.payments import methods
from panel.payments.adapters import adapter_for
from panel.payments.gateways import PaymentState, Rejected
from panel.payments.tripay import TripayAdapter, sign
from tests.fixtures.gateway import GatewayHandle
from tests.payments.conftest import (
    API_KEY,
    MERCHANT,
    Opener,
    Payments,
    audit_clean,
    count,
)

D = Decimal


async def test_a_new_payment_is_signed_as_the_gateway_checks_it(
    session: AsyncSession, pay: Payments, open_deposit: Opener, gateway: GatewayHandle
) -> None:
    deposit = await open_deposit(session, pay.reseller, pay.qris, D(50_000))

    made = {t["reference"]: t for t in gateway.transactions()}
    assert deposit.gateway_reference in made
    at_gateway = made[deposit.gateway_reference]
    assert at_gateway["merchant_code"] == MERCHANT
    assert at_gateway["merchant_ref"] == deposit.merchant_ref
    assert at_gateway["payment_method"] == "QRIS"
    assert D(at_gateway["amount"]) == deposit.total == D(50_000) + deposit.fee
    assert deposit.qr_string == at_gateway["qr_string"]
    assert deposit.qr_string
    assert deposit.pay_code is None
    assert int(deposit.expires_at.timestamp()) == at_gateway["expired_time"]
    assert deposit.status is DepositStatus.pending
    assert at_gateway["callback_url"].endswith(f"/payments/tripay/{pay.tripay.id}/callback")

    briva = await open_deposit(session, pay.reseller, pay.briva, D(100_000))
    assert briva.pay_code
    assert briva.pay_code == made_pay_code(gateway, briva)
    assert briva.qr_string is None
    await audit_clean(session)


def made_pay_code(gateway: GatewayHandle, deposit: Deposit) -> str:
    found = [t for t in gateway.transactions() if t["merchant_ref"] == deposit.merchant_ref]
    assert len(found) == 1
    code: str = found[0]["pay_code"]
    return code


async def test_a_private_key_the_gateway_refuses_makes_nothing(
    session: AsyncSession, pay: Payments, open_deposit: Opener, gateway: GatewayHandle
) -> None:
    pay.tripay.private_key = "not-the-merchant-private-key"
    await session.flush()
    before = await count(session, Deposit)

    with pytest.raises(Unavailable, match="Invalid signature"):
        await open_deposit(session, pay.reseller, pay.qris, D(50_000))

    assert await count(session, Deposit) == before
    assert gateway.transactions() == []
    await audit_clean(session)


async def test_an_unknown_api_key_makes_nothing_either(
    session: AsyncSession, pay: Payments, open_deposit: Opener, gateway: GatewayHandle
) -> None:
    pay.tripay.api_key = "DEV-someone-else"
    await session.flush()

    with pytest.raises(Unavailable, match="Invalid API Key"):
        await open_deposit(session, pay.reseller, pay.briva, D(50_000))

    assert await count(session, Deposit) == 0
    assert gateway.transactions() == []


async def test_status_believes_only_the_payment_it_asked_about(
    session: AsyncSession,
    pay: Payments,
    open_deposit: Opener,
    gateway: GatewayHandle,
    tripay_http: httpx.AsyncClient,
    settings: Settings,
) -> None:
    deposit = await open_deposit(session, pay.reseller, pay.qris, D(20_000))
    assert deposit.gateway_reference is not None
    adapter = adapter_for(pay.tripay, tripay_http, settings.payments)

    unpaid = await adapter.status(deposit.gateway_reference, deposit.merchant_ref)
    assert unpaid is not None
    assert unpaid.state is PaymentState.unpaid

    gateway.pay(deposit.gateway_reference, send=False)
    paid = await adapter.status(deposit.gateway_reference, deposit.merchant_ref)
    assert paid is not None
    assert paid.state is PaymentState.paid
    assert paid.paid_total == deposit.total
    assert paid.paid_at is not None
    fee = D(
        next(t for t in gateway.transactions() if t["merchant_ref"] == deposit.merchant_ref)[
            "total_fee"
        ]
    )
    assert paid.received == deposit.total - fee

    # The same reference named as another deposit's: the answer is not about that one.
    assert await adapter.status(deposit.gateway_reference, "PSK-ANOTHER-REF") is None
    # A reference the gateway does not know, and a gateway that cannot be reached.
    assert await adapter.status("DEV-T0001-NONE", deposit.merchant_ref) is None
    down = TripayAdapter(tripay_http, "http://127.0.0.1:9", MERCHANT, API_KEY, "k")
    assert await down.status(deposit.gateway_reference, deposit.merchant_ref) is None


async def test_channels_import_the_gateways_fees_and_minimums(
    session: AsyncSession,
    pay: Payments,
    gateway: GatewayHandle,
    tripay_http: httpx.AsyncClient,
    settings: Settings,
) -> None:
    listed = gateway.http.get(
        f"{gateway.base_url}/merchant/payment-channel",
        headers={"Authorization": f"Bearer {API_KEY}"},
    ).json()["data"]
    offered = {m.code: m for m in await methods.methods_of(session, pay.tripay)}

    assert set(offered) == {c["code"] for c in listed if c["active"]}
    for channel in listed:
        method = offered[channel["code"]]
        assert method.fee_flat == D(str(channel["total_fee"]["flat"]))
        assert method.fee_percent == D(str(channel["total_fee"]["percent"]))
        assert method.min_amount == D(channel["minimum_amount"])
        assert method.max_amount == D(channel["maximum_amount"])
        assert method.fee_paid_by is FeePayer.buyer
    assert offered["QRIS"].kind is MethodKind.qris
    assert offered["BRIVA"].kind is MethodKind.virtual_account
    assert offered["ALFAMART"].kind is MethodKind.retail
    # QRIS takes small amounts, a virtual account larger ones.
    assert offered["QRIS"].min_amount < offered["BRIVA"].min_amount

    # Imported again, a method keeps who pays its fee as the operator set it.
    await methods.put_method(
        session,
        None,
        pay.tripay,
        methods.MethodTerms(
            code="QRIS",
            name="QRIS",
            kind=MethodKind.qris,
            min_amount=offered["QRIS"].min_amount,
            max_amount=offered["QRIS"].max_amount,
            fee_paid_by=FeePayer.receiver,
        ),
    )
    adapter = adapter_for(pay.tripay, tripay_http, settings.payments)
    again = {
        m.code: m
        for m in await methods.import_channels(session, None, pay.tripay, adapter, FeePayer.buyer)
    }
    assert again["QRIS"].fee_paid_by is FeePayer.receiver
    assert again["QRIS"].fee_flat == D(str(listed[0]["total_fee"]["flat"]))
    assert again["BRIVA"].fee_paid_by is FeePayer.buyer


async def test_a_callback_is_believed_only_when_signed_over_its_raw_bytes(
    pay: Payments, tripay_http: httpx.AsyncClient, settings: Settings
) -> None:
    adapter = adapter_for(pay.tripay, tripay_http, settings.payments)
    body = (
        b'{"reference":"DEV-T000100001","merchant_ref":"PSK1","total_amount":10000,'
        b'"amount_received":9180,"status":"PAID","paid_at":1700000000}'
    )
    good = {"x-callback-signature": sign(pay.tripay.private_key, body)}
    event = {"x-callback-event": "payment_status"}
    report = adapter.verify(good | event, body)
    assert (report.state, report.paid_total, report.received) == (
        PaymentState.paid,
        D(10_000),
        D(9180),
    )
    assert report.paid_at == datetime.fromtimestamp(1700000000, UTC)
    with pytest.raises(Rejected) as wrong:
        adapter.verify(good | event, body.replace(b"10000", b"90000"))
    assert wrong.value.reason == "bad_signature"
    with pytest.raises(Rejected) as no_event:
        adapter.verify(good, body)
    assert no_event.value.reason == "malformed"
