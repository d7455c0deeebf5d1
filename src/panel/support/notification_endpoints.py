"""`/v1/notification-settings`: where the caller hears of its tickets, by email and Telegram."""

from typing import Annotated

from fastapi import APIRouter
from pydantic import Field

from panel.keys.callers import BuyerDep
from panel.plumbing.deps import SessionDep
from panel.plumbing.schemas import Out, Schema
from panel.support import notify

router = APIRouter(tags=["support"])


class NotificationSettingsIn(Schema):
    email: bool = Field(description="ticket news to your account's email")
    telegram_chat_id: Annotated[str | None, Field(max_length=64)] = Field(
        default=None, description="a Telegram chat id (or @channel) the panel's bot writes to"
    )


class NotificationSettingsOut(Out):
    email: bool
    telegram_chat_id: str | None


@router.get("/notification-settings")
async def read_notification_settings(
    session: SessionDep, buyer: BuyerDep
) -> NotificationSettingsOut:
    """With nothing set, news goes to your account's email."""
    return NotificationSettingsOut.model_validate(await notify.target_of(session, buyer))


@router.put("/notification-settings")
async def set_notification_settings(
    body: NotificationSettingsIn, session: SessionDep, buyer: BuyerDep
) -> NotificationSettingsOut:
    target = await notify.set_target(session, buyer, body.email, body.telegram_chat_id)
    return NotificationSettingsOut.model_validate(target)
