"""API keys and operator tokens: shown once, stored only as SHA-256, revocable, and each kind
opens only its own surface."""

import hashlib
import re

import pytest
from httpx import AsyncClient, Response
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from panel.accounts import service as accounts
from panel.keys import service as keys
from panel.models import Account, AccountKind, AccountStatus, ApiKey, ApiKeyKind
from tests.conftest import Operator

ADMIN = "/admin/v1"
Issued = dict[str, object]


def assert_problem(response: Response, status: int) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, object] = response.json()
    assert body["status"] == status
    assert body["title"]
    assert body["detail"]
    return body


async def reseller(client: AsyncClient, operator: Operator, name: str = "R") -> int:
    response = await client.post(
        f"{ADMIN}/accounts", json={"kind": "reseller", "name": name}, headers=operator.headers
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


async def issue_via_api(client: AsyncClient, operator: Operator, account_id: int) -> Issued:
    response = await client.post(
        f"{ADMIN}/accounts/{account_id}/keys", json={"label": "main"}, headers=operator.headers
    )
    assert response.status_code == 201, response.text
    body: Issued = response.json()
    return body


async def issue_direct(
    sessionmaker: async_sessionmaker[AsyncSession], account_id: int, label: str = "main"
) -> Issued:
    """Issue through the service the API calls, for tests about what happens afterwards."""
    async with sessionmaker.begin() as session:
        account = await session.get(Account, account_id)
        assert account is not None
        issued = await keys.issue(session, account, label)
    return {
        "id": issued.key.id,
        "key": issued.plaintext,
        "kind": issued.key.kind.value,
        "lookup_prefix": issued.key.lookup_prefix,
    }


async def every_stored_value(connection: AsyncConnection) -> list[tuple[str, str, str]]:
    """(table, column, value as text) for every non-null value of every column of every table
    in the public schema (text and varchar columns, and everything else cast to text)."""
    columns = (
        await connection.execute(
            text(
                "SELECT c.table_name, c.column_name FROM information_schema.columns c "
                "JOIN information_schema.tables t USING (table_schema, table_name) "
                "WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE' "
                "ORDER BY c.table_name, c.ordinal_position"
            )
        )
    ).all()
    assert columns, "no columns found"
    found = []
    for table, column in columns:
        rows = await connection.execute(
            text(f'SELECT "{column}"::text FROM "{table}" WHERE "{column}" IS NOT NULL')
        )
        found.extend((table, column, value) for (value,) in rows)
    return found


async def test_issuing_through_the_api_shows_the_key_once(
    client: AsyncClient, operator: Operator
) -> None:
    account_id = await reseller(client, operator)
    issued = await issue_via_api(client, operator, account_id)
    assert issued["account_id"] == account_id
    assert issued["kind"] == "api"
    assert issued["label"] == "main"
    assert issued["revoked_at"] is None
    assert issued["last_used_at"] is None
    plaintext = str(issued["key"])
    assert len(plaintext) >= 64  # 32 random bytes or more, hex
    assert plaintext.startswith(str(issued["lookup_prefix"]))

    listed = await client.get(f"{ADMIN}/accounts/{account_id}/keys", headers=operator.headers)
    assert listed.status_code == 200
    assert plaintext not in listed.text
    assert [key["id"] for key in listed.json()] == [issued["id"]]
    assert "key" not in listed.json()[0]


@pytest.mark.parametrize("through", ["api", "service"])
async def test_key_plaintext_is_stored_nowhere(
    client: AsyncClient,
    operator: Operator,
    connection: AsyncConnection,
    sessionmaker: async_sessionmaker[AsyncSession],
    through: str,
) -> None:
    account_id = await reseller(client, operator)
    if through == "api":
        issued = await issue_via_api(client, operator, account_id)
    else:
        issued = await issue_direct(sessionmaker, account_id)
    plaintext = str(issued["key"])
    # Use both, so that anything recorded on use is written too.
    async with sessionmaker.begin() as session:
        assert await keys.authenticate(session, plaintext, ApiKeyKind.api) is not None
    assert (await client.get(f"{ADMIN}/tiers", headers=operator.headers)).status_code == 200

    values = await every_stored_value(connection)
    assert {"api_key", "account"} <= {table for table, _, _ in values}
    for secret in (plaintext, operator.token, operator.token.removeprefix("op_")):
        leaks = [(table, column) for table, column, value in values if secret in value]
        assert not leaks, f"a key is stored in {leaks}"
    # Nor any 12 characters of the secret beyond its lookup prefix.
    for key in (plaintext, operator.token.removeprefix("op_")):
        secret_part = key[keys.PREFIX_LENGTH :]
        windows = {secret_part[i : i + 12] for i in range(len(secret_part) - 11)}
        leaks = [(t, c) for t, c, value in values if any(w in value for w in windows)]
        assert not leaks, f"part of a key's secret is stored in {leaks}"


async def test_stored_secret_is_the_sha256_hex(
    client: AsyncClient,
    operator: Operator,
    connection: AsyncConnection,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    account_id = await reseller(client, operator)
    issued = await issue_direct(sessionmaker, account_id)
    plaintext = str(issued["key"])
    row = (
        await connection.execute(
            text("SELECT secret_hash, lookup_prefix, kind FROM api_key WHERE id = :id"),
            {"id": issued["id"]},
        )
    ).one()
    assert row.secret_hash == hashlib.sha256(plaintext.encode()).hexdigest()
    assert re.fullmatch(r"[0-9a-f]{64}", row.secret_hash)
    assert row.lookup_prefix == plaintext[: keys.PREFIX_LENGTH]
    assert row.kind == "api"

    token_hash = (
        await connection.execute(
            text("SELECT secret_hash FROM api_key WHERE account_id = :id"),
            {"id": operator.account.id},
        )
    ).scalar_one()
    assert token_hash == hashlib.sha256(operator.token.encode()).hexdigest()


async def test_every_key_is_different(
    client: AsyncClient, operator: Operator, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    account_id = await reseller(client, operator)
    first = await issue_direct(sessionmaker, account_id)
    second = await issue_direct(sessionmaker, account_id)
    assert first["key"] != second["key"]
    assert first["lookup_prefix"] != second["lookup_prefix"]


async def test_revoked_key_is_refused(
    client: AsyncClient,
    operator: Operator,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    account_id = await reseller(client, operator)
    issued = await issue_direct(sessionmaker, account_id)
    kept = await issue_direct(sessionmaker, account_id)
    plaintext = str(issued["key"])
    async with sessionmaker.begin() as session:
        assert await keys.authenticate(session, plaintext, ApiKeyKind.api) is not None

    revoked = await client.post(f"{ADMIN}/keys/{issued['id']}/revoke", headers=operator.headers)
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["revoked_at"] is not None
    assert plaintext not in revoked.text

    async with sessionmaker.begin() as session:
        assert await keys.authenticate(session, plaintext, ApiKeyKind.api) is None
        # Only that key: the account's other key still opens.
        assert await keys.authenticate(session, str(kept["key"]), ApiKeyKind.api) is not None

    # Revoking again keeps the first time.
    again = await client.post(f"{ADMIN}/keys/{issued['id']}/revoke", headers=operator.headers)
    assert again.status_code == 200, again.text
    assert again.json()["revoked_at"] == revoked.json()["revoked_at"]

    missing = await client.post(f"{ADMIN}/keys/999999/revoke", headers=operator.headers)
    assert_problem(missing, 404)


async def test_revoked_operator_token_gets_401(
    client: AsyncClient, operator: Operator, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    second = await issue_direct(sessionmaker, operator.account.id)
    token = str(second["key"])
    headers = {"Authorization": f"Bearer {token}"}
    assert (await client.get(f"{ADMIN}/tiers", headers=headers)).status_code == 200

    revoked = await client.post(f"{ADMIN}/keys/{second['id']}/revoke", headers=operator.headers)
    assert revoked.status_code == 200, revoked.text

    assert_problem(await client.get(f"{ADMIN}/tiers", headers=headers), 401)
    assert_problem(
        await client.post(f"{ADMIN}/tiers", json={"name": "Sneaky"}, headers=headers), 401
    )
    tiers = await client.get(f"{ADMIN}/tiers", headers=operator.headers)
    assert tiers.status_code == 200  # the other token still opens
    assert tiers.json() == []  # and the refused request wrote nothing


async def test_reseller_key_cannot_open_the_admin_api(
    client: AsyncClient, operator: Operator, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    account_id = await reseller(client, operator)
    plaintext = str((await issue_direct(sessionmaker, account_id))["key"])
    headers = {"Authorization": f"Bearer {plaintext}"}
    assert_problem(await client.get(f"{ADMIN}/accounts", headers=headers), 401)
    assert_problem(
        await client.post(
            f"{ADMIN}/accounts/{account_id}/top-ups",
            json={"amount": "100", "reason": "free money"},
            headers=headers,
        ),
        401,
    )
    account = await client.get(f"{ADMIN}/accounts/{account_id}", headers=operator.headers)
    assert account.json()["balance"] == "0"


async def test_keys_of_one_kind_do_not_authenticate_as_the_other(
    client: AsyncClient,
    operator: Operator,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    account_id = await reseller(client, operator)
    plaintext = str((await issue_direct(sessionmaker, account_id))["key"])
    async with sessionmaker.begin() as session:
        assert await keys.authenticate(session, plaintext, ApiKeyKind.operator) is None
        assert await keys.authenticate(session, operator.token, ApiKeyKind.api) is None
        assert await keys.authenticate(session, operator.token, ApiKeyKind.operator) is not None
        assert await keys.authenticate(session, plaintext, ApiKeyKind.api) is not None


async def test_wrong_and_odd_keys_are_refused(
    client: AsyncClient,
    operator: Operator,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    account_id = await reseller(client, operator)
    plaintext = str((await issue_direct(sessionmaker, account_id))["key"])
    # Same lookup prefix, wrong secret.
    forged = plaintext[:-1] + ("0" if plaintext[-1] != "0" else "1")
    async with sessionmaker.begin() as session:
        for candidate in (forged, "", plaintext[:12], plaintext + "x" * 100, plaintext.upper()):
            assert await keys.authenticate(session, candidate, ApiKeyKind.api) is None
    for header in (f"Bearer {operator.token[:-1]}", "Bearer ", operator.token, "Basic abc"):
        assert_problem(await client.get(f"{ADMIN}/tiers", headers={"Authorization": header}), 401)
    assert_problem(await client.get(f"{ADMIN}/tiers"), 401)


async def test_last_used_at_is_set_on_use(
    client: AsyncClient,
    operator: Operator,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    account_id = await reseller(client, operator)
    issued = await issue_direct(sessionmaker, account_id)

    async def last_used(key_id: object) -> object:
        async with sessionmaker() as session:
            stored = await session.get(ApiKey, key_id)
            assert stored is not None
            return stored.last_used_at

    assert await last_used(issued["id"]) is None
    async with sessionmaker.begin() as session:
        assert await keys.authenticate(session, str(issued["key"]), ApiKeyKind.api) is not None
    assert await last_used(issued["id"]) is not None
    listed = await client.get(f"{ADMIN}/accounts/{account_id}/keys", headers=operator.headers)
    assert listed.json()[0]["last_used_at"] is not None

    # An operator token used through the API is recorded too.
    token = await issue_direct(sessionmaker, operator.account.id)
    assert await last_used(token["id"]) is None
    headers = {"Authorization": f"Bearer {token['key']}"}
    assert (await client.get(f"{ADMIN}/tiers", headers=headers)).status_code == 200
    assert await last_used(token["id"]) is not None


async def test_operator_tokens_start_with_op(
    client: AsyncClient, operator: Operator, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    assert operator.token.startswith("op_")
    token = await issue_direct(sessionmaker, operator.account.id)
    assert str(token["key"]).startswith("op_")
    assert token["kind"] == "operator"
    assert not str(token["lookup_prefix"]).startswith("op_")
    api_key = await issue_direct(sessionmaker, await reseller(client, operator))
    assert api_key["kind"] == "api"
    assert not str(api_key["key"]).startswith("op_")


async def test_operator_token_issued_through_the_api_starts_with_op(
    client: AsyncClient, operator: Operator
) -> None:
    issued = await issue_via_api(client, operator, operator.account.id)
    assert str(issued["key"]).startswith("op_")
    assert issued["kind"] == "operator"
    headers = {"Authorization": f"Bearer {issued['key']}"}
    assert (await client.get(f"{ADMIN}/tiers", headers=headers)).status_code == 200


async def test_keys_of_a_missing_account(client: AsyncClient, operator: Operator) -> None:
    assert_problem(
        await client.post(f"{ADMIN}/accounts/999999/keys", json={}, headers=operator.headers), 404
    )
    assert_problem(await client.get(f"{ADMIN}/accounts/999999/keys", headers=operator.headers), 404)


async def test_an_agency_key_stops_working_when_its_reseller_is_suspended(
    session: AsyncSession,
) -> None:
    reseller = await accounts.create(session, kind=AccountKind.reseller, name="R")
    agency = await accounts.create(
        session, kind=AccountKind.agency, name="A", parent_id=reseller.id
    )
    issued = await keys.issue(session, agency)
    assert await keys.authenticate(session, issued.plaintext, ApiKeyKind.api) is not None
    await accounts.update(session, reseller.id, status=AccountStatus.suspended)
    assert await keys.authenticate(session, issued.plaintext, ApiKeyKind.api) is None
