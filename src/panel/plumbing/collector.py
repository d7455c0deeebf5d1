"""Python's cycle collector, set for a long-running server process: what start-up loaded is
frozen, never walked again by full passes, and a larger first generation lets a request's
objects die young instead of being promoted (measured in bench/README.md, "The collector")."""

import gc

from sqlalchemy.orm import configure_mappers

# Allocations between young collections (the default is 700).
YOUNG = 20_000


def freeze_startup() -> None:
    """Call once a server process has loaded what it keeps for its lifetime (not in tests:
    whatever is alive at the call is never collected)."""
    configure_mappers()  # otherwise built by the first query, after the freeze
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG)
