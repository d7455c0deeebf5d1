"""Over HTTP: a brand's name cannot break out of the REST reference's title, and every page, the
reference, its files and the error answers carry the security headers; an HTML page's policy
allows only its own files and the inline blocks that carry this answer's nonce."""

import re

from httpx import AsyncClient, Response
from sqlalchemy.ext.asyncio import AsyncSession

from panel.accounts import service as accounts
from panel.brands import brand_book
from panel.models import AccountKind
from panel.orders import service as orders
from tests.fixtures.factories import World
from tests.web.conftest import (
    AGENCY_EMAIL,
    RESELLER_EMAIL,
    Visitor,
    give_password,
    sign_in,
    token,
)

XSS = "</title><script>pwned()</script>"
OPS_HOST = "ops.example"  # no brand has it: the operator's own


async def _rename(session: AsyncSession, world: World, name: str) -> None:
    await brand_book.set_brand(
        session,
        world.reseller,
        name=name,
        hosts=["a.example"],
        logo_url=None,
        primary_color="#aa0000",
        accent_color="#0e1116",
        whatsapp_url=None,
        payment_instructions="",
    )


async def test_a_brand_name_cannot_break_out_of_the_docs_title(
    world: World, web: AsyncClient, session: AsyncSession
) -> None:
    await _rename(session, world, XSS)
    page = await web.get("http://a.example/docs")
    assert page.status_code == 200
    assert "<script>pwned()" not in page.text
    assert "<title>&lt;/title&gt;&lt;script&gt;pwned()&lt;/script&gt; API</title>" in page.text


def _directives(answer: Response) -> dict[str, list[str]]:
    policy = answer.headers["content-security-policy"]
    parts = (part.split() for part in policy.split(";") if part.strip())
    return {name: sources for name, *sources in parts}


def _check_page(path: str, answer: Response) -> None:
    """The headers of an HTML answer, and inline blocks that match its policy."""
    assert answer.headers["content-type"].startswith("text/html"), path
    _check_common(path, answer)
    policy = _directives(answer)
    assert policy["default-src"] == ["'self'"], path
    assert policy["frame-ancestors"] == ["'none'"], path
    assert policy["object-src"] == ["'none'"], path
    assert policy["base-uri"] == ["'none'"], path
    for directive in ("script-src", "style-src"):
        assert "'unsafe-inline'" not in policy[directive], (path, directive)
        assert "'unsafe-eval'" not in policy[directive], (path, directive)
    nonces = {source for source in policy["script-src"] if source.startswith("'nonce-")}
    assert nonces == {source for source in policy["style-src"] if source.startswith("'nonce-")}
    allowed = {source[len("'nonce-") : -1] for source in nonces}
    # Every inline block carries the answer's nonce; a script from a file comes from the host.
    for tag, attributes in re.findall(r"<(script|style)\b([^>]*)>", answer.text):
        source = re.search(r'\bsrc="([^"]*)"', attributes)
        if source:
            assert source.group(1).startswith("/"), (path, source.group(1))
            continue
        nonce = re.search(r'\bnonce="([^"]*)"', attributes)
        assert nonce, (path, tag, attributes)
        assert nonce.group(1) in allowed, (path, tag, attributes)
    assert not re.search(r"<[^>]+\son[a-z]+\s*=", answer.text), (path, "inline event handler")


def _check_common(path: str, answer: Response) -> None:
    assert answer.headers["x-content-type-options"] == "nosniff", path
    assert answer.headers["referrer-policy"] == "same-origin", path
    assert answer.headers["x-frame-options"] == "DENY", path


async def test_every_page_carries_the_security_headers(
    world: World, visitor: Visitor, session: AsyncSession
) -> None:
    service = world.services["followers"]
    await orders.accept(
        session, world.agency, service.id, {"link": "https://instagram.com/a", "quantity": "100"}
    )
    await give_password(session, world.reseller, RESELLER_EMAIL)
    operator = await accounts.create(session, kind=AccountKind.operator, name="Ops")
    await give_password(session, operator, "ops@example.com")
    await accounts.create(session, kind=AccountKind.agency, name="A2", parent_id=world.reseller.id)

    stranger, agency, reseller, ops = (
        await visitor(),
        await visitor(),
        await visitor(),
        await visitor(OPS_HOST),
    )
    assert (await sign_in(agency)).status_code == 303
    assert (await sign_in(reseller, RESELLER_EMAIL)).status_code == 303
    assert (await sign_in(ops, "ops@example.com", OPS_HOST)).status_code == 303

    pages = {
        stranger: ["/login", "/docs"],
        agency: [
            "/",
            "/services",
            f"/orders/new?service={service.id}",
            "/orders",
            "/orders/mass",
            "/funds",
            "/api-access",
            "/api-access/docs",
            "/docs",
        ],
        reseller: [
            "/",
            "/console/agencies",
            "/console/top-ups",
            "/console/orders",
            "/console/margin",
            "/console/markup",
            "/console/brand",
        ],
        ops: ["/ops/review", "/ops/providers", "/docs"],
    }
    nonces = set()
    for client, paths in pages.items():
        for path in paths:
            answer = await client.get(path)
            assert answer.status_code == 200, (path, answer.text)
            _check_page(path, answer)
            nonces.add(answer.headers["content-security-policy"])
    # Each answer has a nonce of its own.
    assert len(nonces) == sum(len(paths) for paths in pages.values())

    # The pages a form answers with.
    for client, path, data in (
        (reseller, "/console/invitations", {"note": "Budi"}),
        (agency, "/api-access/keys", {"label": "bot"}),
        (agency, "/orders/mass", {"orders": f"{service.id}|https://instagram.com/b|100"}),
    ):
        csrf = await token(client, "/")
        _check_page(path, answered(await client.post(path, data={**data, "csrf": csrf}), 200))

    # Error pages: a page of another kind of account, a wrong password, a stale form.
    _check_page("/ops/review", answered(await agency.get("/ops/review"), 404))
    wrong = await sign_in(stranger, AGENCY_EMAIL, password="wrong password!")
    _check_page("/login", answered(wrong, 401))
    stale = await agency.post("/orders", data={"service": str(service.id), "csrf": "stale"})
    _check_page("/orders", answered(stale, 403))

    # JSON and files carry the cheap headers; the policy is for HTML.
    for path, status in (
        ("/openapi.json", 200),
        ("/docs/assets/swagger-ui-bundle.js", 200),
        ("/docs/assets/swagger-ui.css", 200),
        ("/docs/assets/index.html", 404),
        ("/v1/services", 401),
        ("/no/such/page", 404),
    ):
        answer = answered(await stranger.get(path), status)
        _check_common(path, answer)
        assert "content-security-policy" not in answer.headers, path


def answered(answer: Response, status: int) -> Response:
    assert answer.status_code == status, (answer.request.url, answer.text[:300])
    return answer


async def test_the_docs_load_swagger_ui_from_the_host_itself(
    world: World, web: AsyncClient
) -> None:
    page = await web.get("http://a.example/docs")
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert "/docs/assets/swagger-ui-bundle.js" in sources
    assert "/docs/assets/swagger-ui.css" in sources
    assert not [source for source in sources if "//" in source], sources
    script = await web.get("http://a.example/docs/assets/swagger-ui-bundle.js")
    assert script.headers["content-type"].startswith("text/javascript")
    assert "SwaggerUIBundle" in script.text
    assert "max-age" in script.headers["cache-control"]
