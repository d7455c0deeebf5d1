"""The connection check of a provider not yet added, over HTTP against the sandbox: through
`POST /admin/v1/providers/check` and through the console's "Check connection" button.
Nothing is written either way."""

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
from httpx import AsyncClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from panel import action_log
from panel.accounts import service as accounts
from panel.models import AccountKind, Provider
from panel.providers import dialect_doc
from sandbox import create_app
from tests.conftest import Operator
from tests.fixtures.app_server import AppServer
from tests.web.conftest import Visitor, csrf_of, give_password, sign_in, visitor  # noqa: F401

KEY = "conn-k3y-42aa"
UNREACHABLE = "http://127.0.0.1:9/api/v2"


@pytest.fixture(scope="module")
def upstream() -> Iterator[str]:
    server = AppServer(create_app(seed=1, api_key=KEY, currency="IDR"), lifespan="off").start()
    yield server.base_url
    with httpx.Client(timeout=5) as http:  # release anything still held back
        http.post(f"{server.base_url}/sandbox/reset")
    server.stop()


async def providers(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(Provider)) or 0)


def body(base: str, **changes: Any) -> dict[str, Any]:
    return {"name": "Lokal", "api_url": f"{base}/api/v2", "api_key": KEY, "currency": "IDR"} | (
        changes
    )


CASES = [
    ("smm_v2", {}, True, ""),
    ("dialect", {"adapter": "dialect", "dialect": "irvankede", "api_id": "7",
                 "api_secret": "s3c", "api_url": "{base}/dialect/irvankede"}, True, ""),
    ("wrong_key", {"api_key": "wrong-key"}, False, "credentials refused: Invalid API key"),
    ("dialect_wrong_key", {"adapter": "dialect", "dialect": "medanpedia", "api_id": "7",
                           "api_key": "nope", "api_url": "{base}/dialect/medanpedia"},
     False, "credentials refused: API Key salah"),
    ("unreachable", {"api_url": UNREACHABLE}, False, "unreachable: not sent"),
    ("other_currency", {"currency": "USD"}, False, "reports its balance in IDR, not USD"),
]  # fmt: skip


@pytest.mark.parametrize(("case", "changes", "ok", "problem"), CASES, ids=[c[0] for c in CASES])
async def test_check_reports(
    client: AsyncClient,
    operator: Operator,
    session: AsyncSession,
    upstream: str,
    case: str,
    changes: dict[str, Any],
    ok: bool,
    problem: str,
) -> None:
    changes = {k: v.format(base=upstream) if k == "api_url" else v for k, v in changes.items()}
    before = await providers(session)
    answer = await client.post(
        "/admin/v1/providers/check", json=body(upstream, **changes), headers=operator.headers
    )
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert report["ok"] is ok
    assert KEY not in answer.text
    assert "s3c" not in answer.text
    assert "nope" not in answer.text
    if ok:
        assert report["problems"] == []
        assert report["credentials_ok"] is True
        assert (Decimal(report["balance"]), report["currency"]) == (Decimal(1000), "IDR")
        assert report["services_count"] >= 3
        assert report["samples"][0]["external_id"] == "1"
        assert report["samples"][0]["name"] == "Instagram Followers"
    else:
        assert any(problem in found for found in report["problems"]), report
    assert await providers(session) == before


async def test_a_bad_document_is_a_422_naming_line_and_field(
    client: AsyncClient, operator: Operator, session: AsyncSession, upstream: str
) -> None:
    document = (dialect_doc.shipped("medanpedia") or "").replace(
        '"Success" = "completed"', '"Success" = "done"'
    )
    line = document.splitlines().index('"Success" = "done"') + 1
    before = await providers(session)
    for path in ("/admin/v1/providers/check", "/admin/v1/providers"):
        answer = await client.post(
            path,
            json=body(upstream, adapter="dialect", dialect=document, api_id="7"),
            headers=operator.headers,
        )
        assert answer.status_code == 422, answer.text
        assert answer.headers["content-type"] == "application/problem+json"
        problem = answer.json()
        assert problem["detail"].startswith(f'line {line}: [status] words."Success": unknown state')
        assert (problem["line"], problem["field"]) == (line, '[status] words."Success"')
    assert await providers(session) == before


async def test_adding_a_dialect_provider_keeps_its_secrets(
    client: AsyncClient, operator: Operator, session: AsyncSession, upstream: str
) -> None:
    made = await client.post(
        "/admin/v1/providers",
        json=body(
            upstream,
            adapter="dialect",
            dialect="irvankede",
            api_id="7",
            api_secret="s3c-kept",
            api_url=f"{upstream}/dialect/irvankede",
        ),
        headers=operator.headers,
    )
    assert made.status_code == 201, made.text
    assert made.json()["adapter"] == "dialect"
    assert KEY not in made.text
    assert "s3c-kept" not in made.text
    saved = await session.get(Provider, made.json()["id"])
    assert saved is not None
    assert saved.api_secret == "s3c-kept"
    assert saved.dialect == dialect_doc.shipped("irvankede")


@pytest.mark.parametrize(
    ("english", "good", "bad"),
    [(True, "Connection works.", "Connection check failed"),
     (False, "Koneksi berhasil.", "Pemeriksaan koneksi gagal")],
)  # fmt: skip
async def test_console_button_shows_the_report(
    visitor: Visitor,  # noqa: F811
    session: AsyncSession,
    upstream: str,
    english: bool,
    good: str,
    bad: str,
) -> None:
    operator = await accounts.create(session, kind=AccountKind.operator, name="Ops")
    await give_password(session, operator, "ops@example.com")
    web = await visitor("ops.example", english=english)
    assert (await sign_in(web, "ops@example.com", "ops.example")).status_code == 303
    page = await web.get("/ops/providers")
    assert page.status_code == 200
    button = "Check connection" if english else "Periksa koneksi"
    assert f'<button type="submit" name="intent" value="check">{button}</button>' in page.text
    before = await providers(session)
    form = {
        "csrf": csrf_of(page),
        "name": "Lokal",
        "api_url": f"{upstream}/dialect/medanpedia",
        "api_key": KEY,
        "adapter": "dialect",
        "dialect": "medanpedia",
        "api_id": "7",
        "currency": "IDR",
    }
    checked = await web.post("/ops/providers/check", data=form)
    assert checked.status_code == 200, checked.text
    report = checked.text[checked.text.index('id="check-result"') :]
    assert good in report
    assert 'class="services-count">' in report
    assert 'class="sample">1 · Instagram Followers' in report
    assert KEY not in checked.text
    refused = await web.post("/ops/providers/check", data=form | {"api_key": "bad"})
    assert bad in refused.text
    assert "API Key salah" in refused.text
    assert await providers(session) == before
    # Saving checks first: a wrong key keeps nothing; a good one adds the provider, logged.
    kept = await web.post("/ops/providers/check", data=form | {"api_key": "bad", "intent": "save"})
    assert kept.status_code == 422
    assert await providers(session) == before
    saved = await web.post("/ops/providers/check", data=form | {"intent": "save"})
    assert saved.status_code == 303, saved.text
    assert await providers(session) == before + 1
    made = await session.scalar(select(Provider).where(Provider.name == "Lokal"))
    assert made is not None
    assert (made.adapter, made.api_id, made.currency) == ("dialect", "7", "IDR")
    assert made.dialect == dialect_doc.shipped("medanpedia")
    shown = await web.get(saved.headers["location"])
    assert 'id="provider-added"' in shown.text
    assert KEY not in shown.text
    logged = await action_log.search(session, action_log.Filter(action="provider.create"))
    assert [entry.subject_id for entry in logged] == [made.id]
    again = await web.post("/ops/providers/check", data=form | {"intent": "save"})
    assert again.status_code == 422  # the name is taken: shown, nothing written
    assert await providers(session) == before + 1
