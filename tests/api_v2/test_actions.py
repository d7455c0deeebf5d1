"""The actions of /api/v2 and their exact shapes (api-v2.md), seen by resellers and agencies."""

import asyncio
from decimal import Decimal
from typing import Any

import pytest

from panel.models import OrderStatus, RefillStatus
from panel.money import charge_for
from tests.fixtures.world import D, World

LINK = "https://instagram.com/pasok"


def pending(charge: str, quantity: int) -> dict[str, str]:
    # Nothing delivered yet: the whole quantity remains (a "0" would read as all delivered).
    return {
        "charge": charge,
        "start_count": "0",
        "status": "Pending",
        "remains": str(quantity),
        "currency": "USD",
    }


# services


async def test_services_at_a_resellers_own_rate(world: World) -> None:
    rows = await world.panel.api(world.reseller, action="services")
    # Pasok's quality figures come as extra keys, null before there are orders to measure.
    extra = {key: row.pop(key) for row in rows for key in list(row) if key.startswith("quality_")}
    assert len(extra) == 7 + 8  # delivery figures; complaints in all and for 7 reasons
    assert set(extra.values()) == {None}
    assert rows == [
        {
            "service": world.followers,
            "name": "Followers",
            "type": "Default",
            "category": "Instagram Followers",
            "rate": "1.2",
            "min": "10",
            "max": "10000",
            "refill": True,
            "cancel": True,
            "dripfeed": True,
            "description": "Real-looking profiles, 30 days refill",
        },
        {
            "service": world.likes,
            "name": "Likes",
            "type": "Default",
            "category": "Instagram Likes",
            "rate": "0.6",
            "min": "10",
            "max": "10000",
            "refill": False,
            "cancel": False,
            "dripfeed": False,
            "description": "",
        },
    ]


@pytest.mark.parametrize(
    ("who", "followers", "likes"),
    [
        ("reseller", "1.2", "0.6"),  # cost + the tier's 20%
        ("agency", "1.32", "0.66"),  # the reseller's rate + the reseller's 10% for agencies
        ("sibling", "1.32", "0.66"),
        ("other", "1", "0.5"),  # no tier, no rule: cost
    ],
)
async def test_services_show_each_callers_own_rate(
    world: World, who: str, followers: str, likes: str
) -> None:
    rows = await world.panel.api(getattr(world, who), action="services")
    assert {row["service"]: row["rate"] for row in rows} == {
        world.followers: followers,
        world.likes: likes,
    }


async def test_services_leave_out_what_cannot_be_ordered(world: World) -> None:
    await world.panel.service(name="Coming soon", routed=False)
    hidden = await world.panel.service(name="Retired")
    await world.panel.admin("PATCH", f"/services/{hidden}", {"enabled": False})
    rows = await world.panel.api(world.agency, action="services")
    assert [row["service"] for row in rows] == [world.followers, world.likes]


async def test_a_per_account_rule_changes_only_that_resellers_rate(world: World) -> None:
    await world.panel.admin(
        "POST",
        "/price-rules",
        {"account_id": world.other.account_id, "service_id": world.likes, "markup_fixed": "0.25"},
    )
    other = await world.panel.api(world.other, action="services")
    mine = await world.panel.api(world.reseller, action="services")
    assert [row["rate"] for row in other] == ["1", "0.75"]
    assert [row["rate"] for row in mine] == ["1.2", "0.6"]


# add and status


async def test_add_debits_the_wallet_and_status_shows_the_charge(world: World) -> None:
    order_id = await world.panel.order(world.reseller, world.followers, link=LINK, quantity=1234)
    assert await world.panel.balance(world.reseller) == D("98.5192")  # 1234 × 1.2 / 1000
    assert await world.panel.api(world.reseller, action="status", order=order_id) == pending(
        "1.4808", 1234
    )
    assert await world.panel.api(world.reseller, action="balance") == {
        "balance": "98.5192",
        "currency": "USD",
    }


async def test_charge_is_rounded_half_up(world: World) -> None:
    # 10 × 1.23445 / 1000 = 0.0123445: half-up gives 0.012345 where half-even would give 0.012344.
    precise = await world.panel.service(name="Precise", cost="1.23445")
    order_id = await world.panel.order(world.other, precise, link=LINK, quantity=10)
    assert await world.panel.balance(world.other) == D("49.987655")
    status = await world.panel.api(world.other, action="status", order=order_id)
    assert status["charge"] == "0.012345"


async def test_an_agency_pays_its_own_rate_and_its_reseller_sees_its_own(world: World) -> None:
    order_id = await world.panel.order(world.agency, world.followers, link=LINK, quantity=1000)
    assert await world.panel.balance(world.agency) == D("18.68")
    # The reseller's margin is credited when the order settles, never before.
    assert await world.panel.balance(world.reseller) == D("100")
    assert await world.panel.api(world.agency, action="status", order=order_id) == pending(
        "1.32", 1000
    )
    assert await world.panel.api(world.reseller, action="status", order=order_id) == pending(
        "1.2", 1000
    )


async def test_request_id_returns_the_same_order_and_charges_once(world: World) -> None:
    params: dict[str, Any] = {"link": LINK, "quantity": 1000, "request_id": "batch-7/line-1"}
    first = await world.panel.order(world.reseller, world.followers, **params)
    before = await world.panel.snapshot()
    again = await world.panel.order(world.reseller, world.followers, **params)
    assert again == first
    assert await world.panel.snapshot() == before
    assert await world.panel.balance(world.reseller) == D("98.8")

    other_line = await world.panel.order(
        world.reseller, world.followers, **{**params, "request_id": "batch-7/line-2"}
    )
    someone_else = await world.panel.order(world.agency, world.followers, **params)
    assert len({first, other_line, someone_else}) == 3
    assert await world.panel.balance(world.reseller) == D("97.6")


async def test_a_refused_request_id_can_be_used_again(world: World) -> None:
    expensive = await world.panel.service(name="Verified", cost="100")
    params: dict[str, Any] = {"link": LINK, "request_id": "retry-me"}
    refused = await world.panel.api(
        world.reseller, action="add", service=expensive, quantity=1000, **params
    )
    assert refused == {"error": "Not enough funds on balance"}
    order_id = await world.panel.order(world.reseller, expensive, quantity=100, **params)
    assert (await world.panel.row("order", order_id))["request_id"] == "retry-me"
    assert await world.panel.balance(world.reseller) == D("88")


async def test_concurrent_retries_with_one_request_id_make_one_order(live_world: World) -> None:
    world = live_world
    params = {"link": LINK, "quantity": 1000, "request_id": "flaky-network"}
    await world.panel.warm(world.reseller)
    answers = await asyncio.gather(
        *(
            world.panel.api(world.reseller, action="add", service=world.followers, **params)
            for _ in range(8)
        )
    )
    assert len({answer["order"] for answer in answers}) == 1, answers
    snapshot = await world.panel.snapshot()
    assert snapshot.counts["order"] == 1
    assert snapshot.wallets[world.reseller.account_id] == D("98.8")


async def test_concurrent_orders_never_overdraw_the_wallet(live_world: World) -> None:
    world = live_world
    # 20 orders of 6.00 against 50: eight fit, the rest are refused, none half-done.
    pricey = await world.panel.service(name="Pricey", cost="6")
    await world.panel.warm(world.other)
    answers = await asyncio.gather(
        *(
            world.panel.api(world.other, action="add", service=pricey, link=LINK, quantity=1000)
            for _ in range(20)
        )
    )
    accepted = [answer for answer in answers if "order" in answer]
    assert len(accepted) == 8, answers
    assert all(
        answer == {"error": "Not enough funds on balance"}
        for answer in answers
        if "order" not in answer
    )
    snapshot = await world.panel.snapshot()
    assert snapshot.counts["order"] == 8
    assert snapshot.wallets[world.other.account_id] == D("2")


async def test_without_request_id_each_add_is_a_new_order(world: World) -> None:
    first = await world.panel.order(world.reseller, world.followers, link=LINK, quantity=1000)
    second = await world.panel.order(world.reseller, world.followers, link=LINK, quantity=1000)
    assert first != second
    assert await world.panel.balance(world.reseller) == D("97.6")


async def test_drip_feed_bills_quantity_times_runs(world: World) -> None:
    order_id = await world.panel.order(
        world.reseller, world.followers, link=LINK, quantity=100, runs=3, interval=10
    )
    row = await world.panel.row("order", order_id)
    assert row["quantity"] == 300
    assert row["params"] == {"quantity": 100, "runs": 3, "interval": 10}
    assert row["charge"] == D("0.36")
    assert await world.panel.balance(world.reseller) == D("99.64")
    status = await world.panel.api(world.reseller, action="status", order=order_id)
    assert status["charge"] == "0.36"


@pytest.mark.parametrize(
    ("status", "shown"),
    [
        (OrderStatus.pending, "Pending"),
        (OrderStatus.submitting, "Processing"),
        (OrderStatus.in_progress, "In progress"),
        (OrderStatus.completed, "Completed"),
        (OrderStatus.partial, "Partial"),
        (OrderStatus.canceled, "Canceled"),
        (OrderStatus.failed, "Canceled"),
        (OrderStatus.needs_review, "Processing"),
    ],
)
async def test_status_shows_each_internal_state(
    world: World, status: OrderStatus, shown: str
) -> None:
    order_id = await world.panel.order(world.reseller, world.followers, link=LINK, quantity=1000)
    await world.panel.set_order(order_id, status=status.value, start_count=3572, remains=157)
    assert await world.panel.api(world.reseller, action="status", order=order_id) == {
        "charge": "1.2",
        "start_count": "3572",
        "status": shown,
        "remains": "157",
        "currency": "USD",
    }


async def test_every_internal_state_has_a_standard_spelling(world: World) -> None:
    order_id = await world.panel.order(world.reseller, world.followers, link=LINK, quantity=1000)
    standard = {"Pending", "In progress", "Processing", "Completed", "Partial", "Canceled"}
    for status in OrderStatus:
        await world.panel.set_order(order_id, status=status.value)
        shown = await world.panel.api(world.reseller, action="status", order=order_id)
        assert shown["status"] in standard, status


async def test_status_of_many_orders_keyed_by_id(world: World) -> None:
    mine = await world.panel.order(world.reseller, world.followers, link=LINK, quantity=1000)
    done = await world.panel.order(world.reseller, world.likes, link=LINK, quantity=500)
    await world.panel.set_order(done, status="partial", start_count=3572, remains=157)
    agencys = await world.panel.order(world.agency, world.followers, link=LINK, quantity=100)
    foreign = await world.panel.order(world.other, world.followers, link=LINK, quantity=100)

    answer = await world.panel.api(
        world.reseller,
        action="status",
        orders=f"{mine}, {done},{agencys},999999999,{foreign},{mine},",
    )
    assert answer == {
        str(mine): pending("1.2", 1000),
        str(done): {
            "charge": "0.3",
            "start_count": "3572",
            "status": "Partial",
            "remains": "157",
            "currency": "USD",
        },
        str(agencys): pending("0.12", 100),
        "999999999": {"error": "Incorrect order ID"},
        str(foreign): {"error": "Incorrect order ID"},
    }
    assert list(answer) == [str(mine), str(done), str(agencys), "999999999", str(foreign)]


async def test_status_of_a_hundred_orders(world: World) -> None:
    order_id = await world.panel.order(world.reseller, world.followers, link=LINK, quantity=1000)
    ids = [order_id, *range(10**9, 10**9 + 99)]
    answer = await world.panel.api(world.reseller, action="status", orders=",".join(map(str, ids)))
    assert len(answer) == 100
    assert answer[str(order_id)] == pending("1.2", 1000)


# cancel


async def test_cancel_of_a_pending_order_refunds_it_at_once(world: World) -> None:
    order_id = await world.panel.order(world.reseller, world.followers, link=LINK, quantity=1000)
    assert await world.panel.balance(world.reseller) == D("98.8")
    assert await world.panel.api(world.reseller, action="cancel", order=order_id) == [
        {"order": order_id, "cancel": 1}
    ]
    assert await world.panel.balance(world.reseller) == D("100")
    assert await world.panel.api(world.reseller, action="status", order=order_id) == {
        "charge": "1.2",
        "start_count": "0",
        "status": "Canceled",
        "remains": "1000",
        "currency": "USD",
    }


async def test_cancel_of_an_agencys_order_refunds_the_agency(world: World) -> None:
    order_id = await world.panel.order(world.agency, world.followers, link=LINK, quantity=1000)
    assert await world.panel.api(world.agency, action="cancel", orders=str(order_id)) == [
        {"order": order_id, "cancel": 1}
    ]
    assert await world.panel.balance(world.agency) == D("20")
    assert await world.panel.balance(world.reseller) == D("100")


async def test_a_reseller_cancels_its_agencys_order(world: World) -> None:
    order_id = await world.panel.order(world.agency, world.followers, link=LINK, quantity=1000)
    assert await world.panel.api(world.reseller, action="cancel", order=order_id) == [
        {"order": order_id, "cancel": 1}
    ]
    assert await world.panel.balance(world.agency) == D("20")


async def test_cancel_many_answers_each_order_in_turn(world: World) -> None:
    first = await world.panel.order(world.reseller, world.followers, link=LINK, quantity=1000)
    uncancelable = await world.panel.order(world.reseller, world.likes, link=LINK, quantity=1000)
    second = await world.panel.order(world.reseller, world.followers, link=LINK, quantity=500)
    assert await world.panel.balance(world.reseller) == D("97.6")
    answer = await world.panel.api(
        world.reseller, action="cancel", orders=f"9,{first},{uncancelable},{second}"
    )
    assert answer == [
        {"order": 9, "cancel": {"error": "Incorrect order ID"}},
        {"order": first, "cancel": 1},
        {"order": uncancelable, "cancel": {"error": "Cancel is disabled for this service"}},
        {"order": second, "cancel": 1},
    ]
    assert await world.panel.balance(world.reseller) == D("99.4")  # only the likes still paid


async def test_cancel_of_a_running_order_is_asked_of_the_upstream(world: World) -> None:
    order_id = await world.panel.order(world.reseller, world.followers, link=LINK, quantity=1000)
    await world.panel.set_order(order_id, status="in_progress", upstream_id="u-9")
    assert await world.panel.api(world.reseller, action="cancel", order=order_id) == [
        {"order": order_id, "cancel": 1}
    ]
    row = await world.panel.row("order", order_id)
    assert row["status"] == "in_progress"
    assert row["cancel_requested_at"] is not None
    assert await world.panel.balance(world.reseller) == D("98.8")  # refunded when it settles
    assert await world.panel.api(world.reseller, action="cancel", order=order_id) == [
        {"order": order_id, "cancel": {"error": "Order not eligible for cancel"}}
    ]


# refill


async def test_refill_of_a_completed_order(world: World) -> None:
    order_id = await world.panel.order(world.reseller, world.followers, link=LINK, quantity=1000)
    await world.panel.set_order(order_id, status="completed", upstream_id="u-1", remains=0)
    answer = await world.panel.api(world.reseller, action="refill", order=order_id)
    assert set(answer) == {"refill"}
    assert isinstance(answer["refill"], str)
    refill = await world.panel.row("refill", int(answer["refill"]))
    assert (refill["order_id"], refill["status"]) == (order_id, "pending")
    assert await world.panel.api(
        world.reseller, action="refill_status", refill=answer["refill"]
    ) == {"status": "Pending"}


async def test_refill_many_and_their_statuses(world: World) -> None:
    partial = await world.panel.order(world.reseller, world.followers, link=LINK, quantity=1000)
    await world.panel.set_order(partial, status="partial", upstream_id="u-1", remains=10)
    agencys = await world.panel.order(world.agency, world.followers, link=LINK, quantity=1000)
    await world.panel.set_order(agencys, status="completed", upstream_id="u-2", remains=0)

    answer = await world.panel.api(world.reseller, action="refill", orders=f"{partial},3,{agencys}")
    assert [item["order"] for item in answer] == [partial, 3, agencys]
    assert answer[1] == {"order": 3, "refill": {"error": "Incorrect order ID"}}
    first, second = answer[0]["refill"], answer[2]["refill"]
    assert isinstance(first, int)
    assert isinstance(second, int)

    statuses = await world.panel.api(
        world.reseller, action="refill_status", refills=f"{first},{second},424242"
    )
    assert statuses == [
        {"refill": first, "status": "Pending"},
        {"refill": second, "status": "Pending"},
        {"refill": 424242, "status": {"error": "Refill not found"}},
    ]
    # The agency sees the refill of its own order, not the reseller's.
    assert await world.panel.api(
        world.agency, action="refill_status", refills=f"{first},{second}"
    ) == [
        {"refill": first, "status": {"error": "Refill not found"}},
        {"refill": second, "status": "Pending"},
    ]


@pytest.mark.parametrize(
    ("status", "shown"),
    [
        (RefillStatus.pending, "Pending"),
        (RefillStatus.in_progress, "In progress"),
        (RefillStatus.completed, "Completed"),
        (RefillStatus.rejected, "Rejected"),
    ],
)
async def test_refill_status_shows_each_state(
    world: World, status: RefillStatus, shown: str
) -> None:
    order_id = await world.panel.order(world.reseller, world.followers, link=LINK, quantity=1000)
    await world.panel.set_order(order_id, status="completed", upstream_id="u-1", remains=0)
    refill = (await world.panel.api(world.reseller, action="refill", order=order_id))["refill"]
    await world.panel.execute(
        "UPDATE refill SET status = :status WHERE id = :id", status=status.value, id=int(refill)
    )
    assert await world.panel.api(world.reseller, action="refill_status", refill=refill) == {
        "status": shown
    }


# balance


async def test_balance_is_a_decimal_string(world: World) -> None:
    await world.panel.top_up(world.reseller, "0.84292")
    assert await world.panel.api(world.reseller, action="balance") == {
        "balance": "100.84292",
        "currency": "USD",
    }
    assert await world.panel.api(world.agency, action="balance") == {
        "balance": "20",
        "currency": "USD",
    }


async def test_an_empty_wallet_shows_zero(world: World) -> None:
    agency = await world.panel.account(
        kind="agency", name="New agency", parent_id=world.other.account_id
    )
    assert await world.panel.api(agency, action="balance") == {"balance": "0", "currency": "USD"}


# every service type of the standard

LINES = "Love it\nGreat post\nWow"
TYPES: list[tuple[str, dict[str, str], int, str, str]] = [
    # type, parameters, units billed, a parameter it needs, the refusal without it
    ("Default", {"link": LINK, "quantity": "100"}, 100, "quantity", "Incorrect request"),
    ("Package", {"link": LINK}, 1, "link", "Incorrect link"),
    (
        "SEO",
        {"link": LINK, "quantity": "100", "keywords": "smm panel\nbuy followers"},
        100,
        "keywords",
        "Incorrect request",
    ),
    (
        "Custom Comments",
        {"link": LINK, "comments": LINES, "quantity": "500"},  # quantity is the lines
        3,
        "comments",
        "Incorrect request",
    ),
    (
        "Custom Comments Package",
        {"link": LINK, "comments": LINES},
        1,
        "comments",
        "Incorrect request",
    ),
    (
        "Comment Replies",
        {"link": LINK, "username": "pasok", "comments": LINES},
        3,
        "username",
        "Incorrect request",
    ),
    (
        "Mentions",
        {"link": LINK, "quantity": "100", "usernames": "alice\nbob"},
        100,
        "usernames",
        "Incorrect request",
    ),
    (
        "Mentions with Hashtags",
        {"link": LINK, "quantity": "100", "usernames": "alice\nbob", "hashtags": "#a\n#b"},
        100,
        "hashtags",
        "Incorrect request",
    ),
    (
        "Mentions Custom List",
        {"link": LINK, "usernames": "alice\nbob\ncarol\ndave"},
        4,
        "usernames",
        "Incorrect request",
    ),
    (
        "Mentions Hashtag",
        {"link": LINK, "quantity": "100", "hashtag": "#smm"},
        100,
        "hashtag",
        "Incorrect request",
    ),
    (
        "Mentions User Followers",
        {"link": LINK, "quantity": "100", "username": "pasok"},
        100,
        "username",
        "Incorrect request",
    ),
    (
        "Comment Likes",
        {"link": LINK, "quantity": "100", "username": "pasok"},
        100,
        "username",
        "Incorrect request",
    ),
    (
        "Mentions Media Likers",
        {"link": LINK, "quantity": "100", "media": "https://instagram.com/p/Cx1"},
        100,
        "media",
        "Incorrect request",
    ),
    (
        "Poll",
        {"link": LINK, "quantity": "100", "answer_number": "2"},
        100,
        "answer_number",
        "Incorrect request",
    ),
    (
        "Subscriptions",
        {
            "username": "pasok",
            "min": "100",
            "max": "200",
            "posts": "5",
            "old_posts": "2",
            "delay": "30",
            "expiry": "31/12/2027",
        },
        200 * (5 + 2),  # billed at the most it can deliver
        "posts",
        "Incorrect request",
    ),
]


@pytest.mark.parametrize(
    ("kind", "params", "units", "needed", "refusal"), TYPES, ids=[row[0] for row in TYPES]
)
async def test_each_service_type(
    world: World, kind: str, params: dict[str, str], units: int, needed: str, refusal: str
) -> None:
    service = await world.panel.service(
        name=kind, type=kind, category="Types", min_quantity=1, max_quantity=10_000
    )
    rate = D("1.2")
    charge = rate if kind in ("Package", "Custom Comments Package") else charge_for(rate, units)

    without = {name: value for name, value in params.items() if name != needed}
    async with world.panel.unchanged():
        assert await world.panel.api(world.reseller, action="add", service=service, **without) == {
            "error": refusal
        }

    order_id = await world.panel.order(world.reseller, service, **params)
    row = await world.panel.row("order", order_id)
    assert (row["quantity"], row["charge"]) == (units, charge)
    assert set(params) - {"link", "quantity"} <= set(row["params"])
    assert await world.panel.balance(world.reseller) == D(100) - charge
    status = await world.panel.api(world.reseller, action="status", order=order_id)
    assert status["charge"] == _text(charge)
    listed = await world.panel.api(world.reseller, action="services")
    assert {"service": service, "type": kind}.items() <= next(
        row for row in listed if row["service"] == service
    ).items()


def _text(amount: Decimal) -> str:
    return format(amount.normalize(), "f")
