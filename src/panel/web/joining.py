"""Joining the panel by a link, an invitation or a referral: one sign-up form and one way to
answer it."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Form
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from panel.errors import PanelError
from panel.models import Account
from panel.web import sessions
from panel.web.pages import Page


@dataclass(frozen=True)
class SignUp:
    name: str
    email: str
    password: str


def _sign_up(
    name: Annotated[str, Form(max_length=200)] = "",
    email: Annotated[str, Form(max_length=320)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
) -> SignUp:
    return SignUp(name, email, password)


SignUpDep = Annotated[SignUp, Depends(_sign_up)]


async def answer(
    page: Page,
    session: AsyncSession,
    typed: SignUp,
    create: Callable[[], Awaitable[Account]],
    template: str,
    **shown: Any,
) -> Response:
    """The new account signed in and sent home; or the form again, as typed but the password,
    with why `create` refused it."""
    try:
        async with session.begin_nested():
            account = await create()
    except PanelError as refused:
        return page.render(
            template, 422, error=refused.detail, name=typed.name, email=typed.email, **shown
        )
    return page.keep(RedirectResponse("/", status_code=303), sessions.fresh(account.id))
