"""Support's jobs: the automatic first answer of a ticket about orders. The rules are in
`panel.support.answers`."""

from datetime import UTC, datetime

from panel.support import answers
from workers.tasks import JobContext, registry


@registry.job()
async def answer_ticket(ctx: JobContext, ticket_id: int) -> str | None:
    ticket = await answers.answer(
        ctx.session, ticket_id, datetime.now(UTC), currency=ctx.runtime.settings.currency
    )
    return None if ticket is None else ticket.status.value
