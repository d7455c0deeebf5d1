"""Tickets in `/v1`: opening (by list, pasted ids and mass lines), reading, replying, closing,
escalating, canned replies and figures; who sees which ticket; bad input answered 4xx in
problem JSON with nothing written."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from httpx import Response
from sqlalchemy import text

from tests.fixtures.world import Caller, Panel, World

PROBLEM = "application/problem+json"
TABLES = ("ticket", "ticket_message", "ticket_order", "canned_reply")


async def counts(panel: Panel) -> dict[str, int]:
    async with panel.sessionmaker() as session:
        return {
            table: int(await session.scalar(text(f'SELECT count(*) FROM "{table}"')) or 0)
            for table in TABLES
        }


@asynccontextmanager
async def nothing_written(panel: Panel) -> AsyncIterator[None]:
    before = await counts(panel)
    yield
    assert await counts(panel) == before


def refused(answer: Response, status: int) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == PROBLEM
    body: dict[str, Any] = answer.json()
    return body


async def orders(world: World, caller: Caller, how_many: int) -> list[int]:
    return [
        await world.panel.order(
            caller, world.followers, link=f"https://instagram.com/t{i}", quantity=100
        )
        for i in range(how_many)
    ]


async def opened(world: World, caller: Caller, **body: Any) -> dict[str, Any]:
    answer = await world.panel.v1(caller, "POST", "/tickets", json=body)
    assert answer.status_code == 201, answer.text
    ticket: dict[str, Any] = answer.json()
    return ticket


async def test_an_agency_opens_reads_replies_and_closes(world: World) -> None:
    panel = world.panel
    first, second = await orders(world, world.agency, 2)
    ticket = await opened(
        world,
        world.agency,
        topic="order",
        reason="not_started",
        message="Belum jalan dari kemarin",
        order_ids=f"#{first}, {second}\n{first}",
    )
    assert ticket["account_id"] == world.agency.account_id
    assert (ticket["status"], ticket["waiting_on"]) == ("open", "automation")
    assert ticket["subject"] == f"not_started: {first}, {second}"
    assert "upstream_ticket" not in ticket
    assert "reseller_id" not in ticket

    shown = (await panel.v1(world.agency, "GET", f"/tickets/{ticket['id']}")).json()
    assert [row["order_id"] for row in shown["orders"]] == [first, second]
    assert [(m["party"], m["body"]) for m in shown["messages"]] == [
        ("buyer", "Belum jalan dari kemarin")
    ]
    assert all("provider_id" not in row for row in shown["orders"])

    # The reseller answers: the agency has one unread ticket until it reads it.
    answer = await panel.v1(
        world.reseller, "POST", f"/tickets/{ticket['id']}/messages", json={"body": "Dicek ya"}
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["party"] == "reseller"
    assert (await panel.v1(world.agency, "GET", "/tickets/unread")).json() == {"count": 1}
    listed = (await panel.v1(world.agency, "GET", "/tickets")).json()
    assert [(t["id"], t["unread"], t["status"]) for t in listed] == [
        (ticket["id"], True, "answered")
    ]
    await panel.v1(world.agency, "GET", f"/tickets/{ticket['id']}")
    assert (await panel.v1(world.agency, "GET", "/tickets/unread")).json() == {"count": 0}
    assert (await panel.v1(world.agency, "GET", "/tickets")).json()[0]["unread"] is False

    closed = await panel.v1(world.agency, "POST", f"/tickets/{ticket['id']}/close")
    assert closed.json()["status"] == "closed", closed.text
    assert closed.json()["resolved_at"] is not None
    listed = (await panel.v1(world.agency, "GET", "/tickets?status=closed")).json()
    assert [t["id"] for t in listed] == [ticket["id"]]
    assert (await panel.v1(world.agency, "GET", "/tickets?status=open")).json() == []
    async with nothing_written(panel):
        refused(await panel.v1(world.agency, "POST", f"/tickets/{ticket['id']}/close"), 409)
    # A reply from the buyer opens it again, waiting on its reseller.
    await panel.v1(
        world.agency, "POST", f"/tickets/{ticket['id']}/messages", json={"body": "Masih belum"}
    )
    again = (await panel.v1(world.agency, "GET", f"/tickets/{ticket['id']}")).json()
    assert (again["status"], again["waiting_on"]) == ("open", "reseller")


async def test_a_payment_ticket_goes_to_a_person_and_a_reseller_escalates(world: World) -> None:
    panel = world.panel
    ticket = await opened(
        world, world.agency, topic="payment", reason="other", message="Deposit belum masuk"
    )
    assert (ticket["topic"], ticket["waiting_on"], ticket["subject"]) == (
        "payment",
        "reseller",
        "payment",
    )
    listed = (await panel.v1(world.reseller, "GET", "/tickets?waiting_on=reseller")).json()
    assert [t["id"] for t in listed] == [ticket["id"]]
    assert listed[0]["unread"] is True

    answer = await panel.v1(
        world.reseller, "POST", f"/tickets/{ticket['id']}/escalate", json={"note": "Ke pusat"}
    )
    assert answer.status_code == 200, answer.text
    assert (answer.json()["escalated"], answer.json()["waiting_on"]) == (True, "operator")
    shown = (await panel.v1(world.agency, "GET", f"/tickets/{ticket['id']}")).json()
    assert [m["body"] for m in shown["messages"]] == ["Deposit belum masuk", "Ke pusat"]
    async with nothing_written(panel):
        refused(await panel.v1(world.reseller, "POST", f"/tickets/{ticket['id']}/escalate"), 409)

    # A reseller's own ticket already goes to the operator.
    own = await opened(world, world.reseller, topic="account", reason="other", message="API?")
    assert own["waiting_on"] == "operator"
    async with nothing_written(panel):
        refused(await panel.v1(world.reseller, "POST", f"/tickets/{own['id']}/escalate"), 409)


async def test_mass_lines_open_one_ticket_per_reason(world: World) -> None:
    panel = world.panel
    first, second, third, fourth = await orders(world, world.agency, 4)
    answer = await panel.v1(
        world.agency,
        "POST",
        "/tickets/mass",
        json={
            "lines": f"{first} refill\n\n{second} | cancel\n{third}\n#{fourth} isi ulang",
            "reason": "not_started",
        },
    )
    assert answer.status_code == 201, answer.text
    made = {t["reason"]: t for t in answer.json()}
    assert set(made) == {"dropped", "cancel", "not_started"}
    for reason, ids in (
        ("dropped", [first, fourth]),
        ("cancel", [second]),
        ("not_started", [third]),
    ):
        shown = (await panel.v1(world.agency, "GET", f"/tickets/{made[reason]['id']}")).json()
        assert [row["order_id"] for row in shown["orders"]] == ids
        assert shown["messages"] == []

    theirs = await orders(world, world.sibling, 1)
    bad = [
        f"{first}\n12a\nhello\n{second} slow\n{first} cancel",  # lines 2, 3 and 5
        f"{first}\n{theirs[0]} refill",  # line 2: the sibling's order
        "\n\n",
    ]
    async with nothing_written(panel):
        problems = [
            refused(
                await panel.v1(
                    world.agency, "POST", "/tickets/mass", json={"lines": lines, "reason": "slow"}
                ),
                422,
            )
            for lines in bad
        ]
    assert problems[0]["lines"] == [2, 3, 5]
    assert "line 5: order" in problems[0]["detail"]
    assert problems[1]["lines"] == [2]
    assert "lines" not in problems[2]


async def test_an_idempotency_key_replayed_opens_one_ticket(world: World) -> None:
    panel = world.panel
    [order_id] = await orders(world, world.agency, 1)
    body = {"topic": "order", "reason": "slow", "message": "", "order_ids": [order_id]}
    headers = {"Idempotency-Key": "ticket-1"}
    before = await counts(panel)
    first = await panel.v1(world.agency, "POST", "/tickets", json=body, headers=headers)
    again = await panel.v1(world.agency, "POST", "/tickets", json=body, headers=headers)
    assert first.status_code == again.status_code == 201, again.text
    assert first.content == again.content
    assert (await counts(panel))["ticket"] == before["ticket"] + 1
    other = {**body, "reason": "dropped"}
    async with nothing_written(panel):
        refused(await panel.v1(world.agency, "POST", "/tickets", json=other, headers=headers), 409)
    mass = {"lines": str(order_id), "reason": "cancel"}
    key = {"Idempotency-Key": "mass-1"}
    made = await panel.v1(world.agency, "POST", "/tickets/mass", json=mass, headers=key)
    replay = await panel.v1(world.agency, "POST", "/tickets/mass", json=mass, headers=key)
    assert made.status_code == replay.status_code == 201
    assert made.content == replay.content
    assert (await counts(panel))["ticket"] == before["ticket"] + 2


async def test_no_one_sees_or_posts_to_another_s_ticket(world: World) -> None:
    panel = world.panel
    [order_id] = await orders(world, world.agency, 1)
    ticket = await opened(
        world,
        world.agency,
        topic="order",
        reason="dropped",
        message="secret-of-a1",
        order_ids=[order_id],
    )
    own = await opened(
        world, world.reseller, topic="account", reason="other", message="secret-of-reseller-a"
    )
    stranger = await panel.account(
        kind="agency", name="Agency B1", parent_id=world.other.account_id
    )
    for caller, hidden in (
        (world.sibling, [ticket, own]),
        (stranger, [ticket, own]),
        (world.other, [ticket, own]),
        (world.agency, [own]),
    ):
        async with nothing_written(panel):
            for found in hidden:
                path = f"/tickets/{found['id']}"
                for method, sub, body in (
                    ("GET", "", None),
                    ("POST", "/messages", {"body": "hello"}),
                    ("POST", "/close", None),
                    ("POST", "/escalate", {"note": "up"}),
                ):
                    answer = await panel.v1(caller, method, path + sub, json=body)
                    refused(answer, 404)
                    assert "secret" not in answer.text
            for listing in ("/tickets", "/tickets?status=open", "/tickets?waiting_on=reseller"):
                shown = [t["id"] for t in (await panel.v1(caller, "GET", listing)).json()]
                assert not {found["id"] for found in hidden} & set(shown), (caller, listing)
            # Nothing of theirs is unread (an agency's own messages count as read).
            assert (await panel.v1(caller, "GET", "/tickets/unread")).json() == {"count": 0}
    assert [t["id"] for t in (await panel.v1(world.agency, "GET", "/tickets")).json()] == [
        ticket["id"]
    ]
    # Its reseller sees both, and reads the agency's.
    listed = (await panel.v1(world.reseller, "GET", "/tickets")).json()
    assert {t["id"] for t in listed} == {ticket["id"], own["id"]}
    assert (await panel.v1(world.reseller, "GET", "/tickets/unread")).json() == {"count": 1}
    read = await panel.v1(world.reseller, "GET", f"/tickets/{ticket['id']}")
    assert read.json()["messages"][0]["body"] == "secret-of-a1"


async def test_reseller_only_routes_are_not_an_agency_s(world: World) -> None:
    panel = world.panel
    async with nothing_written(panel):
        for method, path, body in (
            ("GET", "/canned-replies", None),
            ("POST", "/canned-replies", {"title": "Refill", "body": "Sudah diproses"}),
            ("DELETE", "/canned-replies/1", None),
            ("GET", "/support/figures", None),
        ):
            refused(await panel.v1(world.agency, method, path, json=body), 404)

    made = await panel.v1(
        world.reseller, "POST", "/canned-replies", json={"title": "Refill", "body": "Diproses"}
    )
    assert made.status_code == 201, made.text
    reply = made.json()
    assert [r["id"] for r in (await panel.v1(world.reseller, "GET", "/canned-replies")).json()] == [
        reply["id"]
    ]
    assert (await panel.v1(world.other, "GET", "/canned-replies")).json() == []
    async with nothing_written(panel):
        refused(await panel.v1(world.other, "DELETE", f"/canned-replies/{reply['id']}"), 404)
    gone = await panel.v1(world.reseller, "DELETE", f"/canned-replies/{reply['id']}")
    assert gone.status_code == 204, gone.text
    assert (await panel.v1(world.reseller, "GET", "/canned-replies")).json() == []

    ticket = await opened(world, world.agency, topic="account", reason="other", message="Halo")
    await panel.v1(world.reseller, "POST", f"/tickets/{ticket['id']}/messages", json={"body": "Ya"})
    shown = (await panel.v1(world.reseller, "GET", "/support/figures")).json()
    assert (shown["tickets"], shown["open"]) == (1, 1)
    assert shown["first_human_answer"]["count"] == 1
    assert shown["first_human_answer"]["median_s"] is not None
    assert shown["resolution"] == {"count": 0, "median_s": None, "p90_s": None}
    assert (await panel.v1(world.other, "GET", "/support/figures")).json()["tickets"] == 0


async def test_bad_input_is_refused_and_writes_nothing(world: World) -> None:
    panel = world.panel
    mine = await orders(world, world.agency, 1)
    theirs = await orders(world, world.sibling, 1)
    ticket = await opened(world, world.agency, topic="account", reason="other", message="Halo")
    order_ticket = {"topic": "order", "reason": "slow", "message": "", "order_ids": mine}
    too_many = list(range(1, 102))
    cases: list[tuple[Caller, str, str, Any, int, str]] = [
        (world.agency, "POST", "/tickets", {**order_ticket, "priority": "high"}, 422, ""),
        (world.agency, "POST", "/tickets", {**order_ticket, "lang": "fr"}, 422, ""),
        (world.agency, "POST", "/tickets", {**order_ticket, "order_ids": "12a"}, 422, "12a"),
        (world.agency, "POST", "/tickets", {**order_ticket, "order_ids": [0]}, 422, ""),
        (world.agency, "POST", "/tickets", {**order_ticket, "order_ids": []}, 422, "orders"),
        (world.agency, "POST", "/tickets", {**order_ticket, "order_ids": theirs}, 404, ""),
        (world.agency, "POST", "/tickets", {**order_ticket, "order_ids": too_many}, 422, ""),
        (
            world.agency,
            "POST",
            "/tickets",
            {**order_ticket, "order_ids": " ".join(map(str, too_many))},
            422,
            "at most",
        ),
        (
            world.agency,
            "POST",
            "/tickets",
            {"topic": "payment", "reason": "slow", "message": "Deposit?"},
            422,
            "reason other",
        ),
        (
            world.agency,
            "POST",
            "/tickets",
            {"topic": "payment", "reason": "other", "message": "   "},
            422,
            "write a message",
        ),
        (
            world.agency,
            "POST",
            "/tickets",
            {"topic": "account", "reason": "other", "message": "x", "order_ids": mine},
            422,
            "",
        ),
        (world.agency, "POST", "/tickets/mass", {"lines": "1", "reason": "x"}, 422, ""),
        (world.agency, "POST", "/tickets/mass", {"lines": f"{mine[0]}", "extra": 1}, 422, ""),
        (world.agency, "POST", f"/tickets/{ticket['id']}/messages", {"body": ""}, 422, ""),
        (world.agency, "POST", f"/tickets/{ticket['id']}/messages", {"body": " \n"}, 422, ""),
        (world.agency, "POST", f"/tickets/{ticket['id']}/messages", {"text": "hi"}, 422, ""),
        (world.agency, "POST", "/tickets/999999999/messages", {"body": "hi"}, 404, ""),
        (world.agency, "GET", "/tickets/0", None, 422, ""),
        (world.agency, "GET", "/tickets?waiting_on=nobody", None, 422, ""),
        (world.reseller, "POST", f"/tickets/{ticket['id']}/escalate", {"why": "x"}, 422, ""),
        (world.reseller, "POST", "/canned-replies", {"title": "", "body": "x"}, 422, ""),
        (world.reseller, "POST", "/canned-replies", {"title": "a", "body": "b", "x": 1}, 422, ""),
        (world.reseller, "DELETE", "/canned-replies/999999", None, 404, ""),
    ]
    async with nothing_written(panel):
        for caller, method, path, body, status, said in cases:
            answer = await panel.v1(caller, method, path, json=body)
            problem = refused(answer, status)
            assert said in problem["detail"], (path, body, problem)
