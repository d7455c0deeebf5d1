"""The sandbox's virtual clock: real time plus whatever the control API advanced it by, or
frozen, so tests move orders along without sleeping."""

import time
from collections.abc import Callable


class Clock:
    def __init__(self, *, frozen: bool = False, source: Callable[[], float] = time.monotonic):
        self._source = source
        self._anchor = source()
        self._base = 0.0  # virtual seconds at the anchor
        self.frozen = frozen

    def now(self) -> float:
        """Virtual seconds since the sandbox (re)started."""
        return self._base if self.frozen else self._base + self._source() - self._anchor

    def advance(self, seconds: float) -> None:
        self._base += seconds

    def freeze(self, frozen: bool) -> None:
        self._base, self._anchor = self.now(), self._source()
        self.frozen = frozen
