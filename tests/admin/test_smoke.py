from httpx import AsyncClient

from tests.conftest import Operator


async def test_operator_builds_a_priced_catalogue(client: AsyncClient, operator: Operator) -> None:
    h = operator.headers
    tier = (await client.post("/admin/v1/tiers", json={"name": "Gold"}, headers=h)).json()
    reseller = await client.post(
        "/admin/v1/accounts",
        json={"kind": "reseller", "name": "R", "tier_id": tier["id"]},
        headers=h,
    )
    assert reseller.status_code == 201, reseller.text
    rid = reseller.json()["id"]
    provider = await client.post(
        "/admin/v1/providers",
        json={"name": "Up", "api_url": "http://127.0.0.1:9/api/v2", "api_key": "s3cret"},
        headers=h,
    )
    assert provider.status_code == 201, provider.text
    assert "s3cret" not in provider.text
    ps = await client.put(
        f"/admin/v1/providers/{provider.json()['id']}/services",
        json={
            "external_id": "7",
            "name": "F",
            "rate": "1.00",
            "min_quantity": 10,
            "max_quantity": 1000,
        },
        headers=h,
    )
    assert ps.status_code == 200, ps.text
    svc = await client.post(
        "/admin/v1/services",
        json={"name": "Followers", "min_quantity": 10, "max_quantity": 1000},
        headers=h,
    )
    sid = svc.json()["id"]
    r = await client.put(
        f"/admin/v1/services/{sid}/routes",
        json={"provider_service_ids": [ps.json()["id"]]},
        headers=h,
    )
    assert r.status_code == 200, r.text
    rule = await client.post(
        "/admin/v1/price-rules", json={"tier_id": tier["id"], "markup_percent": "20"}, headers=h
    )
    assert rule.status_code == 201, rule.text
    prices = await client.get(f"/admin/v1/accounts/{rid}/prices", headers=h)
    assert prices.json() == [{"service_id": sid, "cost": "1", "rate": "1.2", "currency": "USD"}]
    top = await client.post(
        f"/admin/v1/accounts/{rid}/top-ups", json={"amount": "10.5", "reason": "bank"}, headers=h
    )
    assert top.status_code == 201, top.text
    assert top.json()["balance"] == "10.5"
    st = await client.get(f"/admin/v1/accounts/{rid}/statement", headers=h)
    assert st.json()["lines"][0]["balance_after"] == "10.5"
