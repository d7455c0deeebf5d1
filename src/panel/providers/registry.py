"""One adapter per provider for the life of a process (each holds its provider's rate limit),
rebuilt when an operator changes the provider's URL or key."""

import hashlib

import httpx

from panel.models import Provider
from panel.providers.adapter import UpstreamAdapter
from panel.providers.smm_v2 import SmmV2Adapter


class Adapters:
    def __init__(self, client: httpx.AsyncClient) -> None:
        self._client = client
        self._built: dict[int, tuple[str, UpstreamAdapter]] = {}

    def for_provider(self, provider: Provider) -> UpstreamAdapter:
        # A digest, so the key itself is not kept a second time in this process.
        fingerprint = hashlib.sha256(f"{provider.api_url}\n{provider.api_key}".encode()).hexdigest()
        built = self._built.get(provider.id)
        if built is None or built[0] != fingerprint:
            built = (fingerprint, SmmV2Adapter(self._client, provider.api_url, provider.api_key))
            self._built[provider.id] = built
        return built[1]

    def probe(self, api_url: str, api_key: str) -> UpstreamAdapter:
        """An adapter for a provider not yet saved, to ask it something before it is."""
        return SmmV2Adapter(self._client, api_url, api_key)
