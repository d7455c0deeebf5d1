"""The operator sets a reseller's brand through /admin/v1; the host then shows it."""

from httpx import AsyncClient

from tests.fixtures.world import World


def _brand(**changes: object) -> dict[str, object]:
    return {
        "name": "Toko Sosmed",
        "hosts": ["panel.toko.example", "Toko.example."],
        "primary_color": "#AA0000",
        "whatsapp_url": "https://wa.me/628123456789",
        "payment_instructions": "BCA 123 a.n. Toko",
    } | changes


async def test_a_brand_is_set_whole_and_shown_on_its_hosts(world: World) -> None:
    panel = world.panel
    path = f"/accounts/{world.reseller.account_id}/brand"
    made = await panel.admin("PUT", path, _brand())
    assert made["hosts"] == ["panel.toko.example", "toko.example"]
    assert made == await panel.admin("GET", path)
    replaced = await panel.admin("PUT", path, _brand(name="Toko Baru", hosts=["baru.example"]))
    assert (replaced["name"], replaced["hosts"]) == ("Toko Baru", ["baru.example"])


async def test_bad_brands_are_refused(world: World) -> None:
    panel = world.panel
    client: AsyncClient = panel.client
    headers = panel.operator.headers
    await panel.admin("PUT", f"/accounts/{world.reseller.account_id}/brand", _brand())
    for account_id, body, status in (
        (world.other.account_id, _brand(hosts=["toko.example"]), 409),  # another brand's host
        (world.agency.account_id, _brand(hosts=["agency.example"]), 422),  # not a reseller
        (world.other.account_id, _brand(primary_color="red"), 422),
        (world.other.account_id, _brand(hosts=["not a host"]), 422),
        (world.other.account_id, _brand(hosts=[]), 422),
        (world.other.account_id, _brand(name=" "), 422),
    ):
        async with panel.unchanged():
            answer = await client.put(
                f"/admin/v1/accounts/{account_id}/brand", json=body, headers=headers
            )
        assert answer.status_code == status, (body, answer.text)
    missing = await client.get(
        f"/admin/v1/accounts/{world.other.account_id}/brand", headers=headers
    )
    assert missing.status_code == 404
