"""Python's cycle collector, set for a long-running server process.

With the default settings the collector's full passes walked every object the process had
loaded (modules, mappers, routes: about a million) several times a second under load, because
objects alive during in-flight requests kept being promoted to the oldest generation. Each
pass stopped the event loop for 130 ms, which was most of API v2's p99 latency and a fifth of
its CPU. Frozen, what start-up loaded is never walked again; the larger first generation lets
a request's objects die young instead of being promoted.
"""

import gc

from sqlalchemy.orm import configure_mappers

# Allocations between young collections (the default is 700).
YOUNG = 20_000


def settle() -> None:
    """Call once a server process has loaded what it keeps for its lifetime (not in tests:
    whatever is alive at the call is never collected)."""
    configure_mappers()  # otherwise built by the first query, after the freeze
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG)
