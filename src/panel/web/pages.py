"""The white-label web panel: pages rendered on the server under the brand of the host asked
for. What every page shares (brand, visitor, language, CSRF), sign-in, sign-out, the language
switch and the dashboard."""

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy.ext.asyncio import AsyncSession

from panel.accounts import signing_in, two_factor
from panel.brands import by_host
from panel.currencies import money_text
from panel.errors import PanelError
from panel.growth import announcements, levels, rewards
from panel.ledger import service as ledger
from panel.models import Account, AccountKind, SignInResult
from panel.orders import service as orders
from panel.orders.schemas import PUBLIC_STATUS
from panel.plumbing import headers
from panel.plumbing.deps import RuntimeDep, SessionDep
from panel.plumbing.runtime import Runtime
from panel.pricing import standing
from panel.support import tickets as support_tickets
from panel.web import level_texts, sessions, texts

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
RECENT = 10
EXAMPLE_AMOUNT = Decimal(10_000)

# The tabs each kind of account sees, by path and word.
NAV: dict[AccountKind, list[tuple[str, str]]] = {
    AccountKind.agency: [
        ("/", "dashboard"),
        ("/services", "services"),
        ("/service-updates", "service_updates"),
        ("/orders", "orders"),
        ("/tickets", "tickets"),
        ("/orders/mass", "mass_order"),
        ("/funds", "funds"),
        ("/referrals", "referrals"),
        ("/api-access", "api"),
    ],
    AccountKind.reseller: [
        ("/", "dashboard"),
        ("/deposits/new", "add_funds"),
        ("/console/agencies", "console"),
        ("/services", "services"),
        ("/service-updates", "service_updates"),
        ("/orders", "orders"),
        ("/tickets", "tickets"),
        ("/orders/mass", "mass_order"),
        ("/api-access", "api"),
    ],
    AccountKind.operator: [
        ("/ops", "ops_dashboard"),
        ("/ops/review", "review_queue"),
        ("/ops/orders", "orders"),
        ("/ops/tickets", "tickets"),
        ("/ops/providers", "providers"),
        ("/ops/prices", "ops_prices"),
        ("/ops/reports", "ops_reports"),
        ("/ops/accounts", "ops_accounts"),
        ("/ops/actions", "ops_actions"),
        ("/ops/deposits", "ops_deposits"),
        ("/ops/payment-reviews", "payment_reviews"),
        ("/ops/payment-methods", "payment_methods"),
        ("/ops/announcements", "announcements"),
        ("/ops/vouchers", "vouchers"),
        ("/security", "security"),
    ],
}
# The reseller console's own tabs, under the main ones: a phone shows six tabs at most.
CONSOLE = "/console/"
CONSOLE_NAV = [
    ("/console/agencies", "agencies"),
    ("/console/top-ups", "top_ups"),
    ("/console/deposits", "agency_deposits"),
    ("/console/payment-methods", "payment_methods"),
    ("/console/orders", "agency_orders"),
    ("/console/tickets", "agency_tickets"),
    ("/console/margin", "margin"),
    ("/console/markup", "markup"),
    ("/console/levels", "agency_levels"),
    ("/console/vouchers", "vouchers"),
    ("/console/brand", "brand"),
    ("/console/announcements", "announcements"),
    ("/console/referrals", "referrals"),
]


class Page:
    """What every page needs: the brand, the visitor, the language, the CSRF token."""

    def __init__(self, request: Request, runtime: Runtime, brand: by_host.Shown) -> None:
        secret = runtime.settings.web.secret
        assert secret is not None
        self.request = request
        self.runtime = runtime
        self.brand = brand
        self.signer = sessions.Signer(
            secret.get_secret_value(), runtime.settings.web.session_days * 86400
        )
        self.pending = sessions.Pending(secret.get_secret_value())
        self.visit = self.signer.read(request.cookies.get(sessions.COOKIE))
        self.member: Account | None = None  # set once the visitor is known to be signed in
        # The member's tickets with news, for the badge on its tickets tab.
        self.unread: int | None = None
        self.lang = texts.language(
            request.cookies.get("lang"), request.headers.get("accept-language")
        )

    def t(self, word: str) -> str:
        return texts.WORDS[self.lang][word]

    def refusal(self, error: PanelError) -> str:
        return texts.refusal(self.lang, error)

    def money(
        self, amount: Decimal | int, code: str | None = None, *, per_1000: bool = False
    ) -> str:
        """An amount as this page's reader reads it, in the panel's currency unless `code`
        names another (what a provider reports, say)."""
        shown_in = code or self.runtime.settings.currency
        return money_text.show(amount, shown_in, self.lang, per_1000=per_1000)

    def read_amount(self, text: str, *, places: int | None = None) -> Decimal:
        """A sum of money typed in a form of this page, exactly, in the panel's currency;
        `money_text.Unreadable` (with what to tell its writer) for anything else."""
        return money_text.read(text, self.runtime.settings.currency, self.lang, places=places)

    def render(self, template: str, status: int = 200, **context: Any) -> Response:
        response = templates.TemplateResponse(
            self.request,
            template,
            {
                "brand": self.brand,
                "t": texts.WORDS[self.lang],
                "refusal": self.refusal,
                "lang": self.lang,
                "csrf": self.visit.csrf,
                "member": self.member,
                "nav": NAV[self.member.kind] if self.member else [],
                "unread": self.unread,
                "subnav": CONSOLE_NAV if self.request.url.path.startswith(CONSOLE) else [],
                "here": self.request.url.path,
                "money": self.money,
                # An order's status and a delay in words, the same on every page.
                "status_word": lambda status: texts.status_word(self.lang, status),
                "duration": lambda seconds: texts.duration(self.lang, seconds),
                # What an amount field shows before anything is typed, in the page's style.
                "amount_example": money_text.number(EXAMPLE_AMOUNT, self.lang),
                "nonce": headers.nonce(self.request),
                **context,
            },
            status_code=status,
        )
        return self.keep(response)

    def keep(self, response: Response, visit: sessions.Visit | None = None) -> Response:
        response.set_cookie(
            sessions.COOKIE,
            self.signer.write(visit or self.visit),
            max_age=int(self.signer.max_age_s),
            httponly=True,
            samesite="lax",
            secure=self.request.url.scheme == "https",
        )
        return response


class Interrupt(Exception):
    """Raised by a page's dependencies to answer at once: to sign in, or that the form was
    stale. `install` makes the app send the response it carries."""

    def __init__(self, response: Response) -> None:
        super().__init__("answered early")
        self.response = response


def install(app: FastAPI) -> None:
    async def answer(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, Interrupt)
        return exc.response

    app.add_exception_handler(Interrupt, answer)


async def get_page(request: Request, runtime: RuntimeDep, session: SessionDep) -> Page:
    """The page's brand, visitor and language."""
    if runtime.settings.web.secret is None:
        # Named, so whoever runs the panel knows what to set (`pasok api` and `up` make one).
        lang = texts.language(request.cookies.get("lang"), request.headers.get("accept-language"))
        raise Interrupt(HTMLResponse(texts.WORDS[lang]["not_configured"], status_code=503))
    brand = await by_host.for_request(session, request, runtime.settings.web.brand_name)
    return Page(request, runtime, brand)


PageDep = Annotated[Page, Depends(get_page)]


async def get_member(page: PageDep, session: SessionDep) -> Account:
    """The signed-in account; anyone else is sent to sign in."""
    account = await _signed_in(session, page)
    if account is None:
        raise Interrupt(page.keep(RedirectResponse("/login", status_code=303)))
    page.member = account
    # One query per page: the badge on the tickets tab.
    page.unread = await support_tickets.unread(session, account)
    return account


MemberDep = Annotated[Account, Depends(get_member)]


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_LENGTH = 100


async def guard_form(request: Request, runtime: RuntimeDep, session: SessionDep) -> None:
    """Every form carries this visit's CSRF token: a POST without it, or with another visit's,
    is refused before its handler runs, and changes nothing. One dependency of every page
    router (`page_router`), so no form can forget it. Someone not signed in is shown the
    sign-in form again, since that is the form they were on."""
    if request.method in SAFE_METHODS:
        return
    token = (await request.form()).get("csrf")
    page = await get_page(request, runtime, session)
    if isinstance(token, str) and len(token) <= CSRF_LENGTH and sessions.csrf_ok(page.visit, token):
        return
    template = "login.html" if page.visit.account_id is None else "message.html"
    stale = page.t("stale_form")
    raise Interrupt(page.render(template, 403, error="stale_form", message=stale))


def page_router() -> APIRouter:
    """A router of web pages: out of the API's schema, every form guarded by `guard_form`."""
    return APIRouter(include_in_schema=False, dependencies=[Depends(guard_form)])


def _only(*kinds: AccountKind) -> Callable[[Page, Account], Awaitable[Account]]:
    """A dependency for pages of some kinds of account: to anyone else signed in, they do not
    exist."""

    async def member_of_kind(page: PageDep, account: MemberDep) -> Account:
        if account.kind not in kinds:
            raise Interrupt(page.render("message.html", 404, message=page.t("not_found")))
        return account

    return member_of_kind


AgencyDep = Annotated[Account, Depends(_only(AccountKind.agency))]
ResellerDep = Annotated[Account, Depends(_only(AccountKind.reseller))]
OperatorDep = Annotated[Account, Depends(_only(AccountKind.operator))]
# Those who sell to others: the pages of vouchers they issue.
SellerDep = Annotated[Account, Depends(_only(AccountKind.reseller, AccountKind.operator))]
# Those who buy: the pages of orders and API keys.
BuyerDep = Annotated[Account, Depends(_only(AccountKind.reseller, AccountKind.agency))]


async def _signed_in(session: AsyncSession, page: Page) -> Account | None:
    """The visitor's account, if it is signed in, still active, and of this brand."""
    if page.visit.account_id is None:
        return None
    account = await session.get(Account, page.visit.account_id)
    return account if signing_in.may_sign_in(account, page.brand.reseller_id) else None


router = page_router()


@router.get("/login")
async def login_form(page: PageDep) -> Response:
    return page.render("login.html")


@router.post("/login")
async def login(
    request: Request,
    page: PageDep,
    runtime: RuntimeDep,
    session: SessionDep,
    email: Annotated[str, Form(max_length=320)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    settings = runtime.settings.web
    visitor = signing_in.Visitor(
        email=email,
        address=(request.client.host if request.client else "unknown") or "unknown",
        user_agent=request.headers.get("user-agent"),
    )
    checked = await signing_in.check_password(
        session,
        runtime.redis,
        visitor,
        password,
        page.brand.reseller_id,
        attempts=settings.login_attempts,
        window_s=settings.login_window_s,
    )
    who = email.strip().lower()
    if checked.refusal == "locked":
        return page.render("login.html", 429, error="too_many", email=who)
    account = checked.account
    if account is None:
        return page.render("login.html", 401, error="wrong_login", email=who)
    # The password is right; with two-factor sign-in, a code comes next
    # (panel.web.security_pages).
    if await two_factor.is_on(session, account.id):
        return page.render("login_code.html", pending=page.pending.write(account.id, page.visit))
    if account.kind is AccountKind.operator and settings.operator_totp_required:
        secret = settings.secret.get_secret_value() if settings.secret else ""
        enrolment = await two_factor.begin(session, account, secret, page.brand.name)
        return totp_enrolment(
            page,
            enrolment,
            action="/login/code",
            pending=page.pending.write(account.id, page.visit),
            required=True,
        )
    await signing_in.log(session, account, visitor, SignInResult.ok)
    return page.keep(RedirectResponse("/", status_code=303), sessions.fresh(account.id))


def totp_enrolment(
    page: Page,
    enrolment: two_factor.Enrolment,
    *,
    action: str,
    pending: str,
    status: int = 200,
    **context: Any,
) -> Response:
    """The page that sets up an authenticator app. It shows the secret in clear, so no cache
    may keep a copy of it."""
    response = page.render(
        "totp_enrol.html", status, action=action, pending=pending, enrolment=enrolment, **context
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/logout")
async def logout(page: PageDep) -> Response:
    return page.keep(RedirectResponse("/login", status_code=303), sessions.fresh(None))


@router.get("/lang/{code}")
async def switch_language(code: str, page: PageDep, next: str = "/") -> Response:
    """Remember the visitor's language and go back where it was. Only a path on this host is
    followed, so the switch cannot send anyone elsewhere."""
    back = next if next.startswith("/") and not next.startswith("//") else "/"
    response = page.keep(RedirectResponse(back, status_code=303))
    if code in texts.LANGUAGES:
        response.set_cookie("lang", code, max_age=365 * 86400, samesite="lax")
    return response


@router.get("/")
async def dashboard(page: PageDep, account: MemberDep, session: SessionDep) -> Response:
    if account.kind is AccountKind.operator:
        return page.keep(RedirectResponse(NAV[account.kind][0][0], status_code=303))
    recent = await orders.listing(session, account, orders.Filter(limit=RECENT))
    paid = await orders.paid_by(session, account, recent)
    now = datetime.now(UTC)
    shown_tier = (
        await standing.standing(session, account, now)
        if account.kind is AccountKind.reseller
        else None
    )
    return page.render(
        "dashboard.html",
        account=account,
        balance=await ledger.balance(session, account.id),
        orders=[(order, PUBLIC_STATUS[order.status].value, paid[order.id]) for order in recent],
        standing=shown_tier,
        announcements=await announcements.unread(session, account, now),
        level=await levels.standing(session, account, now)
        if account.kind is AccountKind.agency
        else None,
        purse=await rewards.purse(session, account, now)
        if account.kind is AccountKind.agency
        else None,
        level_rules=await levels.rules_of(session, account.parent_id)
        if account.parent_id is not None
        else None,
        lw=level_texts.WORDS[page.lang],
        badge_word=level_texts.BADGE_WORDS[page.lang],
        day=lambda moment: level_texts.day(page.lang, moment),
        pct=level_texts.percent,
        point_value=levels.POINT_VALUE,
    )
