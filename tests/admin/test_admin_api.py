"""/admin/v1 end to end: accounts, keys, providers, statements, the audit, and the operational
endpoints, through the HTTP app on the test database."""

import re
from typing import Any

from httpx import ASGITransport, AsyncClient, Response
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from panel.accounts import service as accounts
from panel.keys import service as keys
from panel.models import Account, AccountKind, ApiKeyKind
from tests.conftest import AppFor, Operator

ADMIN = "/admin/v1"


def ok(response: Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


async def account(client: AsyncClient, operator: Operator, **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = ok(
        await client.post(f"{ADMIN}/accounts", json=fields, headers=operator.headers), 201
    )
    return body


async def test_accounts_list_filters_and_pages(client: AsyncClient, operator: Operator) -> None:
    h = operator.headers
    r1 = await account(client, operator, kind="reseller", name="R1", email="r1@example.com")
    r2 = await account(client, operator, kind="reseller", name="R2")
    a1 = await account(client, operator, kind="agency", name="A1", parent_id=r1["id"])
    a2 = await account(client, operator, kind="agency", name="A2", parent_id=r2["id"])
    a3 = await account(client, operator, kind="agency", name="A3", parent_id=r1["id"])
    assert a1["parent_id"] == r1["id"]
    assert a1["balance"] == "0"
    assert a1["currency"] == "USD"
    assert r1["email"] == "r1@example.com"
    assert r1["status"] == "active"

    def ids(rows: list[dict[str, Any]]) -> list[int]:
        return [row["id"] for row in rows]

    everyone = ok(await client.get(f"{ADMIN}/accounts", headers=h))
    assert ids(everyone) == sorted(ids(everyone))
    assert {r1["id"], r2["id"], a1["id"], a2["id"], a3["id"], operator.account.id} <= set(
        ids(everyone)
    )
    operator_row = next(row for row in everyone if row["id"] == operator.account.id)
    assert operator_row["kind"] == "operator"
    assert operator_row["balance"] is None

    resellers = ok(await client.get(f"{ADMIN}/accounts", params={"kind": "reseller"}, headers=h))
    assert {row["kind"] for row in resellers} == {"reseller"}
    assert {r1["id"], r2["id"]} <= set(ids(resellers))
    assert not {a1["id"], a2["id"], a3["id"]} & set(ids(resellers))

    under_r1 = ok(await client.get(f"{ADMIN}/accounts", params={"parent_id": r1["id"]}, headers=h))
    assert ids(under_r1) == [a1["id"], a3["id"]]
    both = ok(
        await client.get(
            f"{ADMIN}/accounts", params={"kind": "agency", "parent_id": r2["id"]}, headers=h
        )
    )
    assert ids(both) == [a2["id"]]
    none = ok(
        await client.get(
            f"{ADMIN}/accounts", params={"kind": "reseller", "parent_id": r1["id"]}, headers=h
        )
    )
    assert none == []

    # Pages of two, following the `after` cursor, give everything once, in order.
    paged: list[int] = []
    after = 0
    while True:
        page = ok(
            await client.get(f"{ADMIN}/accounts", params={"after": after, "limit": 2}, headers=h)
        )
        assert len(page) <= 2
        if not page:
            break
        paged.extend(ids(page))
        after = page[-1]["id"]
    assert paged == ids(everyone)
    agencies_after_a1 = ok(
        await client.get(
            f"{ADMIN}/accounts", params={"kind": "agency", "after": a1["id"]}, headers=h
        )
    )
    assert ids(agencies_after_a1) == [a2["id"], a3["id"]]

    one = ok(await client.get(f"{ADMIN}/accounts/{a3['id']}", headers=h))
    assert one["name"] == "A3"
    assert one["parent_id"] == r1["id"]


async def test_suspended_account_key_is_refused(
    client: AsyncClient, operator: Operator, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    reseller = await account(client, operator, kind="reseller", name="R")
    async with sessionmaker.begin() as session:
        owner = await session.get(Account, reseller["id"])
        assert owner is not None
        plaintext = (await keys.issue(session, owner, "main")).plaintext

    async def opens() -> bool:
        async with sessionmaker.begin() as session:
            return await keys.authenticate(session, plaintext, ApiKeyKind.api) is not None

    assert await opens()
    suspended = ok(
        await client.patch(
            f"{ADMIN}/accounts/{reseller['id']}",
            json={"status": "suspended"},
            headers=operator.headers,
        )
    )
    assert suspended["status"] == "suspended"
    assert not await opens()
    shown = ok(await client.get(f"{ADMIN}/accounts/{reseller['id']}", headers=operator.headers))
    assert shown["status"] == "suspended"

    active = ok(
        await client.patch(
            f"{ADMIN}/accounts/{reseller['id']}",
            json={"status": "active", "name": "R renamed"},
            headers=operator.headers,
        )
    )
    assert (active["status"], active["name"]) == ("active", "R renamed")
    assert await opens()


async def test_account_tier_change_reprices(client: AsyncClient, operator: Operator) -> None:
    h = operator.headers
    gold = ok(await client.post(f"{ADMIN}/tiers", json={"name": "Gold"}, headers=h), 201)
    silver = ok(
        await client.post(
            f"{ADMIN}/tiers", json={"name": "Silver", "min_spend_90d": "100"}, headers=h
        ),
        201,
    )
    assert silver["min_spend_90d"] == "100"
    renamed = ok(
        await client.patch(
            f"{ADMIN}/tiers/{silver['id']}",
            json={"name": "Platinum", "min_spend_90d": "500.5"},
            headers=h,
        )
    )
    assert (renamed["name"], renamed["min_spend_90d"]) == ("Platinum", "500.5")
    tiers = ok(await client.get(f"{ADMIN}/tiers", headers=h))
    assert [tier["name"] for tier in tiers] == ["Gold", "Platinum"]

    provider = ok(
        await client.post(
            f"{ADMIN}/providers",
            json={"name": "Up", "api_url": "http://127.0.0.1:9/api/v2", "api_key": "k"},
            headers=h,
        ),
        201,
    )
    ps = ok(
        await client.put(
            f"{ADMIN}/providers/{provider['id']}/services",
            json={"external_id": "1", "name": "F", "rate": "2", "max_quantity": 100},
            headers=h,
        )
    )
    svc = ok(await client.post(f"{ADMIN}/services", json={"name": "S"}, headers=h), 201)
    ok(
        await client.put(
            f"{ADMIN}/services/{svc['id']}/routes",
            json={"provider_service_ids": [ps["id"]]},
            headers=h,
        )
    )
    for tier, percent in ((gold, "10"), (renamed, "5")):
        ok(
            await client.post(
                f"{ADMIN}/price-rules",
                json={"tier_id": tier["id"], "markup_percent": percent},
                headers=h,
            ),
            201,
        )
    reseller = await account(client, operator, kind="reseller", name="R", tier_id=gold["id"])
    prices = ok(await client.get(f"{ADMIN}/accounts/{reseller['id']}/prices", headers=h))
    assert prices == [{"service_id": svc["id"], "cost": "2", "rate": "2.2", "currency": "USD"}]

    moved = ok(
        await client.patch(
            f"{ADMIN}/accounts/{reseller['id']}", json={"tier_id": renamed["id"]}, headers=h
        )
    )
    assert moved["tier_id"] == renamed["id"]
    prices = ok(await client.get(f"{ADMIN}/accounts/{reseller['id']}/prices", headers=h))
    assert prices[0]["rate"] == "2.1"


async def test_catalogue_and_rules(client: AsyncClient, operator: Operator) -> None:
    h = operator.headers
    provider = ok(
        await client.post(
            f"{ADMIN}/providers",
            json={"name": "Up", "api_url": "http://127.0.0.1:9/api/v2", "api_key": "k"},
            headers=h,
        ),
        201,
    )
    first = ok(
        await client.put(
            f"{ADMIN}/providers/{provider['id']}/services",
            json={"external_id": "1", "name": "F", "rate": "1.5", "max_quantity": 100},
            headers=h,
        )
    )
    # The same external id again refreshes the row rather than adding one.
    refreshed = ok(
        await client.put(
            f"{ADMIN}/providers/{provider['id']}/services",
            json={"external_id": "1", "name": "F2", "rate": "1.75", "max_quantity": 100},
            headers=h,
        )
    )
    assert refreshed["id"] == first["id"]
    assert (refreshed["name"], refreshed["rate"]) == ("F2", "1.75")
    second = ok(
        await client.put(
            f"{ADMIN}/providers/{provider['id']}/services",
            json={"external_id": "2", "name": "G", "rate": "3", "max_quantity": 100},
            headers=h,
        )
    )
    listed = ok(await client.get(f"{ADMIN}/providers/{provider['id']}/services", headers=h))
    assert [row["id"] for row in listed] == [first["id"], second["id"]]

    svc = ok(
        await client.post(
            f"{ADMIN}/services",
            json={"name": "S", "category": "Followers", "max_quantity": 50},
            headers=h,
        ),
        201,
    )
    patched = ok(
        await client.patch(f"{ADMIN}/services/{svc['id']}", json={"name": "S2"}, headers=h)
    )
    assert (patched["name"], patched["category"], patched["max_quantity"]) == (
        "S2",
        "Followers",
        50,
    )
    assert svc["id"] in [row["id"] for row in ok(await client.get(f"{ADMIN}/services", headers=h))]

    routes = ok(
        await client.put(
            f"{ADMIN}/services/{svc['id']}/routes",
            json={"provider_service_ids": [second["id"], first["id"]]},
            headers=h,
        )
    )
    expected = [
        {"service_id": svc["id"], "provider_service_id": second["id"], "position": 0},
        {"service_id": svc["id"], "provider_service_id": first["id"], "position": 1},
    ]
    assert routes == expected
    assert ok(await client.get(f"{ADMIN}/services/{svc['id']}/routes", headers=h)) == expected

    reseller = await account(client, operator, kind="reseller", name="R")
    agency = await account(client, operator, kind="agency", name="A", parent_id=reseller["id"])
    operator_rule = ok(
        await client.post(
            f"{ADMIN}/price-rules",
            json={"category": "Followers", "markup_percent": "10", "floor_margin": "0.05"},
            headers=h,
        ),
        201,
    )
    reseller_rule = ok(
        await client.post(
            f"{ADMIN}/price-rules",
            json={"owner_id": reseller["id"], "account_id": agency["id"], "markup_fixed": "0.1"},
            headers=h,
        ),
        201,
    )
    assert operator_rule["markup_percent"] == "10"
    assert reseller_rule["markup_fixed"] == "0.1"
    assert [r["id"] for r in ok(await client.get(f"{ADMIN}/price-rules", headers=h))] == [
        operator_rule["id"]
    ]
    mine = ok(
        await client.get(f"{ADMIN}/price-rules", params={"owner_id": reseller["id"]}, headers=h)
    )
    assert [r["id"] for r in mine] == [reseller_rule["id"]]

    agency_prices = ok(await client.get(f"{ADMIN}/accounts/{agency['id']}/prices", headers=h))
    assert agency_prices == [
        {"service_id": svc["id"], "cost": "3", "rate": "3.4", "currency": "USD"}
    ]

    deleted = await client.delete(f"{ADMIN}/price-rules/{operator_rule['id']}", headers=h)
    assert deleted.status_code == 204
    assert ok(await client.get(f"{ADMIN}/price-rules", headers=h)) == []
    again = await client.delete(f"{ADMIN}/price-rules/{operator_rule['id']}", headers=h)
    assert again.status_code == 404
    reseller_prices = ok(await client.get(f"{ADMIN}/accounts/{reseller['id']}/prices", headers=h))
    assert reseller_prices[0]["rate"] == "3"


async def test_provider_key_never_leaves_the_panel(
    client: AsyncClient, operator: Operator, connection: AsyncConnection
) -> None:
    h = operator.headers
    created = await client.post(
        f"{ADMIN}/providers",
        json={"name": "Up", "api_url": "http://127.0.0.1:9/api/v2", "api_key": "first-s3cret"},
        headers=h,
    )
    body = ok(created, 201)
    assert "api_key" not in body
    assert "first-s3cret" not in created.text
    pid = body["id"]

    patched = await client.patch(
        f"{ADMIN}/providers/{pid}",
        json={"api_key": "second-s3cret", "name": "Upstream", "enabled": False},
        headers=h,
    )
    patched_body = ok(patched)
    assert "api_key" not in patched_body
    assert "s3cret" not in patched.text
    assert (patched_body["name"], patched_body["enabled"]) == ("Upstream", False)

    url_only = await client.patch(
        f"{ADMIN}/providers/{pid}", json={"api_url": "http://127.0.0.2:9/api/v2"}, headers=h
    )
    assert ok(url_only)["api_url"] == "http://127.0.0.2:9/api/v2"
    assert "s3cret" not in url_only.text

    listed = await client.get(f"{ADMIN}/providers", headers=h)
    assert all("api_key" not in row for row in ok(listed))
    assert "s3cret" not in listed.text

    # The new key is kept (the panel needs it to call upstream), the URL change did not wipe it.
    stored = (
        await connection.execute(text("SELECT api_key FROM provider WHERE id = :id"), {"id": pid})
    ).scalar_one()
    assert stored == "second-s3cret"


async def test_statement_newest_first_with_running_balance(
    client: AsyncClient, operator: Operator
) -> None:
    h = operator.headers
    reseller = await account(client, operator, kind="reseller", name="R")
    agency = await account(client, operator, kind="agency", name="A", parent_id=reseller["id"])
    rid = reseller["id"]
    moves = [
        (f"{ADMIN}/accounts/{rid}/top-ups", {"amount": "10", "reason": "wire 1"}),
        (f"{ADMIN}/accounts/{rid}/adjustments", {"amount": "-3.5", "reason": "fee"}),
        (f"{ADMIN}/accounts/{rid}/top-ups", {"amount": "5.000001", "reason": "wire 2"}),
        (
            f"{ADMIN}/agency-fundings",
            {"agency_id": agency["id"], "amount": "2", "reason": "float for A"},
        ),
    ]
    for path, body in moves:
        ok(await client.post(path, json=body, headers=h), 201)

    statement = ok(await client.get(f"{ADMIN}/accounts/{rid}/statement", headers=h))
    assert statement["account_id"] == rid
    assert statement["currency"] == "USD"
    assert statement["balance"] == "9.500001"
    assert statement["next_before"] is None
    lines = statement["lines"]
    assert [
        (line["kind"], line["reason"], line["amount"], line["balance_after"]) for line in lines
    ] == [
        ("agency_funding", "float for A", "-2", "9.500001"),
        ("topup", "wire 2", "5.000001", "11.500001"),
        ("adjustment", "fee", "-3.5", "6.5"),
        ("topup", "wire 1", "10", "10"),
    ]
    entry_ids = [line["entry_id"] for line in lines]
    assert entry_ids == sorted(entry_ids, reverse=True)
    assert all(line["order_id"] is None for line in lines)

    # Pages of two, following `next_before`.
    first = ok(
        await client.get(f"{ADMIN}/accounts/{rid}/statement", params={"limit": 2}, headers=h)
    )
    assert first["lines"] == lines[:2]
    assert first["next_before"] == lines[1]["entry_id"]
    second = ok(
        await client.get(
            f"{ADMIN}/accounts/{rid}/statement",
            params={"limit": 2, "before": first["next_before"]},
            headers=h,
        )
    )
    assert second["lines"] == lines[2:]  # balance_after is over all entries, not the page
    rest = (
        ok(
            await client.get(
                f"{ADMIN}/accounts/{rid}/statement",
                params={"limit": 2, "before": second["next_before"]},
                headers=h,
            )
        )
        if second["next_before"] is not None
        else {"lines": [], "next_before": None}
    )
    assert rest["lines"] == []
    assert rest["next_before"] is None
    three = ok(
        await client.get(f"{ADMIN}/accounts/{rid}/statement", params={"limit": 3}, headers=h)
    )
    last = ok(
        await client.get(
            f"{ADMIN}/accounts/{rid}/statement",
            params={"limit": 3, "before": three["next_before"]},
            headers=h,
        )
    )
    assert last["lines"] == lines[3:]
    assert last["next_before"] is None

    agency_statement = ok(await client.get(f"{ADMIN}/accounts/{agency['id']}/statement", headers=h))
    assert agency_statement["balance"] == "2"
    assert [(x["kind"], x["amount"], x["balance_after"]) for x in agency_statement["lines"]] == [
        ("agency_funding", "2", "2")
    ]
    shown = ok(await client.get(f"{ADMIN}/accounts/{rid}", headers=h))
    assert shown["balance"] == "9.500001"


async def test_audit_endpoint(app_for: AppFor, committed: async_sessionmaker[AsyncSession]) -> None:
    """Committed data: the audit reads its own snapshot on a connection of its own, as in
    production (ledger.audit_runner)."""
    async with committed.begin() as session:
        staff = await accounts.create(session, kind=AccountKind.operator, name="Ops")
        h = {"Authorization": f"Bearer {(await keys.issue(session, staff, 'tests')).plaintext}"}
    app = app_for(committed)
    async with AsyncClient(
        transport=ASGITransport(app=app), base_url="http://pasok.test"
    ) as client:
        reseller = ok(
            await client.post(
                f"{ADMIN}/accounts", json={"kind": "reseller", "name": "R"}, headers=h
            ),
            201,
        )
        ok(
            await client.post(
                f"{ADMIN}/accounts/{reseller['id']}/top-ups",
                json={"amount": "7", "reason": "wire"},
                headers=h,
            ),
            201,
        )
        for full in ("false", "true"):
            assert ok(await client.get(f"{ADMIN}/ledger/audit?full={full}", headers=h)) == {
                "clean": True,
                "breaches": [],
            }
        metrics = await client.get("/metrics")
        assert re.search(r"^pasok_ledger_audit_breaches 0(\.0)?$", metrics.text, re.MULTILINE)

        # Tamper with the cached balance behind the ledger's back: the audit says so.
        async with committed.begin() as session:
            await session.execute(
                text("UPDATE ledger_account SET balance = balance + 1 WHERE owner_id = :id"),
                {"id": reseller["id"]},
            )
        for full in ("false", "true"):
            report = ok(await client.get(f"{ADMIN}/ledger/audit?full={full}", headers=h))
            assert report["clean"] is False
            assert report["breaches"] == [
                {
                    "invariant": "cached_equals_summed",
                    "subject": f"wallet:{reseller['id']}",
                    "detail": report["breaches"][0]["detail"],
                }
            ]
            assert "cached 8" in report["breaches"][0]["detail"]
            assert "sum to 7" in report["breaches"][0]["detail"]
        metrics = await client.get("/metrics")
        assert re.search(r"^pasok_ledger_audit_breaches 1(\.0)?$", metrics.text, re.MULTILINE)

        no_auth = await client.get(f"{ADMIN}/ledger/audit")
        assert no_auth.status_code == 401


async def test_health_readiness_and_metrics(client: AsyncClient, operator: Operator) -> None:
    health = await client.get("/healthz")
    assert ok(health) == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ok(ready) == {"ready": True, "database": "ok", "redis": "ok"}

    ok(await client.get(f"{ADMIN}/tiers", headers=operator.headers))
    metrics = await client.get("/metrics")
    assert metrics.status_code == 200
    assert metrics.headers["content-type"].startswith("text/plain")
    assert "# TYPE pasok_http_requests_total counter" in metrics.text
    assert re.search(
        r'^pasok_http_requests_total\{method="GET",route="/admin/v1/tiers",status="200"\} \d',
        metrics.text,
        re.MULTILINE,
    )
    assert "pasok_http_request_seconds" in metrics.text


async def test_every_response_carries_a_request_id(client: AsyncClient, operator: Operator) -> None:
    h = operator.headers
    responses = [
        await client.get("/healthz"),
        await client.get("/readyz"),
        await client.get("/metrics"),
        await client.get(f"{ADMIN}/tiers", headers=h),
        await client.get(f"{ADMIN}/tiers"),  # 401
        await client.get(f"{ADMIN}/accounts/999999", headers=h),  # 404
        await client.post(f"{ADMIN}/tiers", json={}, headers=h),  # 422
        await client.get("/no/such/path"),  # 404 from the router
    ]
    seen = set()
    for response in responses:
        rid = response.headers.get("x-request-id")
        assert rid, f"{response.request.url} answered without x-request-id"
        seen.add(rid)
    assert len(seen) == len(responses)  # a fresh id for each request

    given = "trace-abc-123"
    for response in (
        await client.get("/healthz", headers={"X-Request-ID": given}),
        await client.get(f"{ADMIN}/tiers", headers={**h, "X-Request-ID": given}),
        await client.get(f"{ADMIN}/tiers", headers={"X-Request-ID": given}),
    ):
        assert response.headers["x-request-id"] == given
