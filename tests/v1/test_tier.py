"""/v1/tier and its operator view: where a reseller stands and how it got there."""

from tests.fixtures.world import World

LINK = "https://instagram.com/pasok"


async def test_a_reseller_sees_its_tier_and_the_way_to_the_next(world: World) -> None:
    panel = world.panel
    platinum = await panel.admin("POST", "/tiers", {"name": "Platinum", "min_spend_90d": "50"})
    await panel.v1(
        world.reseller,
        "POST",
        "/orders",
        json={"service_id": world.followers, "link": LINK, "quantity": 10_000},
    )
    shown = (await panel.v1(world.reseller, "GET", "/tier")).json()
    assert shown["tier"]["name"] == "Gold"
    assert (shown["spend_90d"], shown["next_tier"]["id"], shown["spend_to_next"]) == (
        "12",
        platinum["id"],
        "38",
    )
    assert shown["currency"] == "USD"
    agency = await panel.v1(world.agency, "GET", "/tier")
    assert agency.status_code == 404


async def test_an_operator_sees_the_history(world: World) -> None:
    panel = world.panel
    silver = await panel.admin("POST", "/tiers", {"name": "Silver", "min_spend_90d": "0"})
    await panel.admin("PATCH", f"/accounts/{world.other.account_id}", {"tier_id": silver["id"]})
    shown = await panel.admin("GET", f"/accounts/{world.other.account_id}/tier")
    assert shown["tier"]["id"] == silver["id"]
    [change] = shown["history"]
    assert (change["from_tier_id"], change["to_tier_id"], change["reason"]) == (
        None,
        silver["id"],
        "set by an operator",
    )
    refused = await panel.client.get(
        f"/admin/v1/accounts/{world.agency.account_id}/tier", headers=panel.operator.headers
    )
    assert refused.status_code == 404
