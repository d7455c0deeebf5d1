"""A body sent many times, kept beside its gzip copy. A services list of 2,000 services is
1.4 MB, read by every child panel that reprices: compressing it again for each client that
accepts gzip cost more than reading it, so it is compressed once, when it is kept."""

import gzip
from dataclasses import dataclass

from starlette.responses import Response

# Shorter bodies gain nothing from compression (an API v2 `add` answer is a few dozen bytes);
# the app's GZip middleware uses the same bound.
MINIMUM_SIZE = 1000


@dataclass(frozen=True, slots=True)
class Body:
    plain: bytes
    gzipped: bytes | None

    @classmethod
    def of(cls, plain: bytes) -> "Body":
        # Level 6: nearly all of level 9's saving on JSON, in much less time.
        small = len(plain) < MINIMUM_SIZE
        return cls(plain, None if small else gzip.compress(plain, compresslevel=6, mtime=0))

    def response(self, accept_encoding: str, media_type: str = "application/json") -> Response:
        """The answer for a request that sent `accept-encoding`, as the GZip middleware would
        give it; the middleware passes an answer that already has an encoding through."""
        if self.gzipped is None or "gzip" not in accept_encoding:
            return Response(self.plain, media_type=media_type)
        headers = {"content-encoding": "gzip", "vary": "Accept-Encoding"}
        return Response(self.gzipped, media_type=media_type, headers=headers)
