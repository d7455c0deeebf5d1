"""One adapter per provider for the life of a process (each holds its provider's rate limit),
rebuilt when an operator changes the provider's URL or key."""

import hashlib

import httpx

from panel.models import Provider
from panel.plumbing.runtime import Runtime
from panel.providers import dialect_doc
from panel.providers.adapter import UpstreamAdapter
from panel.providers.declared import DeclaredAdapter
from panel.providers.digiflazz import DigiflazzAdapter
from panel.providers.prepaid_route import PrepaidUpstream
from panel.providers.smm_v2 import SmmV2Adapter


class Adapters:
    def __init__(self, client: httpx.AsyncClient) -> None:
        self._client = client
        self._built: dict[int, tuple[str, UpstreamAdapter]] = {}

    def for_provider(self, provider: Provider) -> UpstreamAdapter:
        # A digest, so the key itself is not kept a second time in this process.
        parts = (provider.adapter, provider.api_url, provider.api_key, provider.dialect or "",
                 provider.api_id or "", provider.api_secret or "")  # fmt: skip
        fingerprint = hashlib.sha256("\n".join(parts).encode()).hexdigest()
        built = self._built.get(provider.id)
        if built is None or built[0] != fingerprint:
            adapter = self.probe(
                provider.api_url,
                provider.api_key,
                adapter=provider.adapter,
                dialect=provider.dialect,
                api_id=provider.api_id,
                api_secret=provider.api_secret,
            )
            built = (fingerprint, adapter)
            self._built[provider.id] = built
        return built[1]

    def probe(
        self,
        api_url: str,
        api_key: str,
        *,
        adapter: str = "smm_v2",
        dialect: str | None = None,
        api_id: str | None = None,
        api_secret: str | None = None,
    ) -> UpstreamAdapter:
        """An adapter for a provider not yet saved, to ask it something before it is. A dialect
        document that does not load raises `dialect_doc.DialectError`."""
        if adapter == "digiflazz":
            prepaid = DigiflazzAdapter(
                self._client, api_id or "", api_key, webhook_secret=api_secret, base_url=api_url
            )
            return PrepaidUpstream(prepaid)
        if adapter == "dialect":
            doc = dialect_doc.load(dialect_doc.resolve(dialect or ""))
            return DeclaredAdapter(self._client, api_url, doc, api_key, api_id, api_secret)
        return SmmV2Adapter(self._client, api_url, api_key)


def of(runtime: Runtime) -> Adapters:
    """The process's adapters, one per provider, over its upstream client."""
    return runtime.part(_built)


def _built(runtime: Runtime) -> Adapters:
    return Adapters(runtime.http)
