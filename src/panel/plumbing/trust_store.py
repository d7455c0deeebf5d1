"""The certificate authorities outgoing HTTPS trusts: the system's, loaded once per process.

Parsing the bundle costs about 30 ms; every client a process builds (upstream providers,
webhooks, gateways) trusts the same authorities, and an `ssl.SSLContext` may be shared."""

import ssl
from functools import cache

import httpx


@cache
def system() -> ssl.SSLContext:
    return httpx.create_ssl_context()
