"""The operator action log: snapshots, recording and searching it, `/admin/v1/actions`, and
that a write which rolls back leaves no entry."""

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from panel import action_log
from panel.accounts import service as accounts
from panel.errors import InsufficientFunds
from panel.ledger import service as ledger
from panel.models import Account, AccountKind, AccountStatus
from tests.conftest import Operator

ADMIN = "/admin/v1"


async def _operator(session: AsyncSession, name: str) -> Account:
    return await accounts.create(session, kind=AccountKind.operator, name=name)


def test_snapshot_is_json_safe() -> None:
    class Thing:
        amount = Decimal("12.500000")
        status = AccountStatus.suspended
        at = datetime(2026, 1, 2, 3, 4, tzinfo=UTC)
        tags = ("a", Decimal("1.10"))
        nothing = None
        other = object

    shown = action_log.snapshot(Thing(), ["amount", "status", "at", "tags", "nothing"])
    assert shown == {
        "amount": "12.5",
        "status": "suspended",
        "at": "2026-01-02T03:04:00+00:00",
        "tags": ["a", "1.1"],
        "nothing": None,
    }
    assert isinstance(action_log.snapshot(Thing(), ["other"])["other"], str)


async def test_record_and_search(session: AsyncSession) -> None:
    first, second = await _operator(session, "One"), await _operator(session, "Two")
    made = [
        await action_log.record(session, first.id, "money.top_up", "account", 7, note="paid"),
        await action_log.record(session, second.id, "money.adjust", "account", 8),
        await action_log.record(session, first.id, "account.suspend", "account", 7),
        await action_log.record(session, first.id, "money_x", "account", 9),
        await action_log.record(
            session,
            second.id,
            "key.issue",
            "api_key",
            7,
            before=None,
            after={"amount": Decimal("1.50")},
        ),
    ]
    ids = [entry.id for entry in made]

    async def found(**asked: Any) -> list[int]:
        return [e.id for e in await action_log.search(session, action_log.Filter(**asked))]

    assert await found() == ids[::-1]
    assert await found(actor_id=first.id) == [ids[3], ids[2], ids[0]]
    # "money." is a prefix; "_" in it is a character, not a pattern.
    assert await found(action="money.") == [ids[1], ids[0]]
    assert await found(action="money_") == [ids[3]]
    assert await found(subject_type="account", subject_id=7) == [ids[2], ids[0]]
    assert await found(subject_id=7) == [ids[4], ids[2], ids[0]]
    assert await found(before=ids[2], limit=1) == [ids[1]]
    assert made[4].after == {"amount": "1.5"}
    assert made[0].note == "paid"


async def test_admin_actions_filters(
    client: AsyncClient, operator: Operator, session: AsyncSession
) -> None:
    other = await _operator(session, "Other")
    mine = await action_log.record(
        session, operator.account.id, "account.tier", "account", 5, before={"tier_id": 1}
    )
    theirs = await action_log.record(session, other.id, "money.top_up", "account", 6)
    await session.commit()

    async def listed(**params: Any) -> list[int]:
        answer = await client.get(f"{ADMIN}/actions", params=params, headers=operator.headers)
        assert answer.status_code == 200, answer.text
        return [entry["id"] for entry in answer.json()]

    assert await listed() == [theirs.id, mine.id]
    assert await listed(actor_id=operator.account.id) == [mine.id]
    assert await listed(action="money.") == [theirs.id]
    assert await listed(subject_type="account", subject_id=5) == [mine.id]
    assert await listed(before=theirs.id) == [mine.id]
    assert await listed(limit=1) == [theirs.id]
    [shown] = (
        await client.get(f"{ADMIN}/actions?action=account.tier", headers=operator.headers)
    ).json()
    assert shown["before"] == {"tier_id": 1}
    assert shown["actor_id"] == operator.account.id
    assert (
        await client.get(f"{ADMIN}/actions?limit=0", headers=operator.headers)
    ).status_code == 422
    assert (await client.get(f"{ADMIN}/actions")).status_code == 401


async def test_a_write_that_rolls_back_leaves_no_entry(
    session: AsyncSession, client: AsyncClient, operator: Operator
) -> None:
    actor = await _operator(session, "Actor")
    reseller = await accounts.create(session, kind=AccountKind.reseller, name="R")
    with pytest.raises(InsufficientFunds):
        async with session.begin_nested():
            await ledger.adjust_by(session, actor.id, reseller.id, Decimal(-5), "too much")
    assert list(await action_log.search(session, action_log.Filter())) == []
    await session.commit()
    # Through /admin/v1 too: the refused debit's request rolls back whole.
    answer = await client.post(
        f"{ADMIN}/accounts/{reseller.id}/adjustments",
        json={"amount": "-5", "reason": "too much"},
        headers=operator.headers,
    )
    assert answer.status_code == 402, answer.text
    assert list(await action_log.search(session, action_log.Filter())) == []
    # And the same write that can be made is logged: the check above could fail.
    ok = await client.post(
        f"{ADMIN}/accounts/{reseller.id}/top-ups",
        json={"amount": "5", "reason": "paid"},
        headers=operator.headers,
    )
    assert ok.status_code == 201, ok.text
    [entry] = await action_log.search(session, action_log.Filter())
    assert (entry.action, entry.subject_id) == ("money.top_up", reseller.id)
