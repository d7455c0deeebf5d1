"""Rate limits per key and per IP, shared through Redis, on /v1, /admin/v1 and /api/v2."""

from typing import Any

import pytest

from panel.config import RateLimitSettings
from tests.fixtures.world import World

PER_KEY, PER_IP = 5, 8


@pytest.fixture
async def limited(world: World) -> World:
    """The world, with low limits from now on and the counts of its setting up forgotten."""
    runtime: Any = world.panel.client._transport.app.state.runtime  # type: ignore[attr-defined]
    limits = RateLimitSettings(per_key_per_minute=PER_KEY, per_ip_per_minute=PER_IP)
    runtime.settings = runtime.settings.model_copy(update={"rate_limits": limits})
    async for key in runtime.redis.scan_iter("pasok:rate:*"):
        await runtime.redis.delete(key)
    return world


async def test_a_key_over_its_limit_is_told_when_to_come_back(limited: World) -> None:
    panel = limited.panel
    remaining = []
    for _ in range(PER_KEY):
        answer = await panel.v1(limited.agency, "GET", "/balance")
        assert answer.status_code == 200
        assert answer.headers["x-ratelimit-limit"] == str(PER_KEY)
        remaining.append(int(answer.headers["x-ratelimit-remaining"]))
    assert remaining == [4, 3, 2, 1, 0]
    over = await panel.v1(limited.agency, "GET", "/balance")
    assert over.status_code == 429
    assert over.headers["content-type"] == "application/problem+json"
    assert 1 <= int(over.headers["retry-after"]) <= 60
    assert over.json()["status"] == 429
    # Another key has its own count, until the address itself is over its limit.
    others = [(await panel.v1(limited.other, "GET", "/balance")).status_code for _ in range(3)]
    assert others == [200, 200, 429]  # the 9th request from this address


async def test_the_operator_api_is_limited_too(limited: World) -> None:
    panel = limited.panel
    statuses = [
        (await panel.client.get("/admin/v1/tiers", headers=panel.operator.headers)).status_code
        for _ in range(PER_KEY + 1)
    ]
    assert statuses == [200] * PER_KEY + [429]


async def test_api_v2_answers_429_in_its_own_shape_and_makes_no_order(limited: World) -> None:
    panel = limited.panel
    for _ in range(PER_KEY):
        await panel.api(limited.other, action="balance")
    async with panel.unchanged():
        over = await panel.post(
            limited.other.key,
            action="add",
            service=limited.followers,
            link="https://x.io/a",
            quantity=100,
        )
    assert over.status_code == 429
    assert over.json() == {"error": "Too many requests"}
    assert "retry-after" in over.headers
