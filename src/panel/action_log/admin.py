"""`/admin/v1/actions`: the operator action log, newest first, searchable."""

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import Field

from panel import action_log
from panel.plumbing.deps import SessionDep
from panel.plumbing.schemas import MAX_ID, Out

router = APIRouter(tags=["admin: action log"])


class ActionOut(Out):
    id: int
    actor_id: int
    action: str
    subject_type: str
    subject_id: int | None
    before: dict[str, Any] | None = Field(description="The object before the write, if any")
    after: dict[str, Any] | None = Field(description="The object after the write, if any")
    note: str
    created_at: datetime


@router.get("/actions")
async def list_actions(
    session: SessionDep,
    actor_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    action: Annotated[
        str | None, Query(max_length=64, description='An action, or its start: "money."')
    ] = None,
    subject_type: Annotated[str | None, Query(max_length=32)] = None,
    subject_id: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
    before: Annotated[
        int | None, Query(ge=1, le=2**63 - 1, description="Cursor: the last id of the page before")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[ActionOut]:
    found = await action_log.search(
        session,
        action_log.Filter(
            actor_id=actor_id,
            action=action,
            subject_type=subject_type,
            subject_id=subject_id,
            before=before,
            limit=limit,
        ),
    )
    return [ActionOut.model_validate(entry) for entry in found]
