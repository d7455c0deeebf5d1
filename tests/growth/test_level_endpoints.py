"""Agency levels over /v1: the reseller keeps its levels and rules, the agency reads where it
stands, and neither reaches the other's side."""

from decimal import Decimal

from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from panel.keys import service as keys
from panel.models import Account
from tests.fixtures.factories import World, build_world


async def _headers(session: AsyncSession, account: Account) -> dict[str, str]:
    key = (await keys.issue(session, account)).plaintext
    await session.flush()
    return {"Authorization": f"Bearer {key}"}


async def test_a_reseller_sets_levels_and_its_agency_reads_its_standing(
    session: AsyncSession, client: AsyncClient
) -> None:
    world: World = await build_world(session)
    reseller = await _headers(session, world.reseller)
    agency = await _headers(session, world.agency)
    assert (await client.get("/v1/level", headers=agency)).status_code == 404  # no levels yet

    base = {"name": "Perunggu", "target": 0, "badge": "bronze"}
    made = await client.post("/v1/levels", json=base, headers=reseller)
    assert made.status_code == 201, made.text
    gold = {"name": "Emas", "target": 2000, "badge": "gold", "markup_percent": "10"}
    assert (await client.post("/v1/levels", json=gold, headers=reseller)).status_code == 201
    twice = await client.post("/v1/levels", json={**gold, "name": "Lain"}, headers=reseller)
    assert twice.status_code == 409
    assert (await client.post("/v1/levels", json=base, headers=agency)).status_code == 404
    rules = {"keep_percent": "40", "reset_days": 60}
    saved = await client.put("/v1/levels/rules", json=rules, headers=reseller)
    assert saved.json() == {"keep_percent": "40", "reset_days": 60, "point_credit": None}
    wrong = await client.put("/v1/levels/rules", json={**rules, "reset_days": 2}, headers=reseller)
    assert wrong.status_code == 422

    listed = (await client.get("/v1/levels", headers=agency)).json()
    assert [level["name"] for level in listed["levels"]] == ["Perunggu", "Emas"]
    assert listed["rules"] == {"keep_percent": "40.0000", "reset_days": 60, "point_credit": None}
    assert Decimal(listed["point_value"]) == 1000
    standing = (await client.get("/v1/level", headers=agency)).json()
    assert standing["level"]["name"] == "Perunggu"
    assert (standing["points"], standing["points_left"]) == (0, 2000)
    assert standing["next_level"]["name"] == "Emas"
    assert (await client.get("/v1/level", headers=reseller)).status_code == 404

    other = await _headers(session, world.other_reseller)
    emas = listed["levels"][1]["id"]
    assert (await client.delete(f"/v1/levels/{emas}", headers=other)).status_code == 404
    assert (await client.delete(f"/v1/levels/{emas}", headers=reseller)).status_code == 204
    assert len((await client.get("/v1/levels", headers=reseller)).json()["levels"]) == 1
