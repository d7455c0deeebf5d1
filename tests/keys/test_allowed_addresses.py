"""Keys limited to client addresses: refused from any other address on every API, each in its
own error format, and the last use's address recorded. API v2 checks the list it keeps with
the key, so the check costs no read; a change to the list is seen at once."""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import pytest
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient, Response
from sqlalchemy import event, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from panel.accounts import service as accounts
from panel.keys import service as keys
from panel.models import AccountKind, ApiKey, ApiKeyKind
from panel.plumbing.read_cache import ReadCache
from tests.conftest import AppFor, Operator
from tests.keys.test_keys import ADMIN, assert_problem, issue_via_api, reseller

ALLOWED = "203.0.113.7"
ELSEWHERE = "198.51.100.9"
REFUSED = {"error": keys.ADDRESS_REFUSED}


@asynccontextmanager
async def from_address(app: FastAPI, address: str) -> AsyncIterator[AsyncClient]:
    transport = ASGITransport(app=app, client=(address, 40000))
    async with AsyncClient(transport=transport, base_url="http://pasok.test") as client:
        yield client


@contextmanager
def key_reads(connection: AsyncConnection) -> Iterator[list[str]]:
    """The statements that read `api_key`, for as long as the block runs."""
    seen: list[str] = []

    def record(*args: Any) -> None:
        statement = str(args[2])
        if "FROM api_key" in statement:
            seen.append(statement)

    event.listen(connection.sync_connection, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(connection.sync_connection, "before_cursor_execute", record)


async def limited_key(client: AsyncClient, operator: Operator, *addresses: str) -> dict[str, Any]:
    account_id = await reseller(client, operator)
    issued = await issue_via_api(client, operator, account_id)
    answer = await client.put(
        f"{ADMIN}/keys/{issued['id']}/allowed-addresses",
        json={"allowed_addresses": list(addresses)},
        headers=operator.headers,
    )
    assert answer.status_code == 200, answer.text
    return {**issued, **answer.json()}


async def test_api_v2_refuses_a_key_from_another_address_in_its_own_format(
    app_for: AppFor,
    sessionmaker: async_sessionmaker[AsyncSession],
    client: AsyncClient,
    operator: Operator,
) -> None:
    issued = await limited_key(client, operator, ALLOWED, "2001:db8::/32")
    assert issued["allowed_addresses"] == [f"{ALLOWED}/32", "2001:db8::/32"]
    app = app_for(sessionmaker)
    form = {"key": issued["key"], "action": "balance"}
    async with from_address(app, ELSEWHERE) as elsewhere:
        refused = await elsewhere.post("/api/v2", data=form)
        assert (refused.status_code, refused.json()) == (200, REFUSED)
        by_header = await elsewhere.get(
            "/api/v2", params={"action": "balance"}, headers={"X-Api-Key": str(issued["key"])}
        )
        assert by_header.json() == REFUSED
    for address in (ALLOWED, "2001:db8::5", f"::ffff:{ALLOWED}"):
        async with from_address(app, address) as allowed:
            answer = await allowed.post("/api/v2", data=form)
            assert answer.status_code == 200
            assert "balance" in answer.json(), (address, answer.text)


async def test_api_v2_checks_the_kept_list_without_a_read_and_hears_a_change(
    app_for: AppFor,
    sessionmaker: async_sessionmaker[AsyncSession],
    connection: AsyncConnection,
    client: AsyncClient,
    operator: Operator,
) -> None:
    issued = await limited_key(client, operator)  # anywhere, for now
    app = app_for(sessionmaker)
    form = {"key": issued["key"], "action": "balance"}
    async with from_address(app, ELSEWHERE) as elsewhere, from_address(app, ALLOWED) as allowed:
        assert "balance" in (await elsewhere.post("/api/v2", data=form)).json()
        with key_reads(connection) as reads:
            assert "balance" in (await allowed.post("/api/v2", data=form)).json()
        assert reads == []  # the key is kept: no read of it per request

        limit = await client.put(
            f"{ADMIN}/keys/{issued['id']}/allowed-addresses",
            json={"allowed_addresses": [ALLOWED]},
            headers=operator.headers,
        )
        assert limit.status_code == 200, limit.text
        # The kept key is forgotten at the commit that limited it.
        assert (await elsewhere.post("/api/v2", data=form)).json() == REFUSED
        with key_reads(connection) as reads:
            assert (await elsewhere.post("/api/v2", data=form)).json() == REFUSED
            assert "balance" in (await allowed.post("/api/v2", data=form)).json()
        assert reads == []


async def test_v1_refuses_a_key_from_another_address_with_problem_json(
    app_for: AppFor,
    sessionmaker: async_sessionmaker[AsyncSession],
    client: AsyncClient,
    operator: Operator,
) -> None:
    issued = await limited_key(client, operator, "203.0.113.0/24")
    app = app_for(sessionmaker)
    headers = {"Authorization": f"Bearer {issued['key']}"}
    async with from_address(app, ELSEWHERE) as elsewhere:
        body = assert_problem(await elsewhere.get("/v1/balance", headers=headers), 403)
        assert body["detail"] == keys.ADDRESS_REFUSED
    async with from_address(app, ALLOWED) as allowed:
        assert (await allowed.get("/v1/balance", headers=headers)).status_code == 200


async def test_v1_finds_its_caller_as_api_v2_does_with_no_read_of_the_key(
    app_for: AppFor,
    sessionmaker: async_sessionmaker[AsyncSession],
    connection: AsyncConnection,
    client: AsyncClient,
    operator: Operator,
) -> None:
    issued = await limited_key(client, operator)
    app = app_for(sessionmaker)
    headers = {"Authorization": f"Bearer {issued['key']}"}
    async with from_address(app, ALLOWED) as caller:
        assert (await caller.get("/v1/balance", headers=headers)).status_code == 200
        with key_reads(connection) as reads:
            assert (await caller.get("/v1/balance", headers=headers)).status_code == 200
            assert (await caller.get("/v1/orders", headers=headers)).status_code == 200
        assert reads == []  # the key is kept: no read of it per request
        revoked = await client.post(f"{ADMIN}/keys/{issued['id']}/revoke", headers=operator.headers)
        assert revoked.is_success, revoked.text
        # The kept key is forgotten at the commit that revoked it.
        assert_problem(await caller.get("/v1/balance", headers=headers), 401)


async def test_an_operator_token_limited_to_an_address_refuses_another(
    app_for: AppFor,
    sessionmaker: async_sessionmaker[AsyncSession],
    client: AsyncClient,
    operator: Operator,
) -> None:
    async with sessionmaker() as session:
        token_id = await session.scalar(select(ApiKey.id).where(ApiKey.kind == "operator"))
    limit = await client.put(
        f"{ADMIN}/keys/{token_id}/allowed-addresses",
        json={"allowed_addresses": [ALLOWED]},
        headers=operator.headers,
    )
    assert limit.status_code == 200, limit.text
    app = app_for(sessionmaker)
    async with from_address(app, ELSEWHERE) as elsewhere:
        body = assert_problem(await elsewhere.get(f"{ADMIN}/tiers", headers=operator.headers), 403)
        assert body["detail"] == keys.ADDRESS_REFUSED
    async with from_address(app, ALLOWED) as allowed:
        assert (await allowed.get(f"{ADMIN}/tiers", headers=operator.headers)).status_code == 200


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(
            lambda c, key: c.get("/v1/balance", headers={"Authorization": f"Bearer {key}"}), id="v1"
        ),
        pytest.param(
            lambda c, key: c.post("/api/v2", data={"key": key, "action": "balance"}), id="api_v2"
        ),
    ],
)
async def test_the_last_use_and_its_address_are_recorded_and_shown(
    app_for: AppFor,
    sessionmaker: async_sessionmaker[AsyncSession],
    client: AsyncClient,
    operator: Operator,
    call: Callable[[AsyncClient, str], Awaitable[Response]],
) -> None:
    """Also when a refused call from elsewhere came first: the key it found is kept, and the
    allowed call after it, which finds the key kept, records the use all the same."""
    issued = await limited_key(client, operator, ALLOWED)
    assert (issued["last_used_at"], issued["last_used_from"]) == (None, None)
    app = app_for(sessionmaker)
    async with from_address(app, ELSEWHERE) as elsewhere:
        await call(elsewhere, issued["key"])  # refused: no use recorded
    listed = await client.get(
        f"{ADMIN}/accounts/{issued['account_id']}/keys", headers=operator.headers
    )
    assert listed.json()[0]["last_used_at"] is None
    async with from_address(app, ALLOWED) as allowed:
        answer = await call(allowed, issued["key"])
        assert answer.status_code == 200
        assert "balance" in answer.json(), answer.text
    listed = await client.get(
        f"{ADMIN}/accounts/{issued['account_id']}/keys", headers=operator.headers
    )
    assert listed.json()[0]["last_used_at"] is not None
    assert listed.json()[0]["last_used_from"] == ALLOWED


async def test_bad_addresses_are_refused_and_change_nothing(
    client: AsyncClient, operator: Operator, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    issued = await limited_key(client, operator, ALLOWED)
    for bad in (["10.0.0.300"], ["example.com"], [""], ["10.0.0.0/33"], ["10.0.0.1", "bad"]):
        answer = await client.put(
            f"{ADMIN}/keys/{issued['id']}/allowed-addresses",
            json={"allowed_addresses": bad},
            headers=operator.headers,
        )
        assert_problem(answer, 422)
    too_many = [f"10.0.{i // 250}.{i % 250}" for i in range(keys.MAX_ADDRESSES + 1)]
    answer = await client.put(
        f"{ADMIN}/keys/{issued['id']}/allowed-addresses",
        json={"allowed_addresses": too_many},
        headers=operator.headers,
    )
    assert_problem(answer, 422)
    missing = await client.put(
        f"{ADMIN}/keys/999999/allowed-addresses",
        json={"allowed_addresses": []},
        headers=operator.headers,
    )
    assert_problem(missing, 404)
    async with sessionmaker() as session:
        kept = await session.scalar(
            select(ApiKey.allowed_addresses).where(ApiKey.id == issued["id"])
        )
    assert [str(network) for network in kept or []] == [f"{ALLOWED}/32"]
    # A block with host bits set is read as its network, as providers' panels read it.
    answer = await client.put(
        f"{ADMIN}/keys/{issued['id']}/allowed-addresses",
        json={"allowed_addresses": ["10.1.2.3/24", "10.1.2.0/24"]},
        headers=operator.headers,
    )
    assert answer.json()["allowed_addresses"] == ["10.1.2.0/24"]


async def test_a_key_can_be_issued_already_limited(client: AsyncClient, operator: Operator) -> None:
    account_id = await reseller(client, operator)
    answer = await client.post(
        f"{ADMIN}/accounts/{account_id}/keys",
        json={"label": "server", "allowed_addresses": [ALLOWED]},
        headers=operator.headers,
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["allowed_addresses"] == [f"{ALLOWED}/32"]
    bad = await client.post(
        f"{ADMIN}/accounts/{account_id}/keys",
        json={"allowed_addresses": ["nowhere"]},
        headers=operator.headers,
    )
    assert_problem(bad, 422)
    listed = await client.get(f"{ADMIN}/accounts/{account_id}/keys", headers=operator.headers)
    assert len(listed.json()) == 1


async def test_a_list_changed_by_another_process_is_heard(
    committed: async_sessionmaker[AsyncSession], database_url: str
) -> None:
    async with committed() as session, session.begin():
        account = await accounts.create(session, kind=AccountKind.reseller, name="Heard")
        plaintext = (await keys.issue(session, account)).plaintext
    cache = ReadCache(heard=60, deaf=60)
    cache.listen(database_url)

    async def read() -> keys.Holder | None:
        async with committed() as session, session.begin():
            return await keys.authenticate(session, plaintext, ApiKeyKind.api, ALLOWED)

    try:
        for _ in range(100):
            if cache.hearing:
                break
            await asyncio.sleep(0.02)
        assert cache.hearing
        kept = await keys.kept(cache, plaintext, read)
        assert kept is not None
        assert kept.admits(ELSEWHERE)
        # As another api process would commit it: only PostgreSQL tells this one.
        async with committed() as session, session.begin():
            await session.execute(
                text("UPDATE api_key SET allowed_addresses = :allowed WHERE account_id = :id"),
                {"allowed": [f"{ALLOWED}/32"], "id": account.id},
            )
        for _ in range(100):
            kept = await keys.kept(cache, plaintext, read)
            if kept is not None and not kept.admits(ELSEWHERE):
                break
            await asyncio.sleep(0.02)
        assert kept is not None
        assert not kept.admits(ELSEWHERE)
        assert kept.admits(ALLOWED)
    finally:
        await cache.close()
