"""The HTTP client a process calls upstream providers and gateways with: one per process,
built at start-up, closed at shutdown."""

import httpx

from panel.config import HttpSettings
from panel.plumbing import trust_store


def build_client(http: HttpSettings) -> httpx.AsyncClient:
    """The one client a process uses for upstream calls: built at start-up, closed at shutdown."""
    return httpx.AsyncClient(
        timeout=httpx.Timeout(
            connect=http.connect_timeout_s,
            read=http.read_timeout_s,
            write=http.read_timeout_s,
            # Waiting for a pooled connection is bounded too: a full pool is "not sent".
            pool=http.connect_timeout_s,
        ),
        limits=httpx.Limits(max_connections=http.max_connections),
        # A redirected POST turns into a GET and loses the form: report it instead.
        follow_redirects=False,
        headers={"User-Agent": "Pasok"},
        verify=trust_store.system(),
    )
