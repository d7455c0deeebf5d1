"""The operator's /admin/v1 brand reads host names by the same rule as the console's form."""

from httpx import AsyncClient

from tests.fixtures.world import World


def _brand(hosts: list[str]) -> dict[str, object]:
    return {"name": "Toko Sosmed", "hosts": hosts}


async def test_hosts_are_read_as_typed_and_bad_ones_write_nothing(world: World) -> None:
    panel = world.panel
    client: AsyncClient = panel.client
    path = f"/accounts/{world.reseller.account_id}/brand"
    made = await panel.admin(
        "PUT", path, _brand(["HTTPS://Toko.Example.co.id/login", "localhost", "bücher.example"])
    )
    assert made["hosts"] == ["localhost", "toko.example.co.id", "xn--bcher-kva.example"]
    for hosts, said in (
        (["10.0.0.1"], "“10.0.0.1” is an IP address. Type a host name, e.g. panel.example.co.id."),
        (["toko.example.co.id:8443"], "Type “toko.example.co.id” without the port (“:8443”)."),
        (["toko.example.co.id", "not a host"], "“not a host” is not a host name."),
    ):
        answer = await client.put(
            f"/admin/v1{path}", json=_brand(hosts), headers=panel.operator.headers
        )
        assert answer.status_code == 422, answer.text
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert answer.json()["detail"].startswith(said)
        assert await panel.admin("GET", path) == made
