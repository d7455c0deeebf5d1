"""The adapter that speaks to one configured gateway."""

from collections.abc import Callable

import httpx

from panel.config import PaymentSettings
from panel.errors import Invalid
from panel.models import GatewayKind, PaymentGateway
from panel.payments.deposits import Links
from panel.payments.gateways import Adapter
from panel.payments.tripay import TripayAdapter


def adapter_for(
    gateway: PaymentGateway, http: httpx.AsyncClient, settings: PaymentSettings
) -> Adapter:
    if gateway.kind is GatewayKind.tripay:
        base = settings.tripay_production_url if gateway.production else settings.tripay_sandbox_url
        return TripayAdapter(
            http, base, gateway.merchant_code, gateway.api_key, gateway.private_key
        )
    raise Invalid(f"gateway {gateway.id} ({gateway.kind.value}) takes no payments by API")


def links_for(
    settings: PaymentSettings, request_base: str
) -> Callable[[PaymentGateway, str], Links]:
    """Where gateways call back (the panel's public address, or the one the buyer used) and
    where a buyer who paid comes back to (its deposits, on the host it came from)."""
    public = (settings.public_url or request_base).rstrip("/")
    back = request_base.rstrip("/")

    def made(gateway: PaymentGateway, merchant_ref: str) -> Links:
        return Links(
            callback_url=f"{public}/payments/tripay/{gateway.id}/callback",
            return_url=f"{back}/deposits?ref={merchant_ref}",
        )

    return made


def report_url(settings: PaymentSettings, request_base: str, gateway: PaymentGateway) -> str:
    """Where the gateway reports payments, to paste into its dashboard: Tripay's callback
    URL, or the bank statement webhook of a transfer by hand."""
    public = (settings.public_url or request_base).rstrip("/")
    if gateway.kind is GatewayKind.tripay:
        return f"{public}/payments/tripay/{gateway.id}/callback"
    return f"{public}/payments/transfers/{gateway.id}/statement"
