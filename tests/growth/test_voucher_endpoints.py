"""Vouchers over the APIs: a reseller issues its own through /v1 and its agency names one in an
API v2 `add` or a /v1 order; the operator issues the panel's through /admin/v1 (in the action
log) and a reseller names it; a client that sends no voucher is answered as before; a voucher
that cannot be used is refused in each protocol's own format and writes nothing."""

from decimal import Decimal

from panel.orders import texts
from tests.fixtures.world import World

D = Decimal
LINK = "https://instagram.com/pasok"


async def test_a_resellers_voucher_through_v1_and_api_v2(world: World) -> None:
    panel = world.panel
    made = await panel.v1(
        world.reseller,
        "POST",
        "/vouchers",
        json={"code": "hemat-25", "kind": "percent", "value": "25", "max_uses": 2},
    )
    assert made.status_code == 201, made.text
    voucher = made.json()
    assert (voucher["code"], voucher["value"], voucher["uses"]) == ("HEMAT-25", "25", 0)
    again = await panel.v1(
        world.reseller, "POST", "/vouchers", json={"code": "HEMAT-25", "kind": "fixed", "value": 1}
    )
    assert again.status_code == 409
    for wrong in ({"kind": "percent", "value": "101"}, {"kind": "fixed", "value": "0"}):
        bad = await panel.v1(world.reseller, "POST", "/vouchers", json={"code": "X-1", **wrong})
        assert bad.status_code in (400, 422), bad.text
    scoped = {"code": "BOTH", "kind": "fixed", "value": "1", "service_id": world.likes}
    both = await panel.v1(
        world.reseller, "POST", "/vouchers", json={**scoped, "category": "Instagram Likes"}
    )
    assert both.status_code in (400, 422)
    other_agency = {"code": "YOURS", "kind": "fixed", "value": "1", "account_id": 999_999}
    assert (await panel.v1(world.reseller, "POST", "/vouchers", json=other_agency)).is_error
    for caller in (world.agency, world.other):
        listed = await panel.v1(caller, "GET", "/vouchers")
        assert listed.status_code == 404 if caller is world.agency else listed.json() == []

    # API v2: the agency's order names the voucher and pays 25% less; one without is as before.
    price = D("1.32")  # 1000 followers for the agency
    before = await panel.balance(world.agency)
    discounted = await panel.order(
        world.agency, world.followers, link=LINK, quantity=1000, voucher="hemat-25"
    )
    status = await panel.api(world.agency, action="status", order=discounted)
    assert D(status["charge"]) == D("0.99")
    plain = await panel.order(world.agency, world.followers, link=f"{LINK}/2", quantity=1000)
    assert D((await panel.api(world.agency, action="status", order=plain))["charge"]) == price
    assert await panel.balance(world.agency) == before - D("0.99") - price

    # /v1: the second use; the third is refused as a problem, writing nothing.
    body = {"service_id": world.followers, "link": f"{LINK}/3", "quantity": 1000}
    second = await panel.v1(world.agency, "POST", "/orders", json={**body, "voucher": "HEMAT-25"})
    assert second.status_code == 201, second.text
    assert D(second.json()["charge"]) == D("0.99")
    async with panel.unchanged():
        third = await panel.v1(
            world.agency,
            "POST",
            "/orders",
            json={**body, "link": f"{LINK}/4", "voucher": "HEMAT-25"},
        )
        assert third.status_code == 422, third.text
        assert third.json()["detail"] == texts.VOUCHER_USED_UP
        refused = await panel.api(
            world.agency,
            action="add",
            service=world.followers,
            link=f"{LINK}/5",
            quantity=1000,
            voucher="HEMAT-25",
        )
        assert refused == {"error": texts.VOUCHER_USED_UP}
        unknown = await panel.api(
            world.sibling,
            action="add",
            service=world.followers,
            link=LINK,
            voucher="NOPE",
            quantity=1000,
        )
        assert unknown == {"error": texts.INCORRECT_VOUCHER}

    listed = (await panel.v1(world.reseller, "GET", "/vouchers")).json()
    assert [(v["code"], v["uses"], v["discounted"]) for v in listed] == [("HEMAT-25", 2, "0.66")]
    off = await panel.v1(
        world.reseller, "PATCH", f"/vouchers/{voucher['id']}", json={"active": False}
    )
    assert off.json()["active"] is False
    taken = await panel.v1(
        world.other, "PATCH", f"/vouchers/{voucher['id']}", json={"active": True}
    )
    assert taken.status_code == 404


async def test_the_operators_voucher_is_for_resellers_and_in_the_action_log(world: World) -> None:
    panel = world.panel
    voucher = await panel.admin(
        "POST",
        "/vouchers",
        {"code": "PASOK", "kind": "fixed", "value": "0.2", "service_id": world.followers},
    )
    assert voucher["service_id"] == world.followers
    logged = await panel.admin("GET", "/actions?action=voucher.")
    assert [entry["action"] for entry in logged] == ["voucher.issue"]

    order = await panel.order(
        world.reseller, world.followers, link=LINK, quantity=1000, voucher="pasok"
    )
    status = await panel.api(world.reseller, action="status", order=order)
    assert D(status["charge"]) == D("1.2") - D("0.2")
    wrong_service = await panel.api(
        world.reseller, action="add", service=world.likes, link=LINK, quantity=1000, voucher="PASOK"
    )
    assert wrong_service == {"error": texts.VOUCHER_NOT_FOR_SERVICE}
    # An agency buys from its reseller, never with the panel's vouchers.
    for_agency = await panel.api(
        world.agency,
        action="add",
        service=world.followers,
        link=LINK,
        quantity=1000,
        voucher="PASOK",
    )
    assert for_agency == {"error": texts.INCORRECT_VOUCHER}
    [listed] = await panel.admin("GET", "/vouchers")
    assert (listed["uses"], listed["discounted"]) == (1, "0.2")
    await panel.admin("PATCH", f"/vouchers/{voucher['id']}", {"active": False})
    logged = await panel.admin("GET", "/actions?action=voucher.")
    assert sorted(entry["action"] for entry in logged) == [
        "voucher.change",
        "voucher.issue",
    ]
