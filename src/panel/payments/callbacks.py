"""A gateway's callback, from raw bytes to what it changed. The signature is checked on the
bytes as received, before anything in them is read; a callback not believed changes nothing
and is listed for the receiver to see, with its reason."""

import json
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from panel.models import PaymentGateway
from panel.payments import crediting
from panel.payments.gateways import Adapter, Rejected

MAX_BODY = 16_384  # a Tripay callback is well under 1 KB; anything larger is junk


async def receive(
    session: AsyncSession,
    gateway: PaymentGateway,
    adapter: Adapter,
    headers: dict[str, str],
    body: bytes,
    now: datetime,
) -> crediting.Applied:
    """Raises Rejected (after listing it) for a callback not believed."""
    shown = body[: crediting.BODY_KEPT].decode("utf-8", "replace")
    try:
        report = adapter.verify(headers, body)
    except Rejected as rejected:
        # Junk (not even a JSON object) is refused without a trace: the endpoint is public,
        # and the review list is for callbacks someone may have sent in earnest.
        if _an_object(body):
            await crediting.review(session, gateway, None, rejected.reason, rejected.detail, shown)
        raise
    return await crediting.apply(session, gateway, report, shown, now)


def _an_object(body: bytes) -> bool:
    try:
        return isinstance(json.loads(body), dict)
    except ValueError:
        return False
