"""What API v2 keeps between calls: forgotten at once when this process commits a change to
where it came from, within its time to live otherwise, and read once for many waiting."""

import asyncio
import gzip
import json
from collections.abc import Awaitable, Callable

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from panel.accounts import service as accounts
from panel.catalogue.offer import kept_list
from panel.keys import service as keys
from panel.models import Account, AccountKind, AccountStatus, ApiKey, ApiKeyKind
from panel.plumbing.read_cache import ReadCache


async def _reseller(committed: async_sessionmaker[AsyncSession]) -> tuple[Account, str]:
    async with committed() as session, session.begin():
        reseller = await accounts.create(session, kind=AccountKind.reseller, name="Kept")
        return reseller, (await keys.issue(session, reseller)).plaintext


def _authenticate(
    committed: async_sessionmaker[AsyncSession], key: str, reads: list[int]
) -> Callable[[], Awaitable[keys.Holder | None]]:
    async def read() -> keys.Holder | None:
        reads.append(1)
        async with committed() as session, session.begin():
            return await keys.authenticate(session, key, ApiKeyKind.api)

    return read


async def test_a_change_committed_here_is_seen_at_once(
    committed: async_sessionmaker[AsyncSession],
) -> None:
    reseller, key = await _reseller(committed)
    cache = ReadCache(heard=60, deaf=60)
    reads: list[int] = []
    read = _authenticate(committed, key, reads)
    assert (await keys.kept(cache, key, read)) is not None
    assert (await keys.kept(cache, key, read)) is not None
    assert len(reads) == 1

    async with committed() as session, session.begin():
        await accounts.update(session, reseller.id, status=AccountStatus.suspended)

    assert await keys.kept(cache, key, read) is None
    assert len(reads) == 2


async def _revoke_elsewhere(committed: async_sessionmaker[AsyncSession], account_id: int) -> None:
    """As another process would: nothing in this process hears of it but PostgreSQL."""
    async with committed() as session, session.begin():
        await session.execute(
            text("UPDATE api_key SET revoked_at = now() WHERE account_id = :id"),
            {"id": account_id},
        )


async def test_a_change_made_elsewhere_is_heard(
    committed: async_sessionmaker[AsyncSession], database_url: str
) -> None:
    reseller, key = await _reseller(committed)
    cache = ReadCache(heard=60, deaf=60)
    cache.listen(database_url)
    try:
        for _ in range(100):
            if cache.hearing:
                break
            await asyncio.sleep(0.02)
        assert cache.hearing
        reads: list[int] = []
        read = _authenticate(committed, key, reads)
        assert (await keys.kept(cache, key, read)) is not None
        await _revoke_elsewhere(committed, reseller.id)
        for _ in range(100):
            if await keys.kept(cache, key, read) is None:
                break
            await asyncio.sleep(0.02)
        assert await keys.kept(cache, key, read) is None
        assert len(reads) == 2
    finally:
        await cache.close()


async def test_a_change_not_heard_is_seen_within_the_shorter_time_to_live(
    committed: async_sessionmaker[AsyncSession],
) -> None:
    reseller, key = await _reseller(committed)
    cache = ReadCache(heard=60, deaf=0.3)
    reads: list[int] = []
    read = _authenticate(committed, key, reads)
    assert (await keys.kept(cache, key, read)) is not None
    await _revoke_elsewhere(committed, reseller.id)

    assert (await keys.kept(cache, key, read)) is not None
    await asyncio.sleep(0.35)
    assert await keys.kept(cache, key, read) is None


async def test_many_waiting_for_one_value_read_it_once() -> None:
    cache = ReadCache()
    reads: list[int] = []
    account = Account(id=7, kind=AccountKind.reseller, name="A", status=AccountStatus.active)
    key = ApiKey(id=3, account_id=7, kind=ApiKeyKind.api, allowed_addresses=[])

    async def slow() -> keys.Holder:
        reads.append(1)
        await asyncio.sleep(0.05)
        return keys.Holder(key, account)

    found = await asyncio.gather(*(keys.kept(cache, "k", slow) for _ in range(20)))

    assert len(reads) == 1
    assert {h.account.id for h in found if h is not None} == {7}
    # What is kept is a copy no session holds, so no session can expire it.
    assert found[0] is not None
    assert found[0].account is not account
    assert found[0].key is not key
    assert found[0].account.name == "A"


async def test_a_failed_read_is_raised_to_every_waiter_and_not_kept() -> None:
    cache = ReadCache()
    reads: list[int] = []

    async def failing() -> keys.Holder:
        reads.append(1)
        await asyncio.sleep(0.01)
        raise LookupError("no such key")

    results = await asyncio.gather(
        *(keys.kept(cache, "k", failing) for _ in range(5)), return_exceptions=True
    )
    assert all(isinstance(r, LookupError) for r in results)
    assert len(reads) == 1
    await asyncio.gather(keys.kept(cache, "k", failing), return_exceptions=True)
    assert len(reads) == 2


async def test_a_services_list_is_compressed_once_when_kept() -> None:
    cache = ReadCache()
    account = Account(id=7, kind=AccountKind.reseller, name="A", status=AccountStatus.active)
    listed = json.dumps([{"service": n, "name": "Followers " * 5} for n in range(100)]).encode()
    reads: list[int] = []

    async def read() -> bytes:
        reads.append(1)
        return listed

    first = await kept_list(cache, "api_v2", account, read)
    second = await kept_list(cache, "api_v2", account, read)
    assert second is first
    assert reads == [1]
    assert first.plain == listed
    assert first.gzipped is not None
    assert gzip.decompress(first.gzipped) == listed
    # Another surface keeps its own.
    assert (await kept_list(cache, "v1", account, read)) is not first
