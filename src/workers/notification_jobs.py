"""The notification cron: due ticket notifications are sent by email and Telegram."""

import asyncio
from datetime import UTC, datetime

import httpx

from panel.models import Channel
from panel.plumbing.runtime import Runtime
from panel.support import notify, smtp, telegram
from panel.support.delivery import Sent
from workers.tasks import registry

EVERY_10_SECONDS = set(range(0, 60, 10))


@registry.every(seconds=EVERY_10_SECONDS, own_transactions=True)
async def send_notifications(runtime: Runtime) -> int:
    """Send every due notification; returns how many were sent."""
    return await send_due(runtime, datetime.now(UTC))


async def send_due(runtime: Runtime, now: datetime) -> int:
    """One run at `now`: a batch is claimed (leased) and committed before any server is
    called, so no transaction waits on a mail server and no two workers send one twice."""
    settings = runtime.settings.support
    configured = {
        channel
        for channel, ready in (
            (Channel.email, smtp.configured(settings)),
            (Channel.telegram, telegram.configured(settings)),
        )
        if ready
    }
    sent = 0
    async with telegram.client(settings) as http:
        while True:
            async with runtime.transaction() as session:
                due = await notify.claim_due(session, now, settings, configured)
            if not due:
                return sent
            results = await asyncio.gather(*(_send(http, runtime, claimed) for claimed in due))
            async with runtime.transaction() as session:
                for claimed, result in zip(due, results, strict=True):
                    await notify.record(session, claimed, result, now, settings)
            sent += sum(result.ok for result in results)


async def _send(http: httpx.AsyncClient, runtime: Runtime, claimed: notify.Claimed) -> Sent:
    settings = runtime.settings.support
    if claimed.channel is Channel.email:
        return await smtp.send(settings, claimed.address, claimed.subject, claimed.body)
    return await telegram.send(http, settings, claimed.address, claimed.body)
