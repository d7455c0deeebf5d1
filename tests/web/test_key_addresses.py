"""The API page limits a key to client addresses, and shows where it was last used from."""

import re

from httpx import AsyncClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from panel.keys import service as keys
from panel.models import ApiKey
from tests.fixtures.factories import World
from tests.web.conftest import sign_in, token


async def _limits(session: AsyncSession, key_id: int) -> list[str]:
    kept = await session.scalar(
        select(ApiKey.allowed_addresses)
        .where(ApiKey.id == key_id)
        .execution_options(populate_existing=True)
    )
    return [str(network) for network in kept or []]


async def test_an_agency_limits_its_key_to_addresses(
    world: World, web: AsyncClient, session: AsyncSession
) -> None:
    assert (await sign_in(web)).status_code == 303
    csrf = await token(web, "/api-access")
    issued = await web.post(
        "/api-access/keys",
        data={"label": "server", "allowed": "203.0.113.7\n198.51.100.0/24", "csrf": csrf},
    )
    assert issued.status_code == 200, issued.text
    key_id = await session.scalar(
        select(ApiKey.id).where(ApiKey.account_id == world.agency.id, ApiKey.label == "server")
    )
    assert key_id is not None
    assert await _limits(session, key_id) == ["203.0.113.7/32", "198.51.100.0/24"]
    page = await web.get("/api-access")
    assert "203.0.113.7/32, 198.51.100.0/24" in page.text

    bad = await web.post(
        f"/api-access/keys/{key_id}/addresses", data={"allowed": "10.0.0.1, nope", "csrf": csrf}
    )
    assert bad.status_code == 422
    assert "Tulis satu alamat IP atau blok CIDR per baris" in bad.text
    assert await _limits(session, key_id) == ["203.0.113.7/32", "198.51.100.0/24"]

    changed = await web.post(
        f"/api-access/keys/{key_id}/addresses", data={"allowed": "2001:db8::/32", "csrf": csrf}
    )
    assert (changed.status_code, changed.headers["location"]) == (303, "/api-access")
    assert await _limits(session, key_id) == ["2001:db8::/32"]
    cleared = await web.post(f"/api-access/keys/{key_id}/addresses", data={"csrf": csrf})
    assert cleared.status_code == 303
    assert await _limits(session, key_id) == []
    assert "semua alamat" in (await web.get("/api-access")).text


async def test_another_accounts_key_cannot_be_limited(
    world: World, web: AsyncClient, session: AsyncSession
) -> None:
    foreign = await keys.issue(session, world.reseller, "theirs")
    assert (await sign_in(web)).status_code == 303
    csrf = await token(web, "/api-access")
    answer = await web.post(
        f"/api-access/keys/{foreign.key.id}/addresses", data={"allowed": "10.0.0.1", "csrf": csrf}
    )
    assert answer.status_code == 404
    assert await _limits(session, foreign.key.id) == []


async def test_the_page_shows_the_address_of_the_last_use(
    world: World, web: AsyncClient, session: AsyncSession
) -> None:
    issued = await keys.issue(session, world.agency, "bot")
    assert await keys.authenticate(session, issued.plaintext, issued.key.kind, "192.0.2.44")
    assert (await sign_in(web)).status_code == 303
    page = await web.get("/api-access")
    assert re.search(r"dari <code>192\.0\.2\.44</code>", page.text)
