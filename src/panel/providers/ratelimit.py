"""A per-provider rate limit, kept in process memory.

Each adapter instance owns one limiter, so calls to one provider from one process are spaced and
held back after a 429. Coordinating several api/worker copies that share one provider's quota is
Redis's job later; until then each process honours the limit and every Retry-After on its own.
"""

import asyncio
import time
from collections.abc import Callable


class RateLimiter:
    """Spaces calls to at most `per_second` (unlimited when None) and holds every call back
    until a provider's Retry-After has passed."""

    def __init__(
        self,
        per_second: float | None = None,
        *,
        max_wait_s: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if per_second is not None and per_second <= 0:
            raise ValueError("per_second must be positive")
        self.interval = 1.0 / per_second if per_second else 0.0
        # A worker job should not sleep through a long Retry-After: beyond this the caller is
        # told to come back later instead.
        self.max_wait_s = max_wait_s
        self._clock = clock
        self._next_slot = 0.0
        self._not_before = 0.0

    async def acquire(self) -> float | None:
        """Wait for the next free slot. Return None when the call may go ahead, or the seconds
        still to wait when that is longer than `max_wait_s` (no slot is taken then)."""
        now = self._clock()
        start = max(now, self._next_slot, self._not_before)
        wait = start - now
        if wait > self.max_wait_s:
            return wait
        # The slot is reserved before sleeping, with no await in between, so concurrent callers
        # on one event loop queue up one interval apart.
        self._next_slot = start + self.interval
        if wait > 0:
            await asyncio.sleep(wait)
        return None

    def defer(self, seconds: float) -> None:
        """Hold every later call back for `seconds` (the provider answered 429)."""
        self._not_before = max(self._not_before, self._clock() + max(0.0, seconds))
