"""`Idempotency-Key`: a retried order is one order, however many copies arrive at once."""

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update

from panel.models import IdempotencyKey
from panel.plumbing import idempotency
from tests.fixtures.world import D, World

LINK = "https://instagram.com/pasok"


def _body(world: World, quantity: int = 1000) -> dict[str, object]:
    return {"service_id": world.followers, "link": LINK, "quantity": quantity}


async def test_twenty_copies_at_once_make_one_order_and_one_charge(live_world: World) -> None:
    world, panel = live_world, live_world.panel
    await panel.v1(world.other, "GET", "/balance")  # the key's first use is recorded first
    before = await panel.snapshot()
    answers = await asyncio.gather(
        *(
            panel.v1(
                world.other,
                "POST",
                "/orders",
                json=_body(world),
                headers={"Idempotency-Key": "k-1"},
            )
            for _ in range(20)
        )
    )
    assert [a.status_code for a in answers] == [201] * 20, [a.text for a in answers]
    assert len({a.text for a in answers}) == 1  # every copy got the first answer, byte for byte
    after = await panel.snapshot()
    assert after.counts["order"] == before.counts["order"] + 1
    assert after.counts["journal"] == before.counts["journal"] + 1
    assert after.wallets[world.other.account_id] == D("50") - D("1")


async def test_a_retry_gets_the_first_answer_even_after_the_order_moved_on(world: World) -> None:
    panel = world.panel
    headers = {"Idempotency-Key": "retry-me"}
    first = await panel.v1(world.agency, "POST", "/orders", json=_body(world), headers=headers)
    await panel.set_order(first.json()["id"], status="in_progress")
    async with panel.unchanged():
        again = await panel.v1(world.agency, "POST", "/orders", json=_body(world), headers=headers)
    assert (again.status_code, again.json()) == (201, first.json())


async def test_the_same_key_with_another_request_is_a_conflict(world: World) -> None:
    panel = world.panel
    headers = {"Idempotency-Key": "one-key"}
    await panel.v1(world.agency, "POST", "/orders", json=_body(world), headers=headers)
    async with panel.unchanged():
        other = await panel.v1(
            world.agency, "POST", "/orders", json=_body(world, 2000), headers=headers
        )
    assert other.status_code == 409
    assert other.headers["content-type"] == "application/problem+json"


async def test_keys_belong_to_their_account(world: World) -> None:
    panel = world.panel
    headers = {"Idempotency-Key": "shared-name"}
    mine = await panel.v1(world.agency, "POST", "/orders", json=_body(world), headers=headers)
    theirs = await panel.v1(world.other, "POST", "/orders", json=_body(world), headers=headers)
    assert theirs.status_code == 201
    assert theirs.json()["id"] != mine.json()["id"]


async def test_a_refused_request_is_not_remembered(world: World) -> None:
    panel = world.panel
    headers = {"Idempotency-Key": "too-big"}
    big = _body(world, 10_000) | {"runs": 2, "interval": 5}  # 26.40 against a balance of 20
    refused = await panel.v1(world.agency, "POST", "/orders", json=big, headers=headers)
    assert refused.status_code == 402
    await panel.fund(world.agency, "10")
    paid = await panel.v1(world.agency, "POST", "/orders", json=big, headers=headers)
    assert paid.status_code == 201, paid.text


async def test_keys_are_kept_a_day_then_forgotten(world: World) -> None:
    panel = world.panel
    for key in ("old", "new"):
        made = await panel.v1(
            world.agency, "POST", "/orders", json=_body(world), headers={"Idempotency-Key": key}
        )
        assert made.status_code == 201
    async with panel.sessionmaker.begin() as session:
        await session.execute(
            update(IdempotencyKey)
            .where(IdempotencyKey.key == "old")
            .values(created_at=func.now() - timedelta(hours=24, minutes=1))
        )
    async with panel.sessionmaker.begin() as session:
        assert await idempotency.purge(session, datetime.now(UTC), days=1) == 1
        left = await session.scalars(select(IdempotencyKey.key))
        assert list(left) == ["new"]
