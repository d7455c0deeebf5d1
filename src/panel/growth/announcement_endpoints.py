"""Announcements over the APIs: `/v1/announcements`, what a reseller (from the operator) or an
agency (from its reseller) has been told, and marking one read; `/admin/v1/announcements`, the
operator's own, written, listed and withdrawn. The rules are `growth.announcements`."""

from datetime import UTC, datetime
from typing import Annotated, Self

from fastapi import APIRouter, Path, Query, status
from pydantic import AwareDatetime, Field
from sqlalchemy.ext.asyncio import AsyncSession

from panel.growth import announcements
from panel.keys.callers import BuyerDep, OperatorDep
from panel.models import Account, Announcement, ApiKey
from panel.plumbing.deps import SessionDep
from panel.plumbing.schemas import MAX_ID, Out, Schema

router = APIRouter(tags=["announcements"])
admin_router = APIRouter(tags=["admin: announcements"])

AnnouncementId = Annotated[int, Path(ge=1, le=MAX_ID)]
Before = Annotated[
    int | None, Query(ge=1, le=MAX_ID, description="only announcements older than this one")
]
Limit = Annotated[int, Query(ge=1, le=200)]


class AnnouncementCreate(Schema):
    title: str = Field(
        min_length=1,
        max_length=announcements.MAX_TITLE,
        pattern=r"\S",
        description="one line, plain text",
    )
    body: str = Field(
        min_length=1,
        max_length=announcements.MAX_BODY,
        pattern=r"\S",
        description="plain text; line breaks are kept",
    )
    expires_at: AwareDatetime | None = Field(
        default=None,
        description="off every dashboard from then on (at most 365 days ahead); none: until read",
    )


class AnnouncementOut(Out):
    id: int
    title: str
    body: str
    created_at: datetime
    expires_at: datetime | None
    read: bool = Field(description="you have marked it read")

    @classmethod
    def of(cls, announcement: Announcement, read: bool) -> Self:
        return cls.model_validate({**_fields(cls, announcement), "read": read})


class AdminAnnouncementOut(Out):
    id: int
    author_id: int = Field(description="the operator who wrote it")
    title: str
    body: str
    created_at: datetime
    expires_at: datetime | None
    withdrawn_at: datetime | None
    read_by: int = Field(description="resellers who have marked it read")

    @classmethod
    def of(cls, announcement: Announcement, read_by: int) -> Self:
        return cls.model_validate({**_fields(cls, announcement), "read_by": read_by})


def _fields(model: type[Out], row: object) -> dict[str, object]:
    return {name: getattr(row, name) for name in model.model_fields if hasattr(row, name)}


# --- /v1: the readers ---------------------------------------------------------------------------


@router.get("/announcements")
async def list_announcements(
    session: SessionDep, buyer: BuyerDep, before: Before = None, limit: Limit = 50
) -> list[AnnouncementOut]:
    """Announcements for you that have not expired or been withdrawn, newest first: a
    reseller's from the panel, an agency's from its reseller. Each is also sent as an
    `announcement.published` webhook event when it is published."""
    found = await announcements.listing(
        session, buyer, datetime.now(UTC), before=before, limit=limit
    )
    return [AnnouncementOut.of(announcement, read) for announcement, read in found]


@router.post("/announcements/{announcement_id}/read")
async def read_announcement(
    announcement_id: AnnouncementId, session: SessionDep, buyer: BuyerDep
) -> AnnouncementOut:
    """Mark it read: it leaves your dashboard (and nobody else's)."""
    found = await announcements.mark_read(session, buyer, announcement_id, datetime.now(UTC))
    return AnnouncementOut.of(found, True)


# --- /admin/v1: the operator's ------------------------------------------------------------------


async def _actor(session: AsyncSession, operator: ApiKey) -> Account:
    return await session.get_one(Account, operator.account_id)


@admin_router.get("/announcements")
async def list_operator_announcements(
    session: SessionDep, operator: OperatorDep, before: Before = None, limit: Limit = 50
) -> list[AdminAnnouncementOut]:
    """The operators' announcements to resellers, newest first, withdrawn and expired too."""
    found = await announcements.written(
        session, await _actor(session, operator), before=before, limit=limit
    )
    return [AdminAnnouncementOut.of(row.announcement, row.read_by) for row in found]


@admin_router.post("/announcements", status_code=status.HTTP_201_CREATED)
async def publish_announcement(
    body: AnnouncementCreate, session: SessionDep, operator: OperatorDep
) -> AdminAnnouncementOut:
    """Publish to every reseller: shown on their dashboards until each marks it read, and sent
    to each through its webhooks (`announcement.published`), email and Telegram."""
    made = await announcements.publish(
        session,
        await _actor(session, operator),
        body.title,
        body.body,
        body.expires_at,
        datetime.now(UTC),
    )
    return AdminAnnouncementOut.of(made, 0)


@admin_router.post("/announcements/{announcement_id}/withdraw")
async def withdraw_announcement(
    announcement_id: AnnouncementId, session: SessionDep, operator: OperatorDep
) -> AdminAnnouncementOut:
    """Take it off every dashboard; what was already sent stays sent."""
    actor = await _actor(session, operator)
    found = await announcements.withdraw(session, actor, announcement_id, datetime.now(UTC))
    return AdminAnnouncementOut.of(found, await announcements.read_count(session, found.id))
