"""Every error text of api-v2.md "Errors (server)", exactly, as 200 JSON, and a failed request
changes nothing: no order, no refill, no journal or entry, no wallet moved, no order touched."""

import asyncio
import logging
from typing import Any

import pytest

from tests.fixtures.world import Caller, World

LINK = "https://instagram.com/pasok"


async def refused(world: World, caller: Caller | str | None, text: str, **params: Any) -> None:
    """`params` are answered with exactly `{"error": text}` and change nothing."""
    async with world.panel.unchanged():
        assert await world.panel.api(caller, **params) == {"error": text}


async def finished_order(world: World, caller: Caller, service: int) -> int:
    """An order the upstream completed: refillable where the service allows it."""
    order_id = await world.panel.order(caller, service, link=LINK, quantity=100)
    await world.panel.set_order(order_id, status="completed", upstream_id="u-1", remains=0)
    return order_id


# Incorrect request


@pytest.mark.parametrize(
    "params",
    [
        {"action": "order"},
        {"action": "status"},
        {"action": "status", "orders": ""},
        {"action": "status", "orders": "1,two,3"},
        {"action": "status", "orders": ",".join(str(i) for i in range(1, 102))},
        {"action": "status", "orders": "1" * 20},
        {"action": "refill"},
        {"action": "refill", "orders": "1;2"},
        {"action": "refill_status"},
        {"action": "refill_status", "refills": "-1"},
        {"action": "cancel"},
        {"action": "cancel", "orders": ",".join(str(i) for i in range(1, 102))},
        {"action": "cancel", "order": "x"},
    ],
    ids=lambda params: "-".join(f"{k}={v[:12]}" for k, v in params.items()),
)
async def test_incorrect_request(world: World, params: dict[str, str]) -> None:
    await refused(world, world.reseller, "Incorrect request", **params)


@pytest.mark.parametrize(
    "params",
    [
        {"link": LINK},
        {"link": LINK, "quantity": "many"},
        {"link": LINK, "quantity": "100.5"},
        {"link": LINK, "quantity": "100", "runs": "1", "interval": "10"},
        {"link": LINK, "quantity": "100", "runs": "3"},
        {"link": LINK, "quantity": "100", "request_id": "r" * 65},
        {"link": LINK + "\x00", "quantity": "100"},
        {"link": LINK, "quantity": "100", "request_id": "r\x00"},
    ],
    ids=[
        "no-quantity",
        "word",
        "fraction",
        "one-run",
        "no-interval",
        "long-request-id",
        "nul-in-link",
        "nul-in-request-id",
    ],
)
async def test_incorrect_add_request(world: World, params: dict[str, str]) -> None:
    await refused(
        world, world.reseller, "Incorrect request", action="add", service=world.followers, **params
    )


async def test_drip_feed_on_a_service_without_it(world: World) -> None:
    await refused(
        world,
        world.reseller,
        "Incorrect request",
        action="add",
        service=world.likes,
        link=LINK,
        quantity=100,
        runs=3,
        interval=10,
    )


# Invalid API key


async def test_missing_key(world: World) -> None:
    await refused(world, None, "Invalid API key", action="balance")


@pytest.mark.parametrize("key", ["", "0" * 64, "a" * 200, "op_" + "0" * 64])
async def test_unknown_key(world: World, key: str) -> None:
    await refused(world, key, "Invalid API key", action="balance")


async def test_key_with_one_character_changed(world: World) -> None:
    key = world.reseller.key
    forged = key[:-1] + ("0" if key[-1] != "0" else "1")
    await refused(world, forged, "Invalid API key", action="balance")


async def test_revoked_key(world: World) -> None:
    keys = await world.panel.admin("GET", f"/accounts/{world.reseller.account_id}/keys")
    await world.panel.admin("POST", f"/keys/{keys[0]['id']}/revoke")
    await refused(
        world,
        world.reseller,
        "Invalid API key",
        action="add",
        service=world.followers,
        link=LINK,
        quantity=100,
    )


@pytest.mark.parametrize("who", ["reseller", "agency"])
async def test_suspended_account(world: World, who: str) -> None:
    caller: Caller = getattr(world, who)
    await world.panel.admin("PATCH", f"/accounts/{caller.account_id}", {"status": "suspended"})
    await refused(
        world,
        caller,
        "Invalid API key",
        action="add",
        service=world.followers,
        link=LINK,
        quantity=100,
    )


async def test_operator_token_does_not_open_api_v2(world: World) -> None:
    await refused(world, world.panel.operator.token, "Invalid API key", action="balance")


async def test_invalid_key_comes_before_the_action(world: World) -> None:
    await refused(world, "wrong", "Invalid API key", action="no-such-action")


# Incorrect service ID


@pytest.mark.parametrize(
    "service", ["", "abc", "1.0", "-1", "0", "999999", "2147483648", "99999999999", "1 OR 1=1"]
)
async def test_incorrect_service_value(world: World, service: str) -> None:
    await refused(
        world,
        world.reseller,
        "Incorrect service ID",
        action="add",
        service=service,
        link=LINK,
        quantity=100,
    )


async def test_missing_service(world: World) -> None:
    await refused(
        world, world.reseller, "Incorrect service ID", action="add", link=LINK, quantity=100
    )


async def test_disabled_service(world: World) -> None:
    await world.panel.admin("PATCH", f"/services/{world.followers}", {"enabled": False})
    await refused(
        world,
        world.reseller,
        "Incorrect service ID",
        action="add",
        service=world.followers,
        link=LINK,
        quantity=100,
    )


async def test_service_without_a_price(world: World) -> None:
    unrouted = await world.panel.service(name="Coming soon", routed=False)
    await refused(
        world,
        world.agency,
        "Incorrect service ID",
        action="add",
        service=unrouted,
        link=LINK,
        quantity=100,
    )


async def test_service_whose_only_upstream_is_disabled(world: World) -> None:
    await world.panel.admin("PATCH", f"/providers/{world.panel.provider_id}", {"enabled": False})
    await refused(
        world,
        world.reseller,
        "Incorrect service ID",
        action="add",
        service=world.followers,
        link=LINK,
        quantity=100,
    )


# Incorrect link


@pytest.mark.parametrize(
    "link", ["", "   ", "not a link", "javascript:alert(1)", "ftp://example.com/x", "http://"]
)
async def test_incorrect_link(world: World, link: str) -> None:
    await refused(
        world,
        world.reseller,
        "Incorrect link",
        action="add",
        service=world.followers,
        link=link,
        quantity=100,
    )


# Quantity limits


@pytest.mark.parametrize("quantity", ["9", "0", "-5"])
async def test_quantity_less_than_minimal(world: World, quantity: str) -> None:
    await refused(
        world,
        world.reseller,
        "Quantity less than minimal 10",
        action="add",
        service=world.followers,
        link=LINK,
        quantity=quantity,
    )


async def test_quantity_more_than_maximum(world: World) -> None:
    await refused(
        world,
        world.reseller,
        "Quantity more than maximum 10000",
        action="add",
        service=world.followers,
        link=LINK,
        quantity=10_001,
    )


async def test_drip_feed_total_is_checked_per_run(world: World) -> None:
    await refused(
        world,
        world.reseller,
        "Quantity more than maximum 10000",
        action="add",
        service=world.followers,
        link=LINK,
        quantity=10_001,
        runs=2,
        interval=5,
    )


# Not enough funds


async def test_not_enough_funds(world: World) -> None:
    # 1000 at 120 per 1000 is 120.00, and the reseller has 100.
    expensive = await world.panel.service(name="Verified", cost="100")
    await refused(
        world,
        world.reseller,
        "Not enough funds on balance",
        action="add",
        service=expensive,
        link=LINK,
        quantity=1000,
    )


async def test_not_enough_funds_by_the_smallest_amount(world: World) -> None:
    # The other reseller pays cost (no tier): 1000 at 50.000001 is a millionth over its 50.
    exact = await world.panel.service(name="Exact", cost="50.000001")
    await refused(
        world,
        world.other,
        "Not enough funds on balance",
        action="add",
        service=exact,
        link=LINK,
        quantity=1000,
    )
    await world.panel.order(world.other, exact, link=LINK, quantity=999)


async def test_an_agency_is_limited_by_its_own_wallet(world: World) -> None:
    # 200 at the agency's 132 per 1000 is 26.40: its reseller holds 100, the agency only 20.
    expensive = await world.panel.service(name="Verified", cost="100")
    await refused(
        world,
        world.agency,
        "Not enough funds on balance",
        action="add",
        service=expensive,
        link=LINK,
        quantity=200,
    )


# Incorrect order ID


@pytest.mark.parametrize("order", ["999999", "0", "abc", "-1", "99999999999999999999"])
async def test_status_of_an_unknown_order(world: World, order: str) -> None:
    await refused(world, world.reseller, "Incorrect order ID", action="status", order=order)


@pytest.mark.parametrize("action", ["status", "refill"])
async def test_another_resellers_order(world: World, action: str) -> None:
    order_id = await finished_order(world, world.reseller, world.followers)
    await refused(world, world.other, "Incorrect order ID", action=action, order=order_id)


async def test_cancel_of_another_resellers_order(world: World) -> None:
    order_id = await world.panel.order(world.reseller, world.followers, link=LINK, quantity=100)
    async with world.panel.unchanged():
        assert await world.panel.api(world.other, action="cancel", order=order_id) == [
            {"order": order_id, "cancel": {"error": "Incorrect order ID"}}
        ]


async def test_another_resellers_order_in_a_list(world: World) -> None:
    mine = await world.panel.order(world.other, world.followers, link=LINK, quantity=100)
    theirs = await finished_order(world, world.reseller, world.followers)
    async with world.panel.unchanged():
        status = await world.panel.api(world.other, action="status", orders=f"{theirs},{mine}")
        assert status[str(theirs)] == {"error": "Incorrect order ID"}
        assert status[str(mine)]["status"] == "Pending"
        assert await world.panel.api(world.other, action="refill", orders=str(theirs)) == [
            {"order": theirs, "refill": {"error": "Incorrect order ID"}}
        ]
        assert await world.panel.api(world.other, action="cancel", orders=str(theirs)) == [
            {"order": theirs, "cancel": {"error": "Incorrect order ID"}}
        ]


@pytest.mark.parametrize("owner", ["reseller", "sibling"])
@pytest.mark.parametrize("action", ["status", "refill"])
async def test_an_agency_sees_neither_its_resellers_nor_a_siblings_orders(
    world: World, owner: str, action: str
) -> None:
    order_id = await finished_order(world, getattr(world, owner), world.followers)
    await refused(world, world.agency, "Incorrect order ID", action=action, order=order_id)


@pytest.mark.parametrize("owner", ["reseller", "sibling"])
async def test_an_agency_cannot_cancel_its_resellers_or_a_siblings_orders(
    world: World, owner: str
) -> None:
    order_id = await world.panel.order(
        getattr(world, owner), world.followers, link=LINK, quantity=100
    )
    async with world.panel.unchanged():
        assert await world.panel.api(world.agency, action="cancel", orders=str(order_id)) == [
            {"order": order_id, "cancel": {"error": "Incorrect order ID"}}
        ]


async def test_a_reseller_cannot_see_another_resellers_agency_orders(world: World) -> None:
    order_id = await finished_order(world, world.agency, world.followers)
    await refused(world, world.other, "Incorrect order ID", action="status", order=order_id)


# Refill


async def test_refill_is_disabled_for_this_service(world: World) -> None:
    order_id = await finished_order(world, world.reseller, world.likes)
    await refused(
        world,
        world.reseller,
        "Refill is disabled for this service",
        action="refill",
        order=order_id,
    )


@pytest.mark.parametrize(
    "state",
    [
        {"status": "pending"},
        {"status": "submitting"},
        {"status": "in_progress", "upstream_id": "u-1"},
        {"status": "needs_review"},
        {"status": "canceled", "remains": 100},
        {"status": "failed", "remains": 100},
        {"status": "completed", "remains": 0},  # never reached an upstream: nothing to refill
    ],
    ids=lambda state: "-".join(str(v) for v in state.values()),
)
async def test_order_not_eligible_for_refill(world: World, state: dict[str, Any]) -> None:
    order_id = await world.panel.order(world.reseller, world.followers, link=LINK, quantity=100)
    await world.panel.set_order(order_id, **state)
    await refused(
        world, world.reseller, "Order not eligible for refill", action="refill", order=order_id
    )


async def test_refill_refusals_in_a_list_are_inline(world: World) -> None:
    disabled = await finished_order(world, world.reseller, world.likes)
    pending = await world.panel.order(world.reseller, world.followers, link=LINK, quantity=100)
    async with world.panel.unchanged():
        assert await world.panel.api(
            world.reseller, action="refill", orders=f"{disabled},{pending},77777777"
        ) == [
            {"order": disabled, "refill": {"error": "Refill is disabled for this service"}},
            {"order": pending, "refill": {"error": "Order not eligible for refill"}},
            {"order": 77777777, "refill": {"error": "Incorrect order ID"}},
        ]


@pytest.mark.parametrize("refill", ["999999", "0", "abc", "99999999999999999999"])
async def test_refill_not_found(world: World, refill: str) -> None:
    await refused(world, world.reseller, "Refill not found", action="refill_status", refill=refill)


async def test_another_resellers_refill_is_not_found(world: World) -> None:
    order_id = await finished_order(world, world.reseller, world.followers)
    refill = await world.panel.api(world.reseller, action="refill", order=order_id)
    await refused(
        world, world.other, "Refill not found", action="refill_status", refill=refill["refill"]
    )
    await refused(
        world, world.sibling, "Refill not found", action="refill_status", refill=refill["refill"]
    )
    async with world.panel.unchanged():
        assert await world.panel.api(
            world.other, action="refill_status", refills=refill["refill"]
        ) == [{"refill": int(refill["refill"]), "status": {"error": "Refill not found"}}]


# Cancel


async def test_cancel_is_disabled_for_this_service(world: World) -> None:
    order_id = await world.panel.order(world.reseller, world.likes, link=LINK, quantity=100)
    async with world.panel.unchanged():
        assert await world.panel.api(world.reseller, action="cancel", order=order_id) == [
            {"order": order_id, "cancel": {"error": "Cancel is disabled for this service"}}
        ]
        assert await world.panel.api(world.reseller, action="cancel", orders=str(order_id)) == [
            {"order": order_id, "cancel": {"error": "Cancel is disabled for this service"}}
        ]


@pytest.mark.parametrize("status", ["completed", "partial", "canceled", "failed"])
async def test_a_finished_order_cannot_be_canceled(world: World, status: str) -> None:
    order_id = await world.panel.order(world.reseller, world.followers, link=LINK, quantity=100)
    await world.panel.set_order(order_id, status=status, upstream_id="u-1")
    async with world.panel.unchanged():
        assert await world.panel.api(world.reseller, action="cancel", order=order_id) == [
            {"order": order_id, "cancel": {"error": "Order not eligible for cancel"}}
        ]


# One order per link


LINK_BUSY = "You have active order with this link. Please wait until order being completed."


async def test_active_order_with_this_link(world: World) -> None:
    exclusive = await world.panel.service(name="Views", one_order_per_link=True)
    await world.panel.order(world.reseller, exclusive, link=LINK, quantity=100)
    await refused(
        world, world.reseller, LINK_BUSY, action="add", service=exclusive, link=LINK, quantity=100
    )


async def test_the_link_is_free_again_once_the_order_finished(world: World) -> None:
    exclusive = await world.panel.service(name="Views", one_order_per_link=True)
    first = await world.panel.order(world.reseller, exclusive, link=LINK, quantity=100)
    await world.panel.order(
        world.reseller, exclusive, link="https://instagram.com/other", quantity=100
    )
    await world.panel.set_order(first, status="completed", upstream_id="u-1", remains=0)
    await world.panel.order(world.reseller, exclusive, link=LINK, quantity=100)


async def test_parallel_orders_on_one_link_are_fine_where_the_service_allows_them(
    world: World,
) -> None:
    first = await world.panel.order(world.reseller, world.followers, link=LINK, quantity=100)
    second = await world.panel.order(world.reseller, world.followers, link=LINK, quantity=100)
    assert first != second


async def test_concurrent_orders_on_one_link_where_the_service_forbids_it(
    live_world: World,
) -> None:
    world = live_world
    exclusive = await world.panel.service(name="Views", one_order_per_link=True)
    await world.panel.warm(world.reseller)
    answers = await asyncio.gather(
        *(
            world.panel.api(
                world.reseller, action="add", service=exclusive, link=LINK, quantity=100
            )
            for _ in range(6)
        )
    )
    # All six check the link before any has committed: only one may get through.
    refusals = [answer for answer in answers if "order" not in answer]
    assert refusals == [{"error": LINK_BUSY}] * 5, answers
    assert (await world.panel.snapshot()).counts["order"] == 1


async def test_an_order_too_large_to_record_is_refused_not_failed(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    """Each run is within the service's limits, but 1000 runs of 10^9 is more units than an
    order can hold: refused by validation, not by the database."""
    huge = await world.panel.service(
        name="Bulk", cost="0.000001", max_quantity=1_000_000_000, dripfeed=True
    )
    await world.panel.top_up(world.reseller, "1000000")
    caplog.set_level(logging.ERROR, logger="panel.api_v2")
    await refused(
        world,
        world.reseller,
        "Incorrect request",
        action="add",
        service=huge,
        link=LINK,
        quantity=1_000_000_000,
        runs=1000,
        interval=1,
    )
    assert not [record.getMessage() for record in caplog.records if record.levelno >= logging.ERROR]
