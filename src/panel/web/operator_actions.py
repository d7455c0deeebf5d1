"""The operator action log in the web console: every write an operator made, newest first,
searchable by who, what and on which object, each shown as the fields it changed."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Query
from fastapi.responses import Response
from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from panel import action_log
from panel.models import Account, OperatorAction
from panel.plumbing.deps import SessionDep
from panel.web import account_texts, forms
from panel.web.operator_pages import when
from panel.web.pages import OperatorDep, PageDep, page_router

router = page_router()
ACTIONS = "/ops/actions"
PAGE_ACTIONS = 50


@dataclass(frozen=True)
class Shown:
    """One entry as the pages show it: who, and each field that changed (old, new)."""

    entry: OperatorAction
    actor: str
    changes: list[tuple[str, str, str]]


def changes(
    before: dict[str, Any] | None, after: dict[str, Any] | None
) -> list[tuple[str, str, str]]:
    """The fields that differ between the snapshots, as text: a compact diff."""
    old, new = before or {}, after or {}
    return [
        (name, _text(old.get(name)), _text(new.get(name)))
        for name in sorted(old.keys() | new.keys())
        if name not in old or name not in new or old[name] != new[name]
    ]


def _text(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, list):
        return ", ".join(_text(item) for item in value) or "—"
    return str(value)


async def shown(session: AsyncSession, entries: Sequence[OperatorAction]) -> list[Shown]:
    actors = {entry.actor_id for entry in entries}
    names: dict[int, str] = {}
    if actors:
        rows = await session.execute(select(Account.id, Account.name).where(Account.id.in_(actors)))
        names = {account_id: name for account_id, name in rows}
    return [
        Shown(
            entry,
            f"#{entry.actor_id} {names.get(entry.actor_id, '')}".strip(),
            changes(entry.before, entry.after),
        )
        for entry in entries
    ]


async def history_of(
    session: AsyncSession, account_id: int, key_ids: Sequence[int], limit: int = 20
) -> list[Shown]:
    """What operators did to an account and to its API keys, newest first."""
    query = select(OperatorAction).where(
        or_(
            and_(OperatorAction.subject_type == "account", OperatorAction.subject_id == account_id),
            and_(OperatorAction.subject_type == "api_key", OperatorAction.subject_id.in_(key_ids)),
        )
    )
    found = await session.scalars(query.order_by(OperatorAction.id.desc()).limit(limit))
    return await shown(session, found.all())


def _number(text: str) -> int | None:
    """A whole number typed in a search field, or None (blank, or not a row's id)."""
    text = text.strip().lstrip("#")
    if not text.isdigit() or len(text) > 18:
        return None
    number = int(text)
    return number if forms.is_row_id(number, forms.BIG_ID) else None


@router.get(ACTIONS)
async def actions(
    page: PageDep,
    operator: OperatorDep,
    session: SessionDep,
    actor: Annotated[str, Query(max_length=20)] = "",
    action: Annotated[str, Query(max_length=64)] = "",
    subject_type: Annotated[str, Query(max_length=32)] = "",
    subject_id: Annotated[str, Query(max_length=20)] = "",
    before: Annotated[int, Query(ge=0, le=forms.BIG_ID)] = 0,
) -> Response:
    found = await action_log.search(
        session,
        action_log.Filter(
            actor_id=_number(actor),
            action=action.strip() or None,
            subject_type=subject_type.strip() or None,
            subject_id=_number(subject_id),
            before=before or None,
            limit=PAGE_ACTIONS,
        ),
    )
    asked = {
        "actor": actor,
        "action": action,
        "subject_type": subject_type,
        "subject_id": subject_id,
    }
    return page.render(
        "ops_actions.html",
        w=account_texts.WORDS[page.lang],
        rows=await shown(session, found),
        asked=asked,
        older=found[-1].id if len(found) == PAGE_ACTIONS else None,
        when=when,
    )
