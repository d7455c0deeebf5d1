"""`ticket.updated`: a ticket's news for the webhook receivers of the buyer and its reseller,
and for the people it concerns through the notification outbox, written in the transaction
that made it."""

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from panel.models import Ticket
from panel.support import notify
from panel.webhooks import service as webhooks

TICKET_UPDATED = "ticket.updated"


async def ticket_changed(session: AsyncSession, ticket: Ticket, what: str, now: datetime) -> None:
    owners = list(dict.fromkeys([ticket.account_id, ticket.reseller_id]))
    data = {
        "ticket": {
            "id": ticket.id,
            "account_id": ticket.account_id,
            "topic": ticket.topic.value,
            "reason": ticket.reason.value,
            "status": ticket.status.value,
            "waiting_on": ticket.waiting_on.value,
            "escalated": ticket.escalated,
        },
        "event": what,
    }
    stamp = int(now.timestamp() * 1000)
    await webhooks.announce(
        session, owners, TICKET_UPDATED, f"tkt_{ticket.id}_{what}_{stamp}", data, now
    )
    await notify.ticket_changed(session, ticket, what, now)
