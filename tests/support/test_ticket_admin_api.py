"""Tickets in `/admin/v1`: the operator's queue holds resellers' own tickets and the agencies'
tickets their reseller escalated, nothing else; answering, the upstream ticket id, closing,
canned replies and figures; bad input answered 4xx in problem JSON with nothing written."""

from typing import Any

from httpx import Response

from tests.fixtures.world import Panel, World
from tests.support.test_ticket_api import counts, nothing_written, opened, orders, refused


async def admin(panel: Panel, method: str, path: str, body: Any = None) -> Response:
    return await panel.client.request(
        method, f"/admin/v1{path}", json=body, headers=panel.operator.headers
    )


async def test_the_operator_sees_an_agency_s_ticket_only_once_escalated(world: World) -> None:
    panel = world.panel
    [order_id] = await orders(world, world.agency, 1)
    await panel.set_order(order_id, provider_id=panel.provider_id, upstream_id="41")
    ticket = await opened(
        world, world.agency, topic="order", reason="dropped", message="", order_ids=[order_id]
    )
    path = f"/tickets/{ticket['id']}"
    async with nothing_written(panel):
        for method, sub, body in (
            ("GET", "", None),
            ("POST", "/messages", {"body": "Dari pusat"}),
            ("POST", "/close", None),
            ("PUT", "/upstream-ticket", {"upstream_ticket": "UP-1"}),
        ):
            refused(await admin(panel, method, path + sub, body), 404)
        queue = (await admin(panel, "GET", "/tickets")).json()
        assert ticket["id"] not in [t["id"] for t in queue]

    # A reseller's own ticket is the operator's from the start.
    own = await opened(world, world.reseller, topic="account", reason="other", message="Key?")
    queue = (await admin(panel, "GET", "/tickets")).json()
    assert [t["id"] for t in queue] == [own["id"]]
    assert queue[0]["unread"] is True
    assert queue[0]["reseller_id"] == world.reseller.account_id

    escalated = await panel.v1(
        world.reseller, "POST", f"/tickets/{ticket['id']}/escalate", json={"note": "Upstream"}
    )
    assert escalated.status_code == 200, escalated.text
    queue = (await admin(panel, "GET", "/tickets?waiting_on=operator")).json()
    # Waiting on the operator, the one waiting longest (since its last change) first.
    assert [t["id"] for t in queue] == [own["id"], ticket["id"]]
    mine = (await admin(panel, "GET", f"/tickets?account_id={world.agency.account_id}")).json()
    assert [t["id"] for t in mine] == [ticket["id"]]

    shown = (await admin(panel, "GET", path)).json()
    assert [row["order_id"] for row in shown["orders"]] == [order_id]
    assert shown["orders"][0]["provider_id"] == panel.provider_id
    assert [(m["party"], m["author_id"]) for m in shown["messages"]] == [
        ("reseller", world.reseller.account_id)
    ]
    answer = await admin(panel, "POST", f"{path}/messages", {"body": "Sudah kami teruskan"})
    assert answer.status_code == 201, answer.text
    assert answer.json()["party"] == "operator"
    upstream = await admin(panel, "PUT", f"{path}/upstream-ticket", {"upstream_ticket": "UP-77"})
    assert upstream.json()["upstream_ticket"] == "UP-77", upstream.text

    seen = (await panel.v1(world.agency, "GET", path)).json()
    assert (seen["status"], seen["waiting_on"]) == ("answered", "buyer")
    assert [m["party"] for m in seen["messages"]] == ["reseller", "operator"]
    assert "UP-77" not in str(seen)  # the provider's ticket is the operator's business
    assert all("author_id" not in m for m in seen["messages"])

    closed = await admin(panel, "POST", f"{path}/close")
    assert closed.json()["status"] == "closed", closed.text
    async with nothing_written(panel):
        refused(await admin(panel, "POST", f"{path}/close"), 409)
        refused(await admin(panel, "POST", f"{path}/messages", {"body": "lagi"}), 409)
    assert [t["id"] for t in (await admin(panel, "GET", "/tickets?status=closed")).json()] == [
        ticket["id"]
    ]


async def test_canned_replies_and_figures_of_the_operator(world: World) -> None:
    panel = world.panel
    made = await admin(
        panel, "POST", "/canned-replies", {"title": "Upstream", "body": "Diteruskan"}
    )
    assert made.status_code == 201, made.text
    reseller_s = await panel.v1(
        world.reseller, "POST", "/canned-replies", json={"title": "Mine", "body": "Punya saya"}
    )
    listed = (await admin(panel, "GET", "/canned-replies")).json()
    assert [r["title"] for r in listed] == ["Upstream"]
    assert [
        r["title"] for r in (await panel.v1(world.reseller, "GET", "/canned-replies")).json()
    ] == ["Mine"]
    async with nothing_written(panel):
        refused(await admin(panel, "DELETE", f"/canned-replies/{reseller_s.json()['id']}"), 404)
        refused(
            await panel.v1(world.reseller, "DELETE", f"/canned-replies/{made.json()['id']}"), 404
        )
    gone = await admin(panel, "DELETE", f"/canned-replies/{made.json()['id']}")
    assert gone.status_code == 204, gone.text
    assert (await admin(panel, "GET", "/canned-replies")).json() == []

    await opened(world, world.agency, topic="account", reason="other", message="Hanya reseller")
    own = await opened(world, world.reseller, topic="payment", reason="other", message="Saldo?")
    await admin(panel, "POST", f"/tickets/{own['id']}/messages", {"body": "Sudah masuk"})
    await admin(panel, "POST", f"/tickets/{own['id']}/close")
    shown = (await admin(panel, "GET", "/support/figures")).json()
    # The agency's ticket is its reseller's: it does not count for the operator.
    assert (shown["tickets"], shown["open"]) == (1, 0)
    assert shown["first_human_answer"]["count"] == shown["resolution"]["count"] == 1
    assert shown["first_auto_answer"] == {"count": 0, "median_s": None, "p90_s": None}


async def test_bad_input_is_refused_and_writes_nothing(world: World) -> None:
    panel = world.panel
    own = await opened(world, world.reseller, topic="account", reason="other", message="Halo")
    path = f"/tickets/{own['id']}"
    before = await counts(panel)
    cases: list[tuple[str, str, Any, int]] = [
        ("POST", f"{path}/messages", {"body": ""}, 422),
        ("POST", f"{path}/messages", {"body": "   "}, 422),
        ("POST", f"{path}/messages", {"body": "x", "internal": True}, 422),
        ("POST", "/tickets/999999/messages", {"body": "x"}, 404),
        ("PUT", f"{path}/upstream-ticket", {"upstream_ticket": "x" * 101}, 422),
        ("PUT", f"{path}/upstream-ticket", {"upstream": "UP-1"}, 422),
        ("PUT", "/tickets/999999/upstream-ticket", {"upstream_ticket": "UP-1"}, 404),
        ("GET", "/tickets/999999", None, 404),
        ("GET", "/tickets?status=lost", None, 422),
        ("GET", "/tickets?account_id=0", None, 422),
        ("POST", "/canned-replies", {"title": "a", "body": ""}, 422),
        ("POST", "/canned-replies", {"title": "a", "body": "b", "owner_id": 1}, 422),
        ("DELETE", "/canned-replies/999999", None, 404),
    ]
    for method, where, body, status in cases:
        refused(await admin(panel, method, where, body), status)
    assert await counts(panel) == before
    # The upstream ticket id was never set by any of them.
    assert (await admin(panel, "GET", path)).json()["upstream_ticket"] is None
