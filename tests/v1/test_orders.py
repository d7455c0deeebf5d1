"""/v1 orders: the same rules as API v2, answered as REST with problem JSON."""

from typing import Any

import pytest

from tests.fixtures.world import D, World

LINK = "https://instagram.com/pasok"


async def _create(world: World, caller: Any, **body: Any) -> Any:
    return await world.panel.v1(caller, "POST", "/orders", json=body)


async def test_an_order_is_placed_paid_and_shown_to_its_buyer(world: World) -> None:
    panel = world.panel
    made = await _create(world, world.agency, service_id=world.followers, link=LINK, quantity=1000)
    assert made.status_code == 201, made.text
    order = made.json()
    assert order["status"] == "pending"
    assert (order["start_count"], order["remains"]) == (None, 1000)  # nothing delivered yet
    # The agency's own rate: cost 1 + 20% (tier) + 10% (its reseller's markup) = 1.32 per 1000.
    assert (order["charge"], order["currency"], order["quantity"]) == ("1.32", "USD", 1000)
    assert await panel.balance(world.agency) == D("20") - D("1.32")

    got = await panel.v1(world.agency, "GET", f"/orders/{order['id']}")
    assert got.json() == order
    # The reseller sees its agency's order at what the reseller pays for it.
    seen = await panel.v1(world.reseller, "GET", f"/orders/{order['id']}")
    assert seen.status_code == 200
    assert seen.json()["charge"] == "1.2"


@pytest.mark.parametrize("who", ["other", "sibling"])
async def test_another_tenant_s_order_does_not_exist(world: World, who: str) -> None:
    order = (
        await _create(world, world.agency, service_id=world.followers, link=LINK, quantity=100)
    ).json()
    caller = getattr(world, who)
    for method, path in (
        ("GET", f"/orders/{order['id']}"),
        ("POST", f"/orders/{order['id']}/cancel"),
        ("POST", f"/orders/{order['id']}/refills"),
    ):
        async with world.panel.unchanged():
            answer = await world.panel.v1(caller, method, path)
        assert answer.status_code == 404, (method, path, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"
    listed = await world.panel.v1(caller, "GET", "/orders")
    assert listed.json()["items"] == []


async def test_the_list_filters_and_pages_newest_first(world: World) -> None:
    panel = world.panel
    ids = [
        (
            await _create(
                world, world.reseller, service_id=world.followers, link=f"{LINK}/{n}", quantity=100
            )
        ).json()["id"]
        for n in range(5)
    ]
    likes = (
        await _create(world, world.reseller, service_id=world.likes, link=LINK, quantity=100)
    ).json()["id"]
    first = (await panel.v1(world.reseller, "GET", "/orders", params={"limit": 4})).json()
    assert [o["id"] for o in first["items"]] == [likes, ids[4], ids[3], ids[2]]
    rest = (
        await panel.v1(
            world.reseller, "GET", "/orders", params={"limit": 4, "cursor": first["next_cursor"]}
        )
    ).json()
    assert ([o["id"] for o in rest["items"]], rest["next_cursor"]) == ([ids[1], ids[0]], None)
    only_likes = (
        await panel.v1(world.reseller, "GET", "/orders", params={"service_id": world.likes})
    ).json()
    assert [o["id"] for o in only_likes["items"]] == [likes]
    by_link = (
        await panel.v1(world.reseller, "GET", "/orders", params={"link": f"{LINK}/2"})
    ).json()
    assert [o["id"] for o in by_link["items"]] == [ids[2]]
    await panel.set_order(ids[3], status="completed", remains=0)
    done = (await panel.v1(world.reseller, "GET", "/orders", params={"status": "completed"})).json()
    assert [o["id"] for o in done["items"]] == [ids[3]]


async def test_cancel_before_submission_refunds_at_once(world: World) -> None:
    panel = world.panel
    order = (
        await _create(world, world.other, service_id=world.followers, link=LINK, quantity=1000)
    ).json()
    canceled = await panel.v1(world.other, "POST", f"/orders/{order['id']}/cancel")
    assert canceled.status_code == 202
    assert canceled.json()["status"] == "canceled"
    assert await panel.balance(world.other) == D("50")
    again = await panel.v1(world.other, "POST", f"/orders/{order['id']}/cancel")
    assert again.status_code == 422
    assert again.json()["detail"] == "Order not eligible for cancel"


async def test_refill_of_a_finished_order_is_tracked(world: World) -> None:
    panel = world.panel
    order = (
        await _create(world, world.other, service_id=world.followers, link=LINK, quantity=100)
    ).json()
    await panel.set_order(order["id"], status="completed", remains=0, upstream_id="77")
    made = await panel.v1(world.other, "POST", f"/orders/{order['id']}/refills")
    assert made.status_code == 201, made.text
    refill = made.json()
    assert (refill["order_id"], refill["status"]) == (order["id"], "pending")
    got = await panel.v1(world.other, "GET", f"/refills/{refill['id']}")
    assert got.json() == refill
    assert (await panel.v1(world.reseller, "GET", f"/refills/{refill['id']}")).status_code == 404


@pytest.mark.parametrize(
    ("body", "status", "detail"),
    [
        ({"service_id": 999_999, "link": LINK, "quantity": 100}, 422, "Incorrect service ID"),
        ({"service_id": None, "link": LINK, "quantity": 100}, 422, None),
        ({"service_id": "followers", "link": LINK, "quantity": 100}, 422, None),
        ({"link": "not a link", "quantity": 100}, 422, "Incorrect link"),
        ({"link": LINK, "quantity": 5}, 422, "Quantity less than minimal 10"),
        ({"link": LINK, "quantity": 10_001}, 422, "Quantity more than maximum 10000"),
        ({"link": LINK, "quantity": -1}, 422, None),
        ({"link": LINK, "quantity": 1.5}, 422, None),
        ({"link": LINK, "quantity": 100, "colour": "red"}, 422, None),
        ({"link": LINK, "quantity": 10_000, "runs": 10, "interval": 5}, 402, None),
    ],
)
async def test_bad_orders_are_problems_and_change_nothing(
    world: World, body: dict[str, Any], status: int, detail: str | None
) -> None:
    # service_id None: left out.
    body = {
        name: value
        for name, value in ({"service_id": world.followers} | body).items()
        if value is not None
    }
    async with world.panel.unchanged():
        answer = await _create(world, world.agency, **body)
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    if detail is not None:
        assert answer.json()["detail"] == detail


@pytest.mark.parametrize("key", [None, "", "nope", "op_" + "0" * 64])
async def test_without_a_live_key_nothing_opens(world: World, key: str | None) -> None:
    for method, path in (("GET", "/services"), ("GET", "/orders"), ("GET", "/balance")):
        answer = await world.panel.v1(key or None, method, path)
        assert answer.status_code == 401, (path, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"


async def test_an_operator_token_does_not_open_v1(world: World) -> None:
    answer = await world.panel.v1(world.panel.operator.token, "GET", "/orders")
    assert answer.status_code == 401


async def test_services_show_the_caller_s_own_rate(world: World) -> None:
    rates = {}
    for who in ("reseller", "agency", "other"):
        services = (await world.panel.v1(getattr(world, who), "GET", "/services")).json()
        rates[who] = {s["id"]: s["rate"] for s in services}
        assert all(s["currency"] == "USD" for s in services)
        assert all("cost" not in s for s in services)
    assert [rates[who][world.followers] for who in ("reseller", "agency", "other")] == [
        "1.2",
        "1.32",
        "1",
    ]


async def test_text_the_database_cannot_hold_is_invalid_input(world: World) -> None:
    """A NUL character reaches PostgreSQL only in a query parameter; refused there, as 422."""
    answer = await world.panel.v1(world.agency, "GET", "/orders", params={"link": "a\x00b"})
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    async with world.panel.unchanged():
        made = await _create(
            world, world.agency, service_id=world.followers, link="https://x.io/\x00", quantity=100
        )
    assert made.status_code == 422
