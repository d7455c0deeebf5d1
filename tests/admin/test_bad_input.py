"""Bad requests to /admin/v1: each gets a clear 4xx problem JSON and writes nothing."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from httpx import AsyncClient, Response
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from tests.conftest import Operator

ADMIN = "/admin/v1"
NO_AUTH: dict[str, str] = {}


@dataclass
class World:
    tier_id: int
    reseller_id: int  # balance 10
    other_reseller_id: int  # balance 0
    agency_id: int  # under reseller, balance 0
    operator_id: int
    provider_id: int
    provider_service_id: int
    service_id: int
    rule_id: int


async def created(response: Response) -> int:
    assert response.status_code in (200, 201), response.text
    return int(response.json()["id"])


@pytest.fixture
async def world(client: AsyncClient, operator: Operator) -> World:
    h = operator.headers
    tier_id = await created(await client.post(f"{ADMIN}/tiers", json={"name": "Gold"}, headers=h))
    reseller_id = await created(
        await client.post(
            f"{ADMIN}/accounts",
            json={"kind": "reseller", "name": "R", "tier_id": tier_id},
            headers=h,
        )
    )
    other_reseller_id = await created(
        await client.post(f"{ADMIN}/accounts", json={"kind": "reseller", "name": "R2"}, headers=h)
    )
    agency_id = await created(
        await client.post(
            f"{ADMIN}/accounts",
            json={"kind": "agency", "name": "A", "parent_id": reseller_id},
            headers=h,
        )
    )
    top_up = await client.post(
        f"{ADMIN}/accounts/{reseller_id}/top-ups",
        json={"amount": "10", "reason": "bank transfer"},
        headers=h,
    )
    assert top_up.status_code == 201, top_up.text
    provider_id = await created(
        await client.post(
            f"{ADMIN}/providers",
            json={"name": "Up", "api_url": "http://127.0.0.1:9/api/v2", "api_key": "s3cret"},
            headers=h,
        )
    )
    provider_service_id = await created(
        await client.put(
            f"{ADMIN}/providers/{provider_id}/services",
            json={"external_id": "1", "name": "F", "rate": "1", "max_quantity": 1000},
            headers=h,
        )
    )
    service_id = await created(
        await client.post(
            f"{ADMIN}/services", json={"name": "Followers", "max_quantity": 1000}, headers=h
        )
    )
    routes = await client.put(
        f"{ADMIN}/services/{service_id}/routes",
        json={"provider_service_ids": [provider_service_id]},
        headers=h,
    )
    assert routes.status_code == 200, routes.text
    rule_id = await created(
        await client.post(
            f"{ADMIN}/price-rules", json={"tier_id": tier_id, "markup_percent": "10"}, headers=h
        )
    )
    return World(
        tier_id,
        reseller_id,
        other_reseller_id,
        agency_id,
        operator.account.id,
        provider_id,
        provider_service_id,
        service_id,
        rule_id,
    )


async def snapshot(connection: AsyncConnection) -> dict[str, tuple[int, str]]:
    """Row count and a digest of the contents of every table."""
    tables = await connection.scalars(
        text(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
            "AND tablename <> 'alembic_version' ORDER BY tablename"
        )
    )
    found = {}
    for table in tables.all():
        row = (
            await connection.execute(
                text(
                    "SELECT count(*), "
                    "md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) "
                    f'FROM "{table}" t'
                )
            )
        ).one()
        found[table] = (row[0], row[1])
    return found


async def balances(connection: AsyncConnection) -> dict[str, str]:
    rows = await connection.execute(
        text("SELECT code, balance::text FROM ledger_account WHERE balance IS NOT NULL")
    )
    return {code: balance for code, balance in rows}


@dataclass(frozen=True)
class Case:
    method: str
    path: str  # formatted with the world's fields
    body: Callable[[World], Any] | None
    status: int | frozenset[int]
    auth: bool = True
    raw: bytes | None = None


def _money(amount: Any, reason: Any = "bank transfer") -> Callable[[World], Any]:
    return lambda w: {"amount": amount, "reason": reason}


TOP_UP = "/accounts/{reseller_id}/top-ups"
ADJUST = "/accounts/{reseller_id}/adjustments"

CASES: dict[str, Case] = {
    "top-up to an unknown account": Case("POST", "/accounts/999999/top-ups", _money("5"), 404),
    "top-up to an account id beyond int4": Case(
        "POST", "/accounts/2147483648/top-ups", _money("5"), 422
    ),
    "account read beyond int4": Case("GET", "/accounts/2147483648", None, 422),
    "top-up to an operator (no wallet)": Case(
        "POST", "/accounts/{operator_id}/top-ups", _money("5"), frozenset({404, 422})
    ),
    "top-up of zero": Case("POST", TOP_UP, _money("0"), 422),
    "top-up of zero as a number": Case("POST", TOP_UP, _money(0), 422),
    "top-up of a negative amount": Case("POST", TOP_UP, _money("-5"), 422),
    "top-up of a negative number": Case("POST", TOP_UP, _money(-5), 422),
    "top-up with 7 decimals": Case("POST", TOP_UP, _money("1.0000001"), 422),
    "top-up with 7 decimals as a number": Case("POST", TOP_UP, _money(1.0000001), 422),
    "top-up of more than the wallet can hold": Case("POST", TOP_UP, _money("1e20"), 422),
    "top-up that overflows the wallet": Case(
        "POST", TOP_UP, _money("99999999999999"), frozenset({409, 422})
    ),
    "top-up of abc": Case("POST", TOP_UP, _money("abc"), 422),
    "top-up of NaN": Case("POST", TOP_UP, _money("NaN"), 422),
    "top-up of Infinity": Case("POST", TOP_UP, _money("Infinity"), 422),
    "top-up of -Infinity": Case("POST", TOP_UP, _money("-Infinity"), 422),
    "top-up of true": Case("POST", TOP_UP, _money(True), 422),
    "top-up of null": Case("POST", TOP_UP, _money(None), 422),
    "top-up of an object": Case("POST", TOP_UP, _money({}), 422),
    "top-up of a list": Case("POST", TOP_UP, _money(["5"]), 422),
    "top-up of an empty string": Case("POST", TOP_UP, _money(""), 422),
    "top-up without an amount": Case("POST", TOP_UP, lambda w: {"reason": "bank"}, 422),
    "top-up without a reason": Case("POST", TOP_UP, lambda w: {"amount": "5"}, 422),
    "top-up with a blank reason": Case("POST", TOP_UP, _money("5", "   "), 422),
    "top-up with an empty reason": Case("POST", TOP_UP, _money("5", ""), 422),
    "top-up with a null reason": Case("POST", TOP_UP, _money("5", None), 422),
    "top-up with a misspelt field": Case(
        "POST", TOP_UP, lambda w: {"ammount": "5", "reason": "bank"}, 422
    ),
    "top-up with an extra field": Case(
        "POST", TOP_UP, lambda w: {"amount": "5", "reason": "bank", "ammount": "5"}, 422
    ),
    "top-up without auth": Case("POST", TOP_UP, _money("5"), 401, auth=False),
    "top-up with a broken JSON body": Case("POST", TOP_UP, None, 422, raw=b'{"amount": "5",'),
    "top-up with a JSON list body": Case("POST", TOP_UP, lambda w: [], 422),
    "adjustment of zero": Case("POST", ADJUST, _money("0"), 422),
    "adjustment below zero": Case("POST", ADJUST, _money("-10.000001"), 402),
    "adjustment of NaN": Case("POST", ADJUST, _money("NaN"), 422),
    "adjustment without a reason": Case("POST", ADJUST, lambda w: {"amount": "-1"}, 422),
    "adjustment without auth": Case("POST", ADJUST, _money("-1"), 401, auth=False),
    "agency funding beyond the reseller's balance": Case(
        "POST",
        "/agency-fundings",
        lambda w: {"agency_id": w.agency_id, "amount": "10.000001", "reason": "float"},
        402,
    ),
    "agency funding to a non-agency": Case(
        "POST",
        "/agency-fundings",
        lambda w: {"agency_id": w.other_reseller_id, "amount": "1", "reason": "float"},
        422,
    ),
    "agency funding to a missing account": Case(
        "POST",
        "/agency-fundings",
        lambda w: {"agency_id": 999999, "amount": "1", "reason": "float"},
        frozenset({404, 422}),
    ),
    "agency funding of a negative amount": Case(
        "POST",
        "/agency-fundings",
        lambda w: {"agency_id": w.agency_id, "amount": "-1", "reason": "claw back"},
        422,
    ),
    "agency without a parent": Case(
        "POST", "/accounts", lambda w: {"kind": "agency", "name": "Orphan"}, 422
    ),
    "agency under an agency": Case(
        "POST",
        "/accounts",
        lambda w: {"kind": "agency", "name": "Deep", "parent_id": w.agency_id},
        422,
    ),
    "agency under an operator": Case(
        "POST",
        "/accounts",
        lambda w: {"kind": "agency", "name": "Ops child", "parent_id": w.operator_id},
        422,
    ),
    "agency under a missing account": Case(
        "POST",
        "/accounts",
        lambda w: {"kind": "agency", "name": "Lost", "parent_id": 999999},
        frozenset({404, 422}),
    ),
    "reseller with a parent": Case(
        "POST",
        "/accounts",
        lambda w: {"kind": "reseller", "name": "Sub", "parent_id": w.reseller_id},
        422,
    ),
    "reseller in a missing tier": Case(
        "POST", "/accounts", lambda w: {"kind": "reseller", "name": "X", "tier_id": 999999}, 422
    ),
    "account of an unknown kind": Case(
        "POST", "/accounts", lambda w: {"kind": "admin", "name": "X"}, 422
    ),
    "account without a name": Case("POST", "/accounts", lambda w: {"kind": "reseller"}, 422),
    "account with a bad email": Case(
        "POST", "/accounts", lambda w: {"kind": "reseller", "name": "X", "email": "nope"}, 422
    ),
    "account status unknown": Case(
        "PATCH", "/accounts/{reseller_id}", lambda w: {"status": "deleted"}, 422
    ),
    "agency moved into a tier": Case(
        "PATCH", "/accounts/{agency_id}", lambda w: {"tier_id": w.tier_id}, 422
    ),
    "duplicate tier name": Case("POST", "/tiers", lambda w: {"name": "Gold"}, 409),
    "tier with a negative threshold": Case(
        "POST", "/tiers", lambda w: {"name": "Neg", "min_spend_90d": "-1"}, 422
    ),
    "tier renamed to a taken name": Case(
        "PATCH",
        "/tiers/{tier_id}",
        lambda w: {"name": "Gold"},  # its own name: allowed; see the next case for a clash
        200,
    ),
    "price rule for both an account and a tier": Case(
        "POST",
        "/price-rules",
        lambda w: {"account_id": w.reseller_id, "tier_id": w.tier_id, "markup_percent": "5"},
        422,
    ),
    "price rule for both a service and a category": Case(
        "POST",
        "/price-rules",
        lambda w: {"service_id": w.service_id, "category": "Followers", "markup_percent": "5"},
        422,
    ),
    "price rule duplicating a scope": Case(
        "POST", "/price-rules", lambda w: {"tier_id": w.tier_id, "markup_percent": "20"}, 409
    ),
    "price rule below -100%": Case(
        "POST", "/price-rules", lambda w: {"markup_percent": "-101"}, 422
    ),
    "price rule with a negative floor": Case(
        "POST", "/price-rules", lambda w: {"floor_margin": "-0.1"}, 422
    ),
    "price rule for a missing service": Case(
        "POST", "/price-rules", lambda w: {"service_id": 999999, "markup_percent": "5"}, 422
    ),
    "price rule for an agency from the operator": Case(
        "POST", "/price-rules", lambda w: {"account_id": w.agency_id, "markup_percent": "5"}, 422
    ),
    "price rule of a reseller for another's agency": Case(
        "POST",
        "/price-rules",
        lambda w: {"owner_id": w.other_reseller_id, "account_id": w.agency_id},
        422,
    ),
    "price rule of a reseller by tier": Case(
        "POST", "/price-rules", lambda w: {"owner_id": w.reseller_id, "tier_id": w.tier_id}, 422
    ),
    "deleting a missing price rule": Case("DELETE", "/price-rules/999999", None, 404),
    "routes to a missing provider service": Case(
        "PUT",
        "/services/{service_id}/routes",
        lambda w: {"provider_service_ids": [w.provider_service_id, 999999]},
        422,
    ),
    "routes repeating a provider service": Case(
        "PUT",
        "/services/{service_id}/routes",
        lambda w: {"provider_service_ids": [w.provider_service_id, w.provider_service_id]},
        422,
    ),
    "routes of a missing service": Case(
        "PUT",
        "/services/999999/routes",
        lambda w: {"provider_service_ids": [w.provider_service_id]},
        404,
    ),
    "service with min above max": Case(
        "POST", "/services", lambda w: {"name": "X", "min_quantity": 10, "max_quantity": 5}, 422
    ),
    "service update with min above max": Case(
        "PATCH", "/services/{service_id}", lambda w: {"min_quantity": 5000}, 422
    ),
    "provider service with a negative rate": Case(
        "PUT",
        "/providers/{provider_id}/services",
        lambda w: {"external_id": "2", "name": "X", "rate": "-1"},
        422,
    ),
    "provider service of a missing provider": Case(
        "PUT",
        "/providers/999999/services",
        lambda w: {"external_id": "2", "name": "X", "rate": "1"},
        404,
    ),
    "provider with a duplicate name": Case(
        "POST",
        "/providers",
        lambda w: {"name": "Up", "api_url": "http://127.0.0.1:9/api/v2", "api_key": "k"},
        409,
    ),
    "provider with a bad URL": Case(
        "POST",
        "/providers",
        lambda w: {"name": "Bad", "api_url": "ftp://example.com", "api_key": "k"},
        422,
    ),
    "provider update with a null key": Case(
        "PATCH", "/providers/{provider_id}", lambda w: {"api_key": None}, 422
    ),
    "provider update with a null URL": Case(
        "PATCH", "/providers/{provider_id}", lambda w: {"api_url": None}, 422
    ),
    "provider update with a null name": Case(
        "PATCH", "/providers/{provider_id}", lambda w: {"name": None}, 422
    ),
    "provider update with a null enabled": Case(
        "PATCH", "/providers/{provider_id}", lambda w: {"enabled": None}, 422
    ),
    "listing accounts of an unknown kind": Case("GET", "/accounts?kind=boss", None, 422),
    # PostgreSQL cannot store a NUL character in text: refused as input, never a 500.
    "top-up with a NUL in its reason": Case("POST", TOP_UP, _money("5", "bank\x00transfer"), 422),
    "provider named with a NUL": Case(
        "POST",
        "/providers",
        lambda w: {"name": "Up\x00", "api_url": "https://up.example/api/v2", "api_key": "k"},
        422,
    ),
    "statement with a zero cursor": Case(
        "GET", "/accounts/{reseller_id}/statement?before=0", None, 422
    ),
}
# The one valid request above checks the test itself; it is not a bad input.
del CASES["tier renamed to a taken name"]


@pytest.mark.parametrize("name", list(CASES))
async def test_bad_input_is_refused_and_writes_nothing(
    client: AsyncClient,
    operator: Operator,
    connection: AsyncConnection,
    world: World,
    name: str,
) -> None:
    case = CASES[name]
    before, wallets = await snapshot(connection), await balances(connection)
    assert wallets[f"wallet:{world.reseller_id}"] == "10.000000"

    headers = dict(operator.headers) if case.auth else dict(NO_AUTH)
    path = ADMIN + case.path.format(**vars(world))
    if case.raw is not None:
        headers["content-type"] = "application/json"
        response = await client.request(case.method, path, content=case.raw, headers=headers)
    elif case.body is not None:
        response = await client.request(case.method, path, json=case.body(world), headers=headers)
    else:
        response = await client.request(case.method, path, headers=headers)

    expected = case.status if isinstance(case.status, frozenset) else {case.status}
    assert response.status_code in expected, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == response.status_code
    assert isinstance(body["title"], str)
    assert body["title"].strip()
    assert isinstance(body["detail"], str)
    assert body["detail"].strip()
    if response.status_code == 402:
        assert body["title"] == "Insufficient funds"
    assert "s3cret" not in response.text

    assert await snapshot(connection) == before
    assert await balances(connection) == wallets


async def test_tier_renamed_to_a_taken_name(
    client: AsyncClient, operator: Operator, connection: AsyncConnection, world: World
) -> None:
    silver = await created(
        await client.post(f"{ADMIN}/tiers", json={"name": "Silver"}, headers=operator.headers)
    )
    before = await snapshot(connection)
    response = await client.patch(
        f"{ADMIN}/tiers/{silver}", json={"name": "Gold"}, headers=operator.headers
    )
    assert response.status_code == 409, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert await snapshot(connection) == before


async def test_the_snapshot_sees_a_write(
    client: AsyncClient, operator: Operator, connection: AsyncConnection, world: World
) -> None:
    """The check above would catch a write: a good request changes the snapshot."""
    before = await snapshot(connection)
    response = await client.post(
        f"{ADMIN}/accounts/{world.reseller_id}/adjustments",
        json={"amount": "-10", "reason": "refund to the bank"},
        headers=operator.headers,
    )
    assert response.status_code == 201, response.text
    after = await snapshot(connection)
    assert after != before
    assert after["journal"][0] == before["journal"][0] + 1
    assert after["entry"][0] == before["entry"][0] + 2
    assert (await balances(connection))[f"wallet:{world.reseller_id}"] == "0.000000"
