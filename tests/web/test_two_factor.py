"""Two-factor sign-in over HTTP: with TOTP on, the password alone signs nobody in, the code
does, once; a recovery code works once; turning it off needs a code; operators can be made
to have it; and every attempt is in the account's sign-in history, newest first."""

import base64
import html
import re
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack

import pytest
from httpx import ASGITransport, AsyncClient, Response
from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from panel.accounts import service as accounts
from panel.accounts import sign_ins, totp
from panel.config import Settings, WebSettings
from panel.models import AccountKind, RecoveryCode, SignIn, SignInResult, TwoFactor
from tests.conftest import AppFor, Operator
from tests.fixtures.factories import World
from tests.web.conftest import AGENCY_EMAIL, HOST, PASSWORD, csrf_of, give_password, sign_in

OPS_HOST = "ops.example"
OPERATOR_EMAIL = "ops@example.com"
AGENT = "Mozilla/5.0 (Linux; Android 14) Chrome/131"


class Site:
    """Visitors of one app whose web settings a test chooses."""

    def __init__(
        self,
        stack: AsyncExitStack,
        app_for: AppFor,
        maker: async_sessionmaker[AsyncSession],
        settings: Settings,
    ) -> None:
        self._stack, self._app = stack, app_for(maker)
        self._settings = settings

    def configure(self, **web: object) -> None:
        secret = SecretStr("test-secret-" + "x" * 32)
        chosen = WebSettings.model_validate({"secret": secret, "login_attempts": 10, **web})
        self._app.state.runtime.settings = self._settings.model_copy(update={"web": chosen})

    async def visitor(self, host: str = HOST) -> AsyncClient:
        client = AsyncClient(
            transport=ASGITransport(app=self._app),
            base_url=f"http://{host}",
            headers={"Accept-Language": "id", "User-Agent": AGENT},
        )
        return await self._stack.enter_async_context(client)


@pytest.fixture
async def site(
    app_for: AppFor, sessionmaker: async_sessionmaker[AsyncSession], settings: Settings
) -> AsyncIterator[Site]:
    async with AsyncExitStack() as stack:
        made = Site(stack, app_for, sessionmaker, settings)
        made.configure()
        yield made


@pytest.fixture(autouse=True)
def _mid_step() -> None:
    """Codes are for 30-second steps: start a test early in one, so that the steps it counts
    on do not move under it."""
    if time.time() % totp.STEP_S > totp.STEP_S - 8:
        time.sleep(totp.STEP_S - time.time() % totp.STEP_S + 0.1)


def secret_of(page: Response) -> bytes:
    found = re.search(r'id="totp-secret">([A-Z2-7]+)<', page.text)
    assert found, page.text
    text = found.group(1)
    return base64.b32decode(text + "=" * (-len(text) % 8))


def code(secret: bytes, offset: int = 0) -> str:
    return totp.code_at(secret, totp.step_at(time.time()) + offset)


def recovery_codes_of(page: Response) -> list[str]:
    return re.findall(r"<li><code>([a-z2-7-]+)</code></li>", page.text)


def pending_of(page: Response) -> str:
    found = re.search(r'name="pending" value="([^"]+)"', page.text)
    assert found, page.text
    return html.unescape(found.group(1))


async def signed_in(web: AsyncClient) -> bool:
    return (await web.get("/security")).status_code == 200


async def turn_on(web: AsyncClient) -> tuple[bytes, list[str]]:
    """Turn TOTP on from the security page, confirming with the code of the step before, so
    that the current and next steps' codes are still good for signing in."""
    form = await web.get("/security")
    assert form.status_code == 200, form.text
    started = await web.post("/security/totp", data={"csrf": csrf_of(form)})
    assert started.status_code == 200, started.text
    assert started.headers["cache-control"] == "no-store"
    secret = secret_of(started)
    assert f"secret={totp.text(secret)}" in html.unescape(started.text)
    wrong = await web.post(
        "/security/totp/confirm", data={"code": "000000", "csrf": csrf_of(started)}
    )
    assert wrong.status_code == 422
    assert secret_of(wrong) == secret  # the same secret, shown again
    confirmed = await web.post(
        "/security/totp/confirm", data={"code": code(secret, -1), "csrf": csrf_of(started)}
    )
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.headers["cache-control"] == "no-store"
    codes = recovery_codes_of(confirmed)
    assert len(codes) == 10
    return secret, codes


async def password_step(web: AsyncClient, email: str = AGENCY_EMAIL, host: str = HOST) -> Response:
    answer = await sign_in(web, email, host)
    assert answer.status_code == 200, answer.text
    assert 'action="/login/code"' in answer.text
    return answer


async def code_step(web: AsyncClient, step: Response, typed: str) -> Response:
    return await web.post(
        "/login/code", data={"pending": pending_of(step), "code": typed, "csrf": csrf_of(step)}
    )


async def sign_out(web: AsyncClient) -> None:
    page = await web.get("/security")
    await web.post("/logout", data={"csrf": csrf_of(page)})
    assert not await signed_in(web)


async def results(session: AsyncSession, account_id: int) -> list[SignInResult]:
    rows = await session.scalars(
        select(SignIn.result).where(SignIn.account_id == account_id).order_by(SignIn.id)
    )
    return list(rows)


async def test_with_totp_on_the_password_alone_signs_nobody_in(
    world: World, site: Site, session: AsyncSession
) -> None:
    web = await site.visitor()
    assert (await sign_in(web)).status_code == 303
    secret, _ = await turn_on(web)
    await sign_out(web)

    step = await password_step(web)
    assert not await signed_in(web)
    for typed in ("", "000000", "abc", code(secret, -2)):
        refused = await code_step(web, step, typed)
        assert refused.status_code == 401
        assert "Kode salah atau sudah kedaluwarsa." in refused.text
        assert not await signed_in(web)
    accepted = await code_step(web, step, code(secret))
    assert (accepted.status_code, accepted.headers["location"]) == (303, "/")
    assert await signed_in(web)

    # The same code is not taken twice, even with the password again.
    await sign_out(web)
    again = await password_step(web)
    assert (await code_step(web, again, code(secret))).status_code == 401
    assert not await signed_in(web)
    assert (await code_step(web, again, code(secret, 1))).status_code == 303
    assert await results(session, world.agency.id) == [
        SignInResult.ok,
        *[SignInResult.bad_code] * 4,
        SignInResult.ok,
        SignInResult.bad_code,
        SignInResult.ok,
    ]


async def test_a_recovery_code_works_once(world: World, site: Site, session: AsyncSession) -> None:
    web = await site.visitor()
    assert (await sign_in(web)).status_code == 303
    _, codes = await turn_on(web)
    await sign_out(web)

    step = await password_step(web)
    used = await code_step(web, step, codes[3].upper().replace("-", " "))
    assert used.status_code == 303
    assert await signed_in(web)
    await sign_out(web)
    step = await password_step(web)
    assert (await code_step(web, step, codes[3])).status_code == 401
    assert not await signed_in(web)
    assert (await code_step(web, step, codes[4])).status_code == 303
    assert (await results(session, world.agency.id))[-3:] == [
        SignInResult.recovery_code,
        SignInResult.bad_code,
        SignInResult.recovery_code,
    ]
    security = await web.get("/security")
    assert re.search(r"Sisa kode pemulihan: <strong>8</strong>", security.text)


async def test_the_code_step_opens_nothing_in_another_browser_or_with_a_forged_token(
    world: World, site: Site
) -> None:
    web = await site.visitor()
    assert (await sign_in(web)).status_code == 303
    secret, _ = await turn_on(web)
    await sign_out(web)
    step = await password_step(web)

    thief = await site.visitor()
    form = await thief.get("/login")
    stolen = await thief.post(
        "/login/code",
        data={"pending": pending_of(step), "code": code(secret, 1), "csrf": csrf_of(form)},
    )
    assert stolen.status_code == 401
    assert not await signed_in(thief)
    forged = await web.post(
        "/login/code",
        data={"pending": "x" + pending_of(step), "code": code(secret, 1), "csrf": csrf_of(step)},
    )
    assert forged.status_code == 401
    assert not await signed_in(web)
    # Nor did those use up the code.
    assert (await code_step(web, step, code(secret, 1))).status_code == 303


async def test_the_secret_and_recovery_codes_are_not_stored_in_clear(
    world: World, site: Site, session: AsyncSession
) -> None:
    web = await site.visitor()
    assert (await sign_in(web)).status_code == 303
    secret, codes = await turn_on(web)
    stored = await session.get_one(TwoFactor, world.agency.id, populate_existing=True)
    assert stored.enabled_at is not None
    assert totp.text(secret) not in stored.secret
    assert secret.hex() not in stored.secret
    hashes = list(await session.scalars(select(RecoveryCode.code_hash)))
    assert len(hashes) == 10
    assert not {c.replace("-", "") for c in codes} & set(hashes)
    assert not any(c in h for c in codes for h in hashes)


async def test_turning_totp_off_needs_a_code(
    world: World, site: Site, session: AsyncSession
) -> None:
    web = await site.visitor()
    assert (await sign_in(web)).status_code == 303
    secret, _ = await turn_on(web)
    page = await web.get("/security")
    refused = await web.post(
        "/security/totp/disable", data={"code": "123456", "csrf": csrf_of(page)}
    )
    assert refused.status_code == 422
    assert await session.get(TwoFactor, world.agency.id, populate_existing=True) is not None
    off = await web.post(
        "/security/totp/disable", data={"code": code(secret), "csrf": csrf_of(page)}
    )
    assert off.status_code == 303
    assert await session.get(TwoFactor, world.agency.id, populate_existing=True) is None
    assert list(await session.scalars(select(RecoveryCode))) == []
    await sign_out(web)
    assert (await sign_in(web)).status_code == 303  # the password alone again


async def test_operators_must_set_up_totp_when_the_setting_says_so(
    site: Site, session: AsyncSession
) -> None:
    operator = await accounts.create(session, kind=AccountKind.operator, name="Ops")
    await give_password(session, operator, OPERATOR_EMAIL)
    site.configure(operator_totp_required=True)
    web = await site.visitor(OPS_HOST)

    step = await password_step(web, OPERATOR_EMAIL, OPS_HOST)
    assert "mewajibkan verifikasi dua langkah" in step.text
    assert step.headers["cache-control"] == "no-store"
    assert not await signed_in(web)
    assert (await web.get("/ops/review")).status_code == 303
    secret = secret_of(step)
    wrong = await code_step(web, step, "000000")
    assert wrong.status_code == 401
    assert secret_of(wrong) == secret
    done = await code_step(web, step, code(secret))
    assert done.status_code == 200, done.text
    assert len(recovery_codes_of(done)) == 10
    assert (await web.get("/ops/review")).status_code == 200

    # From now on the code is asked, and TOTP cannot be turned off.
    security = await web.get("/security")
    assert "wajib untuk operator" in security.text
    refused = await web.post(
        "/security/totp/disable", data={"code": code(secret, 1), "csrf": csrf_of(security)}
    )
    assert refused.status_code == 403
    await sign_out(web)
    again = await password_step(web, OPERATOR_EMAIL, OPS_HOST)
    assert "mewajibkan" not in again.text
    assert (await code_step(web, again, code(secret, 1))).status_code == 303
    assert (await web.get("/ops/review")).status_code == 200


async def test_without_the_setting_an_operator_signs_in_with_the_password(
    site: Site, session: AsyncSession
) -> None:
    operator = await accounts.create(session, kind=AccountKind.operator, name="Ops")
    await give_password(session, operator, OPERATOR_EMAIL)
    web = await site.visitor(OPS_HOST)
    assert (await sign_in(web, OPERATOR_EMAIL, OPS_HOST)).status_code == 303


async def test_the_sign_in_history_is_its_owners_newest_first_and_paged(
    world: World, site: Site, session: AsyncSession
) -> None:
    web = await site.visitor()
    assert (await sign_in(web, password="wrong password!")).status_code == 401
    assert (await sign_in(web, "nobody@example.com")).status_code == 401  # names no account
    assert (await sign_in(web)).status_code == 303
    page = await web.get("/security")
    assert page.status_code == 200
    history = page.text[page.text.index('id="sign-ins"') :]
    assert history.index("Berhasil masuk") < history.index("Kata sandi salah")
    assert AGENT in history
    assert "127.0.0.1" in history
    assert (await results(session, world.agency.id)) == [SignInResult.bad_password, SignInResult.ok]

    # Another account's attempts are not shown here.
    await sign_ins.record(session, world.reseller.id, "192.0.2.1", "other", SignInResult.ok)
    for _ in range(55):
        await sign_ins.record(session, world.agency.id, "192.0.2.99", "script", SignInResult.locked)
    first = await web.get("/security")
    assert "192.0.2.1" not in first.text
    assert first.text.count("Ditolak: terlalu banyak percobaan") == 50
    older = re.search(r'href="/security\?before=(\d+)"', first.text)
    assert older
    second = await web.get(f"/security?before={older.group(1)}")
    assert second.text.count("Ditolak: terlalu banyak percobaan") == 5
    assert "Berhasil masuk" in second.text
    assert "Kata sandi salah" in second.text
    assert "before=" not in second.text


async def test_too_many_failures_are_logged_as_locked(
    world: World, site: Site, session: AsyncSession
) -> None:
    site.configure(login_attempts=2)
    web = await site.visitor()
    for _ in range(2):
        assert (await sign_in(web, password="wrong password!")).status_code == 401
    assert (await sign_in(web, password=PASSWORD)).status_code == 429
    assert await results(session, world.agency.id) == [
        SignInResult.bad_password,
        SignInResult.bad_password,
        SignInResult.locked,
    ]


async def test_an_operator_resets_the_two_factor_of_an_owner_who_lost_everything(
    world: World, site: Site, session: AsyncSession, client: AsyncClient, operator: Operator
) -> None:
    web = await site.visitor()
    assert (await sign_in(web)).status_code == 303
    await turn_on(web)
    await sign_out(web)
    await password_step(web)

    path = f"/admin/v1/accounts/{world.agency.id}/two-factor"
    assert (await client.delete(path)).status_code == 401
    assert (await client.delete(path, headers=operator.headers)).status_code == 204
    assert (
        await client.delete("/admin/v1/accounts/999999/two-factor", headers=operator.headers)
    ).status_code == 404
    assert list(await session.scalars(select(RecoveryCode))) == []
    assert (await sign_in(web)).status_code == 303
