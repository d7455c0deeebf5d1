"""What a channel's adapter answers after trying to send one notification."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Sent:
    ok: bool
    error: str | None = None
    # A failure the server may get over (down, busy, 5xx) is tried again; one it never will
    # (no such chat, address refused) is given up at once.
    retry: bool = True


SENT = Sent(True)


def failed(error: str, *, retry: bool = True) -> Sent:
    return Sent(False, error[:1000], retry)
