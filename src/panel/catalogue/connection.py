"""The connection check an operator runs before adding a provider: credentials, balance,
currency and catalogue read once through the adapter, and a report of what worked."""

from dataclasses import dataclass, field
from decimal import Decimal

from panel.catalogue import service
from panel.providers.adapter import UpstreamAdapter, UpstreamError, UpstreamRefused
from panel.providers.registry import Adapters

SAMPLES = 5  # services shown from the catalogue


@dataclass(frozen=True)
class Sample:
    external_id: str
    name: str
    rate: Decimal
    min_quantity: int
    max_quantity: int


@dataclass(frozen=True)
class ConnectionReport:
    ok: bool
    problems: list[str] = field(default_factory=list)  # what failed, in the provider's words
    credentials_ok: bool = False
    balance: Decimal | None = None
    currency: str | None = None  # as the provider reports it, or as expected when it says none
    services_count: int | None = None
    samples: list[Sample] = field(default_factory=list)


async def check(upstream: UpstreamAdapter, currency: str) -> ConnectionReport:
    """Ask the provider its balance and its catalogue once; nothing is written."""
    problems: list[str] = []
    try:
        balance = await upstream.balance()
    except UpstreamRefused as refused:
        # An explicit refusal to a balance call is the credentials being wrong.
        return ConnectionReport(False, [f"credentials refused: {refused.detail}"])
    except UpstreamError as error:
        return ConnectionReport(False, [f"unreachable: {error.detail}"])
    reported = (balance.currency or "").strip().upper() or None
    if reported is not None and reported != currency:
        problems.append(f"the provider reports its balance in {reported[:3]}, not {currency}")
    try:
        services = await upstream.services()
    except UpstreamError as error:
        problems.append(f"catalogue unreadable: {error.detail}")
        services = None
    else:
        if not services:
            problems.append("the catalogue lists no services")
    samples = [
        Sample(s.external_id, s.name, s.rate, s.min_quantity, s.max_quantity)
        for s in (services or [])[:SAMPLES]
    ]
    return ConnectionReport(
        ok=not problems,
        problems=problems,
        credentials_ok=True,
        balance=balance.balance,
        currency=reported or currency,
        services_count=None if services is None else len(services),
        samples=samples,
    )


async def check_new(
    adapters: Adapters,
    currency: str,
    *,
    api_url: str,
    api_key: str,
    adapter: str = "smm_v2",
    dialect: str | None = None,
    api_id: str | None = None,
    api_secret: str | None = None,
) -> ConnectionReport:
    """The check of a provider not yet saved; a bad dialect document is Invalid."""
    document = service.checked_adapter(adapter, dialect, api_id)
    upstream = adapters.probe(
        api_url, api_key, adapter=adapter, dialect=document, api_id=api_id, api_secret=api_secret
    )
    return await check(upstream, currency)
