"""Two-factor sign-in and the sign-in history in the web panel: the code step of signing in
(after the password, panel.web.pages), the account's security page where its owner turns TOTP
on and off, and its sign-in attempts, newest first. The rules are
panel.accounts.two_factor's and panel.accounts.sign_ins'."""

from typing import Annotated

from fastapi import Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from panel.accounts import sign_ins, signing_in, two_factor
from panel.errors import Conflict, Invalid
from panel.models import Account, AccountKind, SignInResult
from panel.plumbing.deps import RuntimeDep, SessionDep
from panel.plumbing.runtime import Runtime
from panel.web import forms, sessions
from panel.web.operator_pages import when
from panel.web.pages import (
    MemberDep,
    PageDep,
    page_router,
    totp_enrolment,
)

router = page_router()
SECURITY = "/security"
PAGE_SIGN_INS = 50
CodeField = Annotated[str, Form(max_length=64)]


def _web_secret(runtime: Runtime) -> str:
    secret = runtime.settings.web.secret
    assert secret is not None  # no page is served without it (panel.web.pages.get_page)
    return secret.get_secret_value()


def _must_have_totp(runtime: Runtime, account: Account) -> bool:
    return account.kind is AccountKind.operator and runtime.settings.web.operator_totp_required


def _no_store(response: Response) -> Response:
    # A secret or recovery codes in clear: no cache may keep a copy of this page.
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/login/code")
async def login_code(
    request: Request,
    page: PageDep,
    runtime: RuntimeDep,
    session: SessionDep,
    pending: Annotated[str, Form(max_length=500)] = "",
    code: CodeField = "",
) -> Response:
    """The second step of signing in: a TOTP code or a recovery code; or, for an operator
    who must have TOTP and has none yet, the first code from the secret just shown."""
    settings = runtime.settings.web
    account_id = page.pending.read(pending, page.visit)
    account = await session.get(Account, account_id) if account_id is not None else None
    if account is None or not signing_in.may_sign_in(account, page.brand.reseller_id):
        return page.render("login.html", 401, error="sign_in_expired")
    visitor = signing_in.Visitor(
        email=account.email or "",
        address=(request.client.host if request.client else "unknown") or "unknown",
        user_agent=request.headers.get("user-agent"),
    )
    who = visitor.email.strip().lower()
    if await signing_in.locked(runtime.redis, visitor, settings.login_attempts):
        await signing_in.log(session, account, visitor, SignInResult.locked)
        return page.render("login.html", 429, error="too_many", email=who)
    secret = _web_secret(runtime)
    recovery_codes: list[str] = []
    result: SignInResult | None
    if await two_factor.is_on(session, account.id):
        result = await two_factor.check(session, account.id, secret, code)
    elif _must_have_totp(runtime, account):
        try:
            recovery_codes = await two_factor.confirm(session, account, secret, code)
            result = SignInResult.ok
        except (Invalid, Conflict):
            result = None
    else:
        # TOTP was turned off since the password was given: nothing to check the code against.
        return page.render("login.html", 401, error="sign_in_expired", email=who)
    if result is None:
        await signing_in.count_failure(runtime.redis, visitor, settings.login_window_s)
        await signing_in.log(session, account, visitor, SignInResult.bad_code)
        if await two_factor.is_on(session, account.id):
            return page.render("login_code.html", 401, pending=pending, error="wrong_code")
        enrolment = await two_factor.pending(session, account, secret, page.brand.name)
        return totp_enrolment(
            page,
            enrolment,
            action="/login/code",
            pending=pending,
            status=401,
            required=True,
            error="wrong_code",
        )
    await signing_in.log(session, account, visitor, result)
    signed_in = sessions.fresh(account.id)
    if not recovery_codes:
        return page.keep(RedirectResponse("/", status_code=303), signed_in)
    page.visit, page.member = signed_in, account
    return _no_store(page.render("recovery_codes.html", codes=recovery_codes, next="/"))


@router.get(SECURITY)
async def security(
    page: PageDep,
    account: MemberDep,
    runtime: RuntimeDep,
    session: SessionDep,
    before: Annotated[int | None, Query(ge=1, le=forms.BIG_ID)] = None,
) -> Response:
    state = await two_factor.state(session, account.id)
    attempts = await sign_ins.page(session, account.id, before, PAGE_SIGN_INS)
    return page.render(
        "security.html",
        totp_on=state is not None and state.enabled_at is not None,
        recovery_left=await two_factor.recovery_codes_left(session, account.id),
        required=_must_have_totp(runtime, account),
        attempts=attempts,
        older=attempts[-1].id if len(attempts) == PAGE_SIGN_INS else None,
        when=when,
    )


@router.post(SECURITY + "/totp")
async def begin_totp(
    page: PageDep,
    account: MemberDep,
    runtime: RuntimeDep,
    session: SessionDep,
) -> Response:
    """A new secret to copy into an authenticator app; on once a code from it is confirmed."""
    try:
        enrolment = await two_factor.begin(session, account, _web_secret(runtime), page.brand.name)
    except Conflict:
        return page.render("message.html", 409, message=page.t("totp_already_on"), back=SECURITY)
    return totp_enrolment(page, enrolment, action=SECURITY + "/totp/confirm", pending="")


@router.post(SECURITY + "/totp/confirm")
async def confirm_totp(
    page: PageDep,
    account: MemberDep,
    runtime: RuntimeDep,
    session: SessionDep,
    code: CodeField = "",
) -> Response:
    secret = _web_secret(runtime)
    try:
        codes = await two_factor.confirm(session, account, secret, code)
    except Conflict:
        return page.render("message.html", 409, message=page.t("totp_not_waiting"), back=SECURITY)
    except Invalid:
        enrolment = await two_factor.pending(session, account, secret, page.brand.name)
        return totp_enrolment(
            page,
            enrolment,
            action=SECURITY + "/totp/confirm",
            pending="",
            status=422,
            error="wrong_code",
        )
    return _no_store(page.render("recovery_codes.html", codes=codes, next=SECURITY))


@router.post(SECURITY + "/totp/disable")
async def disable_totp(
    page: PageDep,
    account: MemberDep,
    runtime: RuntimeDep,
    session: SessionDep,
    code: CodeField = "",
) -> Response:
    """Turn TOTP off, with a code: a session left open is not enough."""
    if _must_have_totp(runtime, account):
        return page.render("message.html", 403, message=page.t("totp_required_here"), back=SECURITY)
    try:
        await two_factor.disable(session, account, _web_secret(runtime), code)
    except Invalid:
        return page.render("message.html", 422, message=page.t("wrong_code"), back=SECURITY)
    return page.keep(RedirectResponse(SECURITY, status_code=303))
