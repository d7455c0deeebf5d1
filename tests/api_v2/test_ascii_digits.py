"""Numbers are ASCII digits 0-9 on every surface. Python's int(), str.isdigit() and `\\d` also
take other scripts' digits ("１００" full-width, "٣" Arabic-Indic, "²"): an order of "１００"
must not become an order of 100. API v2 refuses them with its own texts, /v1 and /admin/v1 with
problem JSON, and nothing is written."""

from typing import Any

import pytest
from sqlalchemy import func, select

from panel.models import Account, Order
from panel.orders import mass
from tests.fixtures.world import World

LINK = "https://instagram.com/pasok"
FULL_WIDTH_100 = "\uff11\uff10\uff10"  # １００
ARABIC_INDIC_3 = "\u0663"  # ٣
SUPERSCRIPT_2 = "\u00b2"  # ²


async def refused(world: World, text: str, **params: Any) -> None:
    async with world.panel.unchanged():
        assert await world.panel.api(world.reseller, **params) == {"error": text}


@pytest.mark.parametrize(
    "fields",
    [
        {"quantity": FULL_WIDTH_100},
        {"quantity": "1" + FULL_WIDTH_100},
        {"quantity": f"{ARABIC_INDIC_3}00"},
        {"quantity": f"10{SUPERSCRIPT_2}"},
        {"quantity": "100", "runs": "\uff12", "interval": "10"},
        {"quantity": "100", "runs": "2", "interval": "\uff11\uff10"},
    ],
    ids=[
        "quantity-full-width",
        "quantity-mixed",
        "quantity-arabic-indic",
        "quantity-superscript",
        "runs-full-width",
        "interval-full-width",
    ],
)
async def test_add_with_other_digits_is_an_incorrect_request(
    world: World, fields: dict[str, str]
) -> None:
    await refused(
        world, "Incorrect request", action="add", service=world.followers, link=LINK, **fields
    )


async def test_the_same_add_in_ascii_digits_is_accepted(world: World) -> None:
    """The control: the requests above differ from an accepted one only by their digits."""
    await world.panel.order(
        world.reseller, world.followers, link=LINK, quantity="100", runs="2", interval="10"
    )


async def test_a_service_id_in_other_digits_is_an_incorrect_service(world: World) -> None:
    wide = "".join(chr(0xFF10 + int(digit)) for digit in str(world.followers))
    await refused(
        world, "Incorrect service ID", action="add", service=wide, link=LINK, quantity="100"
    )


async def test_order_ids_in_other_digits_name_no_order(world: World) -> None:
    order_id = await world.panel.order(world.reseller, world.followers, link=LINK, quantity=100)
    wide = "".join(chr(0xFF10 + int(digit)) for digit in str(order_id))
    await refused(world, "Incorrect order ID", action="status", order=wide)
    await refused(world, "Incorrect request", action="status", orders=f"{order_id},{wide}")
    await refused(world, "Incorrect order ID", action="refill", order=wide)
    await refused(world, "Incorrect request", action="cancel", orders=wide)
    await refused(world, "Refill not found", action="refill_status", refill=wide)
    await refused(world, "Incorrect request", action="refill_status", refills=wide)


async def test_a_mass_order_line_in_other_digits_is_refused_on_its_own(world: World) -> None:
    """`²` passes str.isdigit() but not int(): the line is refused, not the whole request."""
    panel = world.panel
    async with panel.sessionmaker() as session:
        buyer = await session.get_one(Account, world.reseller.account_id)
        lines = "\n".join(
            [
                f"{SUPERSCRIPT_2}|{LINK}|100",
                f"{FULL_WIDTH_100}|{LINK}|100",
                f"{world.followers}|{LINK}|{FULL_WIDTH_100}",
                f"{world.followers}|{LINK}/ok|100",
            ]
        )
        results = await mass.accept_lines(session, buyer, lines)
        assert [(r.line, r.error) for r in results] == [
            (1, "Incorrect request"),
            (2, "Incorrect request"),
            (3, "Incorrect request"),
            (4, None),
        ]
        assert await session.scalar(select(func.count()).select_from(Order)) == 1


@pytest.mark.parametrize(
    "body",
    [
        {"quantity": FULL_WIDTH_100},
        {"quantity": 100, "runs": "\uff12", "interval": 10},
        {"quantity": 100, "runs": 2, "interval": "\uff11\uff10"},
    ],
    ids=["quantity", "runs", "interval"],
)
async def test_v1_order_counts_in_other_digits_are_invalid(
    world: World, body: dict[str, Any]
) -> None:
    """pydantic's int already reads ASCII digits alone: kept so by this test."""
    async with world.panel.unchanged():
        answer = await world.panel.v1(
            world.reseller,
            "POST",
            "/orders",
            json={"service_id": world.followers, "link": LINK, **body},
        )
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"


async def test_v1_order_cursor_in_other_digits_is_invalid(world: World) -> None:
    answer = await world.panel.v1(world.reseller, "GET", "/orders", params={"cursor": "\uff19"})
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("amount", [FULL_WIDTH_100, f"1{ARABIC_INDIC_3}", "1e3", "1_000"])
async def test_money_in_other_digits_is_invalid_and_moves_nothing(
    world: World, amount: str
) -> None:
    panel = world.panel
    async with panel.unchanged():
        answer = await panel.client.post(
            f"/admin/v1/accounts/{world.other.account_id}/top-ups",
            json={"amount": amount, "reason": "bank"},
            headers=panel.operator.headers,
        )
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert "ASCII digits" in answer.json()["detail"]
