"""Canned replies: answers a reseller (or the operator, no owner) keeps ready to send."""

from collections.abc import Sequence

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from panel.errors import Conflict, Invalid, NotFound
from panel.models import CannedReply

MOST = 50  # per owner


def _owned_by(owner_id: int | None) -> ColumnElement[bool]:
    return CannedReply.owner_id.is_(None) if owner_id is None else CannedReply.owner_id == owner_id


async def replies_of(session: AsyncSession, owner_id: int | None) -> Sequence[CannedReply]:
    found = await session.scalars(
        select(CannedReply).where(_owned_by(owner_id)).order_by(CannedReply.title)
    )
    return found.all()


async def add(session: AsyncSession, owner_id: int | None, title: str, body: str) -> CannedReply:
    if not title.strip() or not body.strip():
        raise Invalid("a canned reply needs a title and a text")
    if len(await replies_of(session, owner_id)) >= MOST:
        raise Conflict(f"at most {MOST} canned replies")
    reply = CannedReply(owner_id=owner_id, title=title.strip()[:100], body=body.strip()[:5000])
    session.add(reply)
    await session.flush()
    return reply


async def remove(session: AsyncSession, owner_id: int | None, reply_id: int) -> None:
    reply = await session.get(CannedReply, reply_id)
    if reply is None or reply.owner_id != owner_id:
        raise NotFound(f"canned reply {reply_id} does not exist")
    await session.delete(reply)
    await session.flush()
