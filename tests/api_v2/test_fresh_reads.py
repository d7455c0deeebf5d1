"""Reads as fresh as they must be across two API processes: a status change and a balance
change committed anywhere are in the very next answer of either process; a price change is,
as soon as the processes hear of it (read_cache). And many status requests in flight at once
are one read."""

import asyncio
import time
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import text

from panel.plumbing.coalesce import Coalescer
from tests.fixtures.world import World
from tests.test_serving import _api, _free_port, _wait_ready

pytestmark = pytest.mark.slow

FRESH_CONNECTIONS = 8  # spread over both processes: each call on a new connection


def _each(port: int, key: str, **params: str) -> list[object]:
    """The same call on fresh connections, so both processes answer it."""
    answers = []
    for _ in range(FRESH_CONNECTIONS):
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
            response = client.post("/api/v2", data={"key": key, **params})
            assert response.status_code == 200
            answers.append(response.json())
    return answers


async def test_status_balance_and_prices_are_fresh_in_both_processes(
    live_world: World, database_url: str
) -> None:
    panel, reseller = live_world.panel, live_world.reseller
    placed = await panel.api(
        reseller, action="add", service=live_world.followers, link="x", quantity=100
    )
    order_id = str(placed["order"])
    port = _free_port()
    api = _api(database_url, port)
    try:
        await asyncio.to_thread(_wait_ready, port, api)
        first = await asyncio.to_thread(_each, port, reseller.key, action="status", order=order_id)
        assert {answer["status"] for answer in first} == {"Pending"}  # type: ignore[index]

        async with panel.sessionmaker.begin() as session:
            await session.execute(
                text("UPDATE \"order\" SET status = 'in_progress', remains = 40 WHERE id = :id"),
                {"id": int(order_id)},
            )
        many = await asyncio.to_thread(
            _each, port, reseller.key, action="status", orders=f"{order_id},999999999"
        )
        assert all(
            answer[order_id]["status"] == "In progress"  # type: ignore[index]
            and answer[order_id]["remains"] == "40"  # type: ignore[index]
            and answer["999999999"] == {"error": "Incorrect order ID"}  # type: ignore[index]
            for answer in many
        ), many

        before = await asyncio.to_thread(_each, port, reseller.key, action="balance")
        await panel.top_up(reseller, "7.5")
        after = await asyncio.to_thread(_each, port, reseller.key, action="balance")
        was = Decimal(before[0]["balance"])  # type: ignore[index]
        assert {Decimal(a["balance"]) for a in after} == {was + Decimal("7.5")}  # type: ignore[index]

        def rate() -> set[str]:
            listed = _each(port, reseller.key, action="services")
            return {
                row["rate"]  # type: ignore[index]
                for answer in listed
                for row in answer  # type: ignore[attr-defined]
                if row["service"] == live_world.followers
            }

        assert await asyncio.to_thread(rate) == {"1.2"}
        routes = await panel.admin("GET", f"/providers/{panel.provider_id}/services")
        upstream = next(r for r in routes if r["rate"] == "1")
        await panel.admin(
            "PUT",
            f"/providers/{panel.provider_id}/services",
            {
                k: upstream[k]
                for k in ("external_id", "name", "type", "min_quantity", "max_quantity")
            }
            | {"rate": "2"},
        )
        deadline = time.monotonic() + 5
        while (seen := await asyncio.to_thread(rate)) != {"2.4"}:
            assert time.monotonic() < deadline, seen
        assert await asyncio.to_thread(rate) == {"2.4"}
    finally:
        api.terminate()
        api.wait(timeout=30)


async def test_lookups_in_flight_together_are_one_read() -> None:
    reads: list[list[int]] = []

    async def read(keys: list[int]) -> dict[int, str]:
        reads.append(keys)
        await asyncio.sleep(0.01)  # a statement's round trip, while more requests arrive
        return {key: f"#{key}" for key in keys if key % 7}

    coalescer: Coalescer[int, str] = Coalescer(read, largest=150)
    first = asyncio.create_task(coalescer.get([1, 501]))
    await asyncio.sleep(0.001)  # its read is under way
    answers = [
        await first,
        *await asyncio.gather(*(coalescer.get([n, n + 500]) for n in range(2, 101))),
    ]
    # The first read is the first request alone; the 99 that came meanwhile wait for the
    # next reads, at most 150 keys each.
    assert [len(keys) for keys in reads] == [2, 150, 48]
    assert answers[0] == {1: "#1", 501: "#501"}
    assert answers[6] == {507: "#507"}  # 7 is absent, as the read did not find it
    assert all(len(keys) == len(set(keys)) for keys in reads)


async def test_a_failed_read_fails_every_request_in_it_and_not_the_next() -> None:
    calls = 0

    async def read(keys: list[int]) -> dict[int, int]:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.01)
        if calls == 2:
            raise RuntimeError("the database went away")
        return {key: key for key in keys}

    coalescer: Coalescer[int, int] = Coalescer(read)
    first = asyncio.create_task(coalescer.get([1]))
    await asyncio.sleep(0.001)
    failed = await asyncio.gather(
        *(coalescer.get([n]) for n in range(2, 6)), return_exceptions=True
    )
    assert await first == {1: 1}
    assert all(isinstance(result, RuntimeError) for result in failed), failed
    assert calls == 2
    assert await coalescer.get([9]) == {9: 9}
