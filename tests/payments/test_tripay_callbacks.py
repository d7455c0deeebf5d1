"""Tripay's callbacks, as the sandbox gateway signs and sends them, at Pasok's callback
endpoint: a QRIS deposit credited once with a balanced journal; twenty identical callbacks at
once credit once; every callback not to be believed (or not to be credited) changes no
wallet and is on the review list with its reason; junk writes nothing."""

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest
from httpx import AsyncClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from panel.config import Settings, WebhookSettings
from panel.errors import Conflict, NotFound
from panel.ledger.audit import audit
from panel.models import (
    Deposit,
    DepositStatus,
    FeePayer,
    PaymentReview,
    ReviewOutcome,
    ReviewReason,
    StatementLine,
    WebhookDelivery,
)
from panel.payments import crediting, fees
from panel.payments.tripay import sign
from panel.webhooks import service as webhooks
from sandbox.gateway import create_signature
from tests.conftest import Operator
from tests.fixtures.gateway import GatewayHandle
from tests.payments.conftest import (
    MERCHANT,
    PRIVATE_KEY,
    Opener,
    Payments,
    audit_clean,
    body_of,
    build_payments,
    count,
    deposit_journals,
    fresh,
    legs_of,
    links_to,
    replay,
    reviews,
    sent,
    wallet,
)

D = Decimal


def _at_gateway(gateway: GatewayHandle, deposit: Deposit) -> dict[str, Any]:
    found = [t for t in gateway.transactions() if t["merchant_ref"] == deposit.merchant_ref]
    assert len(found) == 1
    return found[0]


async def _pay_and_replay(
    gateway: GatewayHandle, client: AsyncClient, deposit: Deposit, **faults: Any
) -> list[httpx.Response]:
    assert deposit.gateway_reference is not None
    callbacks = sent(gateway.pay(deposit.gateway_reference, **faults))
    return [await replay(client, callback) for callback in callbacks]


@pytest.mark.parametrize("fee_paid_by", [FeePayer.buyer, FeePayer.receiver])
async def test_a_qris_deposit_is_credited_once_with_a_balanced_journal(
    session: AsyncSession,
    pay: Payments,
    open_deposit: Opener,
    gateway: GatewayHandle,
    app_client: AsyncClient,
    settings: Settings,
    fee_paid_by: FeePayer,
) -> None:
    pay.qris.fee_paid_by = fee_paid_by
    endpoint = await webhooks.create_endpoint(
        session,
        pay.reseller,
        "https://hooks.budi.example/pasok",
        None,
        WebhookSettings(allow_private_hosts=True),
    )
    await session.commit()
    amount = D(50_000)
    deposit = await open_deposit(session, pay.reseller, pay.qris, amount)
    await session.commit()
    assert deposit.qr_string
    assert deposit.status is DepositStatus.pending
    expected_fee = methods_fee(pay, amount)
    assert deposit.fee == expected_fee
    assert deposit.total == (amount + expected_fee if fee_paid_by is FeePayer.buyer else amount)

    answers = await _pay_and_replay(gateway, app_client, deposit)

    assert [(a.status_code, a.json()) for a in answers] == [(200, {"success": True})]
    at_gateway = _at_gateway(gateway, deposit)
    assert at_gateway["status"] == "PAID"
    deposit = await fresh(session, deposit)
    assert deposit.status is DepositStatus.paid
    assert deposit.journal_id is not None
    assert deposit.paid_total == deposit.total
    assert await wallet(session, pay.reseller) == amount
    paid, kept = D(at_gateway["amount"]), D(at_gateway["total_fee"])
    wallet_code = f"wallet:{pay.reseller.id}"
    assert await legs_of(session, deposit.journal_id) == {
        "external": -paid,
        wallet_code: amount,
        "payment_fees": kept,
        # The panel's part: what the buyer paid over the gateway's fee and the credit, which
        # is below zero when the panel absorbs the fee.
        "revenue": paid - kept - amount,
    }
    assert sum((await legs_of(session, deposit.journal_id)).values()) == 0
    assert await deposit_journals(session) == 1

    deliveries = (
        await session.scalars(
            select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id)
        )
    ).all()
    bodies = [json.loads(d.body) for d in deliveries]
    assert [(b["type"], b["data"]["deposit"]["status"]) for b in bodies] == [
        ("deposit.updated", "paid")
    ]
    assert bodies[0]["data"]["deposit"]["reference"] == deposit.merchant_ref

    # The same callback again is the same news: nothing more.
    again = await replay(app_client, gateway.callbacks()[-1])
    assert again.status_code == 200
    assert await wallet(session, pay.reseller) == amount
    assert await deposit_journals(session) == 1
    assert await reviews(session) == []
    await audit_clean(session)


def methods_fee(pay: Payments, amount: Decimal) -> Decimal:
    return fees.fee_of(pay.qris, amount, "IDR")


async def test_twenty_identical_callbacks_at_once_credit_once(
    committed: async_sessionmaker[AsyncSession],
    served: str,
    gateway: GatewayHandle,
    tripay_http: httpx.AsyncClient,
    settings: Settings,
    pay_settings: Any,
) -> None:
    async with committed.begin() as session:
        pay = await build_payments(session, gateway, tripay_http, settings.payments)
    opener = Opener(pay_settings, tripay_http, links_to(served))
    async with committed.begin() as session:
        deposit = await opener(session, pay.reseller, pay.qris, D(25_000))
    assert deposit.gateway_reference is not None

    answer = gateway.pay(deposit.gateway_reference, duplicates=20)

    callbacks = sent(answer)
    assert len(callbacks) == 20
    assert len({c["body"] for c in callbacks}) == 1
    assert [(c["response_status"], json.loads(c["response_text"])) for c in callbacks] == [
        (200, {"success": True})
    ] * 20
    async with committed() as session:
        found = await session.get_one(Deposit, deposit.id)
        assert found.status is DepositStatus.paid
        assert await wallet(session, pay.reseller) == D(25_000)
        assert await deposit_journals(session) == 1
        assert await reviews(session) == []
        assert await audit(session) == []


async def test_a_wrong_signature_or_a_changed_body_credits_nothing_and_is_reviewed(
    session: AsyncSession,
    pay: Payments,
    open_deposit: Opener,
    gateway: GatewayHandle,
    app_client: AsyncClient,
) -> None:
    deposit = await open_deposit(session, pay.reseller, pay.qris, D(30_000))
    await session.commit()
    assert deposit.gateway_reference is not None

    wrong = sent(gateway.send_callback(deposit.gateway_reference, "PAID", signature="wrong"))
    tampered = sent(gateway.send_callback(deposit.gateway_reference, "PAID", tamper=True))
    for callback in wrong + tampered:
        answer = await replay(app_client, callback)
        assert answer.status_code == 403
        assert answer.json()["success"] is False

    assert await wallet(session, pay.reseller) == 0
    assert (await fresh(session, deposit)).status is DepositStatus.pending
    listed = await crediting.reviews_for(session, None)
    assert [(r.reason, r.deposit_id, g.id) for r, g, _ in listed] == [
        (ReviewReason.bad_signature, None, pay.tripay.id)
    ]
    assert "X-Callback-Signature" in listed[0][0].detail
    assert listed[0][0].body == wrong[0]["body"]
    assert await deposit_journals(session) == 0
    await audit_clean(session)

    # The real callback still credits it afterwards.
    good = sent(gateway.pay(deposit.gateway_reference))
    assert (await replay(app_client, good[0])).status_code == 200
    assert await wallet(session, pay.reseller) == D(30_000)
    await audit_clean(session)


async def test_an_unknown_reference_is_reviewed(
    session: AsyncSession, pay: Payments, gateway: GatewayHandle, app_client: AsyncClient
) -> None:
    # A payment made at the gateway under the panel's merchant, but not by Pasok.
    ref = "INV-NOT-PASOK-1"
    made = gateway.http.post(
        f"{gateway.base_url}/transaction/create",
        headers={"Authorization": f"Bearer {pay.tripay.api_key}"},
        json={
            "method": "QRIS",
            "merchant_ref": ref,
            "amount": 15_000,
            "customer_name": "Seseorang",
            "customer_email": "x@example.com",
            "order_items": [{"name": "x", "price": 15_000, "quantity": 1}],
            "callback_url": f"http://127.0.0.1:9/payments/tripay/{pay.tripay.id}/callback",
            "signature": create_signature(PRIVATE_KEY, MERCHANT, ref, 15_000),
        },
    )
    assert made.status_code == 200, made.text

    callback = sent(gateway.pay(made.json()["data"]["reference"]))[0]
    answer = await replay(app_client, callback)

    assert answer.status_code == 200  # Pasok has it: the gateway need not send it again
    listed = await crediting.reviews_for(session, None)
    assert [(r.reason, r.deposit_id, r.amount) for r, _, _ in listed] == [
        (ReviewReason.unknown_reference, None, D(15_000))
    ]
    assert ref in listed[0][0].detail
    assert await wallet(session, pay.reseller) == 0
    assert await deposit_journals(session) == 0
    await audit_clean(session)


@pytest.mark.parametrize("delta", [-1, 1])
async def test_an_amount_off_by_one_rupiah_is_reviewed_not_credited(
    session: AsyncSession,
    pay: Payments,
    open_deposit: Opener,
    gateway: GatewayHandle,
    app_client: AsyncClient,
    delta: int,
) -> None:
    deposit = await open_deposit(session, pay.reseller, pay.briva, D(100_000))
    await session.commit()

    answers = await _pay_and_replay(gateway, app_client, deposit, amount_delta=delta)

    assert [a.status_code for a in answers] == [200]
    deposit = await fresh(session, deposit)
    assert deposit.status is DepositStatus.review
    assert deposit.journal_id is None
    assert deposit.paid_total == deposit.total + delta
    assert await wallet(session, pay.reseller) == 0
    listed = await crediting.reviews_for(session, None)
    assert [(r.reason, d.id if d else None, r.amount) for r, _, d in listed] == [
        (ReviewReason.amount_mismatch, deposit.id, deposit.total + delta)
    ]
    assert f"asked {deposit.total.normalize():f}" in listed[0][0].detail
    # The right amount afterwards does not undo the doubt: a person decides.
    assert deposit.gateway_reference is not None
    again = sent(gateway.send_callback(deposit.gateway_reference, "PAID"))
    assert (await replay(app_client, again[0])).status_code == 200
    assert (await fresh(session, deposit)).status is DepositStatus.review
    assert await wallet(session, pay.reseller) == 0
    await audit_clean(session)


async def test_a_callback_after_expiry_is_reviewed_not_credited(
    session: AsyncSession,
    pay: Payments,
    open_deposit: Opener,
    gateway: GatewayHandle,
    app_client: AsyncClient,
) -> None:
    deposit = await open_deposit(session, pay.reseller, pay.qris, D(40_000))
    await session.commit()
    assert deposit.gateway_reference is not None

    expired = sent(gateway.expire(deposit.gateway_reference))
    assert (await replay(app_client, expired[0])).status_code == 200
    assert (await fresh(session, deposit)).status is DepositStatus.expired

    late = sent(gateway.pay(deposit.gateway_reference, after_expiry=True))
    assert body_of(late[0])["status"] == "PAID"
    assert (await replay(app_client, late[0])).status_code == 200

    deposit = await fresh(session, deposit)
    assert deposit.status is DepositStatus.review
    assert deposit.journal_id is None
    assert await wallet(session, pay.reseller) == 0
    listed = await crediting.reviews_for(session, None)
    assert [(r.reason, d.id if d else None) for r, _, d in listed] == [
        (ReviewReason.after_expiry, deposit.id)
    ]
    await audit_clean(session)


async def test_a_refund_after_credit_is_reviewed_and_takes_nothing_back_by_itself(
    session: AsyncSession,
    pay: Payments,
    open_deposit: Opener,
    gateway: GatewayHandle,
    app_client: AsyncClient,
) -> None:
    deposit = await open_deposit(session, pay.reseller, pay.qris, D(60_000))
    await session.commit()
    assert deposit.gateway_reference is not None
    await _pay_and_replay(gateway, app_client, deposit)
    assert await wallet(session, pay.reseller) == D(60_000)

    refund = sent(gateway.refund(deposit.gateway_reference))
    assert body_of(refund[0])["status"] == "REFUND"
    assert (await replay(app_client, refund[0])).status_code == 200

    deposit = await fresh(session, deposit)
    assert deposit.status is DepositStatus.paid
    assert await wallet(session, pay.reseller) == D(60_000)
    assert await deposit_journals(session) == 1
    listed = await crediting.reviews_for(session, None)
    assert [(r.reason, d.id if d else None) for r, _, d in listed] == [
        (ReviewReason.refund_after_credit, deposit.id)
    ]
    await audit_clean(session)


async def test_callbacks_out_of_order_change_nothing_after_credit(
    session: AsyncSession,
    pay: Payments,
    open_deposit: Opener,
    gateway: GatewayHandle,
    app_client: AsyncClient,
) -> None:
    deposit = await open_deposit(session, pay.reseller, pay.briva, D(75_000))
    await session.commit()
    assert deposit.gateway_reference is not None
    await _pay_and_replay(gateway, app_client, deposit)
    paid_at = (await fresh(session, deposit)).paid_at

    for status in ("UNPAID", "EXPIRED", "FAILED"):
        stale = sent(gateway.send_callback(deposit.gateway_reference, status))
        assert (await replay(app_client, stale[0])).status_code == 200

    deposit = await fresh(session, deposit)
    assert (deposit.status, deposit.paid_at) == (DepositStatus.paid, paid_at)
    assert await wallet(session, pay.reseller) == D(75_000)
    assert await deposit_journals(session) == 1
    assert await reviews(session) == []
    await audit_clean(session)


async def _written(session: AsyncSession) -> tuple[int, ...]:
    return (
        await count(session, PaymentReview),
        await count(session, StatementLine),
        await deposit_journals(session),
        await count(session, WebhookDelivery),
    )


async def test_junk_is_answered_cheaply_and_writes_nothing(
    session: AsyncSession,
    pay: Payments,
    open_deposit: Opener,
    app_client: AsyncClient,
) -> None:
    deposit = await open_deposit(session, pay.reseller, pay.qris, D(10_000))
    await session.commit()
    before = await _written(session)
    url = f"/payments/tripay/{pay.tripay.id}/callback"
    event = {"X-Callback-Event": "payment_status", "Content-Type": "application/json"}

    not_json = await app_client.post(url, content=b"<html>hello</html>", headers=event)
    assert not_json.status_code in (400, 403)
    assert not_json.json()["success"] is False

    huge = json.dumps({"merchant_ref": deposit.merchant_ref, "pad": "x" * 20_000}).encode()
    signed = {"X-Callback-Signature": sign(PRIVATE_KEY, huge)} | event
    too_large = await app_client.post(url, content=huge, headers=signed)
    assert too_large.status_code == 413
    assert too_large.json() == {"success": False, "message": "body too large"}

    for gateway_id in (999_999, pay.manual.id):
        unknown = await app_client.post(
            f"/payments/tripay/{gateway_id}/callback", content=b"{}", headers=event
        )
        assert unknown.status_code == 404
        assert unknown.json() == {"success": False, "message": "unknown gateway"}
    out_of_range = await app_client.post("/payments/tripay/0/callback", content=b"{}")
    assert out_of_range.status_code in (404, 422)

    assert await _written(session) == before
    assert (await fresh(session, deposit)).status is DepositStatus.pending
    await audit_clean(session)


async def test_a_signed_but_unreadable_callback_is_reviewed_as_malformed(
    session: AsyncSession, pay: Payments, app_client: AsyncClient
) -> None:
    body = b'{"merchant_ref": "PSK1", "status": "PAID"}'
    answer = await app_client.post(
        f"/payments/tripay/{pay.tripay.id}/callback",
        content=body,
        headers={
            "X-Callback-Signature": sign(PRIVATE_KEY, body),
            "X-Callback-Event": "payment_status",
        },
    )
    assert answer.status_code == 400
    listed = await crediting.reviews_for(session, None)
    assert [r.reason for r, _, _ in listed] == [ReviewReason.malformed]
    await audit_clean(session)


async def test_an_operator_resolves_a_review_by_crediting_it_once(
    session: AsyncSession,
    pay: Payments,
    open_deposit: Opener,
    gateway: GatewayHandle,
    app_client: AsyncClient,
    operator: Operator,
) -> None:
    deposit = await open_deposit(session, pay.reseller, pay.qris, D(20_000))
    await session.commit()
    await _pay_and_replay(gateway, app_client, deposit, amount_delta=-1)
    ((found, _, _),) = await crediting.reviews_for(session, None)
    now = datetime.now(UTC)

    with pytest.raises(NotFound, match="does not exist"):
        await crediting.resolve(
            session, pay.other_reseller, found.id, ReviewOutcome.credited, "ok", now
        )
    await crediting.resolve(
        session, operator.account, found.id, ReviewOutcome.credited, "dibayar kurang 1", now
    )
    await session.commit()
    assert await wallet(session, pay.reseller) == D(20_000)
    with pytest.raises(Conflict, match="already"):
        await crediting.resolve(
            session, operator.account, found.id, ReviewOutcome.credited, "lagi", now
        )
    assert await wallet(session, pay.reseller) == D(20_000)
    assert await crediting.reviews_for(session, None) == []
    await audit_clean(session)
