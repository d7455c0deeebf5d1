"""/v1/webhooks: a buyer's endpoints and their delivery log, its own and no one else's."""

from tests.fixtures.world import World

URL = "https://hooks.example.com/pasok"


async def test_an_endpoint_shows_its_secret_once_and_pings(world: World) -> None:
    panel = world.panel
    made = await panel.v1(world.agency, "POST", "/webhooks", json={"url": URL})
    assert made.status_code == 201, made.text
    endpoint = made.json()
    assert endpoint["secret"].startswith("whsec_")
    listed = (await panel.v1(world.agency, "GET", "/webhooks")).json()
    assert listed == [{k: v for k, v in endpoint.items() if k != "secret"}]

    ping = await panel.v1(world.agency, "POST", f"/webhooks/{endpoint['id']}/ping")
    assert ping.status_code == 202
    assert (ping.json()["event_type"], ping.json()["status"]) == ("ping", "pending")
    log = (await panel.v1(world.agency, "GET", f"/webhooks/{endpoint['id']}/deliveries")).json()
    assert [d["id"] for d in log] == [ping.json()["id"]]

    gone = await panel.v1(world.agency, "DELETE", f"/webhooks/{endpoint['id']}")
    assert gone.json()["enabled"] is False
    log = (await panel.v1(world.agency, "GET", f"/webhooks/{endpoint['id']}/deliveries")).json()
    assert [d["status"] for d in log] == ["failed"]  # not sent once disabled


async def test_another_account_s_endpoint_does_not_exist(world: World) -> None:
    panel = world.panel
    endpoint = (await panel.v1(world.agency, "POST", "/webhooks", json={"url": URL})).json()
    for caller in (world.reseller, world.sibling, world.other):
        for method, path in (
            ("POST", f"/webhooks/{endpoint['id']}/ping"),
            ("GET", f"/webhooks/{endpoint['id']}/deliveries"),
            ("DELETE", f"/webhooks/{endpoint['id']}"),
        ):
            answer = await panel.v1(caller, method, path)
            assert answer.status_code == 404, (method, path)
        assert (await panel.v1(caller, "GET", "/webhooks")).json() == []


async def test_bad_endpoints_are_refused(world: World) -> None:
    for body in (
        {"url": "ftp://x.example.com"},
        {"url": URL, "secret": "short"},
        {},
        {"url": URL, "x": 1},
    ):
        answer = await world.panel.v1(world.agency, "POST", "/webhooks", json=body)
        assert answer.status_code == 422, body
    assert (await world.panel.v1(world.agency, "GET", "/webhooks")).json() == []


async def test_a_receiver_on_a_private_address_is_refused_when_registered(world: World) -> None:
    for url in ("http://127.0.0.1:8080/hook", "http://localhost/hook", "http://[::1]/hook"):
        async with world.panel.unchanged():
            answer = await world.panel.v1(world.agency, "POST", "/webhooks", json={"url": url})
        assert answer.status_code == 422, url
        assert answer.headers["content-type"] == "application/problem+json"
        assert "PASOK_WEBHOOKS__ALLOW_PRIVATE_HOSTS" in answer.json()["detail"]
    assert (await world.panel.v1(world.agency, "GET", "/webhooks")).json() == []
