"""Fetching a panel gateway's channel list again is one operator action, with the methods it
left; a reseller's own gateway is its own business and stays out of the operator's log."""

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from panel import action_log
from panel.accounts import service as accounts
from panel.config import Settings
from panel.models import AccountKind, FeePayer
from panel.payments import methods
from panel.payments.adapters import adapter_for
from tests.payments.conftest import Payments


async def test_a_channel_import_is_one_entry_and_a_resellers_gateway_none(
    session: AsyncSession, pay: Payments, tripay_http: httpx.AsyncClient, settings: Settings
) -> None:
    operator = await accounts.create(session, kind=AccountKind.operator, name="Ops")
    adapter = adapter_for(pay.tripay, tripay_http, settings.payments)
    made = await methods.import_channels(session, operator.id, pay.tripay, adapter, FeePayer.buyer)
    await methods.change_gateway(session, operator.id, pay.manual, name="Bank Panel")
    # The same gateway, were it a reseller's own, changed by that reseller.
    pay.manual.owner_id = pay.reseller.id
    await methods.change_gateway(session, pay.reseller.id, pay.manual, name="Bank Budi")

    found = await action_log.search(session, action_log.Filter())
    assert [(e.action, e.subject_id, e.actor_id) for e in found] == [
        ("payment_gateway.update", pay.manual.id, operator.id),
        ("payment_gateway.import", pay.tripay.id, operator.id),
    ]
    imported = found[1].after
    assert made
    assert imported is not None
    assert set(imported) == {m.code for m in made}
    assert imported["QRIS"]["fee_paid_by"] == "buyer"
