"""Transfers by hand with a unique code: a signed bank statement webhook credits the deposit
whose total a line names, once however often the line comes; anything else is reviewed; two
open deposits never ask for the same total; whoever receives the money confirms or rejects
by hand."""

import asyncio
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from httpx import AsyncClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from panel.accounts import service as accounts
from panel.config import PaymentSettings, Settings
from panel.errors import Conflict, Invalid, NotFound
from panel.ledger.audit import audit
from panel.models import (
    Account,
    AccountKind,
    Deposit,
    DepositStatus,
    FeePayer,
    ReviewReason,
    StatementLine,
)
from panel.payments import checks, crediting, deposits
from tests.conftest import Operator
from tests.fixtures.gateway import GatewayHandle
from tests.payments.conftest import (
    STATEMENT_SECRET,
    Opener,
    Payments,
    audit_clean,
    build_payments,
    count,
    deposit_journals,
    fresh,
    legs_of,
    wallet,
)

D = Decimal


def _line(mutation_id: str, amount: Decimal, kind: str = "CR", **more: Any) -> dict[str, Any]:
    return {
        "mutation_id": mutation_id,
        "amount": int(amount),
        "description": f"TRSF E-BANKING CR {mutation_id} BUDI",
        "type": kind,
        "date": "2026-12-02 09:15:00",
    } | more


async def _statement(
    client: AsyncClient, gateway_id: int, lines: Any, secret: str = STATEMENT_SECRET
) -> httpx.Response:
    raw = json.dumps(lines).encode()
    signature = hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    return await client.post(
        f"/payments/transfers/{gateway_id}/statement",
        content=raw,
        headers={"Signature": signature, "Content-Type": "application/json"},
    )


async def test_a_statement_line_credits_its_deposit_once(
    session: AsyncSession, pay: Payments, open_deposit: Opener, app_client: AsyncClient
) -> None:
    deposit = await open_deposit(session, pay.reseller, pay.transfer, D(50_000))
    await session.commit()
    assert deposit.unique_code is not None
    assert 1 <= deposit.unique_code <= deposits.MOST_CODE
    assert deposit.total == deposit.amount == D(50_000) + deposit.unique_code
    assert (deposit.fee, deposit.fee_paid_by) == (D(0), FeePayer.receiver)
    assert deposit.gateway_reference is None
    assert deposit.next_check_at is None
    lines = [_line("M-1", deposit.total), _line("M-0", deposit.total, kind="DB")]

    first = await _statement(app_client, pay.manual.id, lines)
    again = await _statement(app_client, pay.manual.id, lines)

    assert [(a.status_code, a.json()) for a in (first, again)] == [(200, {"success": True})] * 2
    deposit = await fresh(session, deposit)
    assert deposit.status is DepositStatus.paid
    assert deposit.journal_id is not None
    assert await wallet(session, pay.reseller) == deposit.total
    assert await legs_of(session, deposit.journal_id) == {
        "external": -deposit.total,
        f"wallet:{pay.reseller.id}": deposit.total,
    }
    assert await deposit_journals(session) == 1
    seen = (await session.scalars(select(StatementLine))).all()
    assert [(s.line_id, s.deposit_id) for s in seen] == [("M-1", deposit.id)]
    assert await crediting.reviews_for(session, None) == []
    await audit_clean(session)


async def test_a_line_no_open_deposit_asks_for_is_reviewed(
    session: AsyncSession, pay: Payments, open_deposit: Opener, app_client: AsyncClient
) -> None:
    deposit = await open_deposit(session, pay.reseller, pay.transfer, D(50_000))
    await session.commit()

    answer = await _statement(app_client, pay.manual.id, [_line("M-7", deposit.total + 1)])

    assert answer.status_code == 200
    listed = await crediting.reviews_for(session, None)
    assert [(r.reason, r.deposit_id, r.amount) for r, _, _ in listed] == [
        (ReviewReason.unmatched_transfer, None, deposit.total + 1)
    ]
    assert "M-7" in listed[0][0].detail
    assert (await fresh(session, deposit)).status is DepositStatus.pending
    assert await wallet(session, pay.reseller) == 0
    await audit_clean(session)


async def test_a_second_transfer_of_a_credited_total_is_reviewed_not_lost(
    session: AsyncSession, pay: Payments, open_deposit: Opener, app_client: AsyncClient
) -> None:
    deposit = await open_deposit(session, pay.reseller, pay.transfer, D(20_000))
    await session.commit()
    await _statement(app_client, pay.manual.id, [_line("M-1", deposit.total)])

    # The buyer transferred twice: a second line (another mutation) of the same total.
    answer = await _statement(app_client, pay.manual.id, [_line("M-2", deposit.total)])

    assert answer.status_code == 200
    assert await wallet(session, pay.reseller) == deposit.total
    assert await deposit_journals(session) == 1
    listed = await crediting.reviews_for(session, None)
    assert [(r.reason, r.amount) for r, _, _ in listed] == [
        (ReviewReason.unmatched_transfer, deposit.total)
    ]
    assert "M-2" in listed[0][0].detail
    await audit_clean(session)


async def test_a_transfer_after_expiry_is_reviewed(
    session: AsyncSession, pay: Payments, open_deposit: Opener, app_client: AsyncClient
) -> None:
    made_at = datetime.now(UTC)
    deposit = await open_deposit(session, pay.reseller, pay.transfer, D(30_000), now=made_at)
    assert await checks.expire_transfers(session, deposit.expires_at) == 1
    await session.commit()
    assert (await fresh(session, deposit)).status is DepositStatus.expired

    await _statement(app_client, pay.manual.id, [_line("M-9", deposit.total)])

    deposit = await fresh(session, deposit)
    assert deposit.status is DepositStatus.review
    listed = await crediting.reviews_for(session, None)
    assert [(r.reason, r.deposit_id) for r, _, _ in listed] == [
        (ReviewReason.after_expiry, deposit.id)
    ]
    assert await wallet(session, pay.reseller) == 0
    await audit_clean(session)


async def test_a_wrong_signature_is_refused_and_reviewed(
    session: AsyncSession, pay: Payments, open_deposit: Opener, app_client: AsyncClient
) -> None:
    deposit = await open_deposit(session, pay.reseller, pay.transfer, D(50_000))
    await session.commit()

    answer = await _statement(
        app_client, pay.manual.id, [_line("M-1", deposit.total)], secret="guessed"
    )

    assert answer.status_code == 403
    assert answer.json()["success"] is False
    listed = await crediting.reviews_for(session, None)
    assert [(r.reason, r.deposit_id) for r, _, _ in listed] == [(ReviewReason.bad_signature, None)]
    assert (await fresh(session, deposit)).status is DepositStatus.pending
    assert await count(session, StatementLine) == 0
    assert await wallet(session, pay.reseller) == 0

    # Junk and wrong addresses write nothing at all.
    url = f"/payments/transfers/{pay.manual.id}/statement"
    assert (await app_client.post(url, content=b"x" * 20_000)).status_code == 413
    not_json = await app_client.post(url, content=b"\x00\xffnot json", headers={"Signature": "0"})
    assert not_json.status_code == 403
    for wrong_id in (pay.tripay.id, 999_999):
        refused = await _statement(app_client, wrong_id, [_line("M-1", deposit.total)])
        assert refused.status_code == 404
    assert len(await crediting.reviews_for(session, None)) == 1
    await audit_clean(session)


async def test_open_deposits_of_one_amount_never_share_a_code(
    session: AsyncSession,
    pay: Payments,
    open_deposit: Opener,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Few codes, so that every one is used and one freed is needed again.
    monkeypatch.setattr(deposits, "MOST_CODE", 5)
    start = datetime.now(UTC)
    opened = [
        await open_deposit(
            session, pay.reseller, pay.transfer, D(50_000), now=start + timedelta(seconds=i)
        )
        for i in range(5)
    ]
    assert sorted(d.unique_code or 0 for d in opened) == [1, 2, 3, 4, 5]
    assert len({d.total for d in opened}) == 5

    with pytest.raises(Conflict, match="too many transfers of this amount"):
        await open_deposit(session, pay.reseller, pay.transfer, D(50_000))
    # Another amount is not held up by these.
    other = await open_deposit(session, pay.reseller, pay.transfer, D(60_000))
    assert other.total not in {d.total for d in opened}

    # Only the first has run out of time; its code may be given again.
    assert await checks.expire_transfers(session, opened[0].expires_at) == 1
    again = await open_deposit(session, pay.reseller, pay.transfer, D(50_000))
    assert again.total == opened[0].total
    assert (await fresh(session, opened[0])).status is DepositStatus.expired
    await audit_clean(session)


async def test_payers_opening_the_same_amount_at_once_get_distinct_totals(
    committed: async_sessionmaker[AsyncSession],
    gateway: GatewayHandle,
    tripay_http: httpx.AsyncClient,
    settings: Settings,
    pay_settings: PaymentSettings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # 30 deposits in 200 codes: draws clash often enough that the database's refusal, not
    # the lookup, is what keeps them apart.
    monkeypatch.setattr(deposits, "MOST_CODE", 200)
    async with committed.begin() as session:
        pay = await build_payments(session, gateway, tripay_http, settings.payments)
        payers = [pay.reseller, pay.other_reseller] + [
            await accounts.create(session, kind=AccountKind.reseller, name=f"Toko {i}")
            for i in range(8)
        ]
    opener = Opener(pay_settings, tripay_http)

    async def open_one(payer: Account) -> Deposit:
        async with committed.begin() as session:
            return await opener(session, payer, pay.transfer, D(100_000))

    opened = await asyncio.gather(*(open_one(payer) for payer in payers for _ in range(3)))

    totals = [d.total for d in opened]
    assert len(totals) == 30
    assert len(set(totals)) == 30
    assert all(D(100_001) <= t <= D(100_200) for t in totals)
    async with committed() as session:
        stored = (
            await session.scalars(select(Deposit.total).where(Deposit.status == "pending"))
        ).all()
        assert sorted(stored) == sorted(totals)
        assert await audit(session) == []


async def test_a_transfer_is_confirmed_or_rejected_by_its_receiver_only(
    session: AsyncSession, pay: Payments, open_deposit: Opener, operator: Operator
) -> None:
    now = datetime.now(UTC)
    confirmed = await open_deposit(session, pay.reseller, pay.transfer, D(40_000))
    rejected = await open_deposit(session, pay.reseller, pay.transfer, D(40_000))
    by_gateway = await open_deposit(session, pay.reseller, pay.qris, D(40_000))

    with pytest.raises(NotFound):
        await crediting.confirm_transfer(session, pay.other_reseller, confirmed.id, now)
    with pytest.raises(Conflict, match="only a transfer by hand"):
        await crediting.confirm_transfer(session, operator.account, by_gateway.id, now)
    with pytest.raises(Conflict, match="only a transfer by hand"):
        await crediting.reject_transfer(session, operator.account, by_gateway.id, "x", now)
    assert await wallet(session, pay.reseller) == 0

    done = await crediting.confirm_transfer(session, operator.account, confirmed.id, now)
    assert done.status is DepositStatus.paid
    assert done.decided_by_id == operator.account.id
    assert await wallet(session, pay.reseller) == confirmed.total
    with pytest.raises(Conflict, match="already paid"):
        await crediting.confirm_transfer(session, operator.account, confirmed.id, now)
    with pytest.raises(Conflict, match="already paid"):
        await crediting.reject_transfer(session, operator.account, confirmed.id, "no", now)

    with pytest.raises(Invalid, match="say why"):
        await crediting.reject_transfer(session, operator.account, rejected.id, "  ", now)
    with pytest.raises(NotFound):
        await crediting.reject_transfer(session, pay.reseller, rejected.id, "tidak ada", now)
    gone = await crediting.reject_transfer(
        session, operator.account, rejected.id, " Tidak ada di mutasi ", now
    )
    assert (gone.status, gone.note) == (DepositStatus.rejected, "Tidak ada di mutasi")
    with pytest.raises(Conflict, match="already rejected"):
        await crediting.confirm_transfer(session, operator.account, rejected.id, now)

    assert await wallet(session, pay.reseller) == confirmed.total
    assert await deposit_journals(session) == 1
    await audit_clean(session)


async def test_the_line_of_a_transfer_confirmed_by_hand_changes_nothing(
    session: AsyncSession,
    pay: Payments,
    open_deposit: Opener,
    app_client: AsyncClient,
    operator: Operator,
) -> None:
    deposit = await open_deposit(session, pay.reseller, pay.transfer, D(25_000))
    await crediting.confirm_transfer(session, operator.account, deposit.id, datetime.now(UTC))
    await session.commit()

    answer = await _statement(app_client, pay.manual.id, [_line("M-3", deposit.total)])

    assert answer.status_code == 200
    assert await wallet(session, pay.reseller) == deposit.total
    assert await deposit_journals(session) == 1
    assert await crediting.reviews_for(session, None) == []
    line = await session.scalar(select(StatementLine))
    assert line is not None
    assert line.deposit_id == deposit.id
    await audit_clean(session)
