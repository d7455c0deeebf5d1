"""Concurrent lookups answered by one read: every key asked while a read is running goes into
the next read, as `orders.batcher` does for writes.

Sixty-four clients asking for statuses at once cost one statement, not sixty-four. A read
starts only after its keys were asked, so it sees every commit made before they were: nothing
is answered from before the request arrived. With one lookup in flight, it is read at once.
"""

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Mapping, Sequence
from typing import Generic, TypeVar

_Key = TypeVar("_Key", bound=Hashable)
_Value = TypeVar("_Value")

# Keys per read: enough for every client a process serves at once asking 100 ids each.
LARGEST_READ = 10_000


class Coalescer(Generic[_Key, _Value]):
    """`read(keys)` returns what it finds; a key it does not return is absent."""

    def __init__(
        self,
        read: Callable[[list[_Key]], Awaitable[Mapping[_Key, _Value]]],
        *,
        largest: int = LARGEST_READ,
    ) -> None:
        self._read = read
        self._largest = largest
        self._waiting: list[tuple[Sequence[_Key], asyncio.Future[Mapping[_Key, _Value]]]] = []
        self._reader: asyncio.Task[None] | None = None

    async def get(self, keys: Sequence[_Key]) -> dict[_Key, _Value]:
        """What the next read finds of `keys`."""
        if not keys:
            return {}
        future: asyncio.Future[Mapping[_Key, _Value]] = asyncio.get_running_loop().create_future()
        self._waiting.append((keys, future))
        if self._reader is None:
            self._reader = asyncio.create_task(self._drain())
        found = await future
        return {key: found[key] for key in keys if key in found}

    async def _drain(self) -> None:
        try:
            while self._waiting:
                await self._answer(self._next_batch())
        finally:
            self._reader = None

    def _next_batch(self) -> list[tuple[Sequence[_Key], asyncio.Future[Mapping[_Key, _Value]]]]:
        """The lookups waiting longest, up to `largest` keys (at least one lookup)."""
        taken, size = 0, 0
        for keys, _ in self._waiting:
            if taken and size + len(keys) > self._largest:
                break
            taken, size = taken + 1, size + len(keys)
        batch = self._waiting[:taken]
        del self._waiting[:taken]
        return batch

    async def _answer(
        self, batch: list[tuple[Sequence[_Key], asyncio.Future[Mapping[_Key, _Value]]]]
    ) -> None:
        keys = list(dict.fromkeys(key for asked, _ in batch for key in asked))
        try:
            found = await self._read(keys)
        except Exception as error:
            for _, future in batch:
                if not future.done():
                    future.set_exception(error)
            return
        for _, future in batch:
            if not future.done():  # a request cancelled meanwhile is not answered
                future.set_result(found)
