"""Invitations and brands over HTTP: a link made on the operator's host opens on the brand's own
host and names the brand, a reseller with no brand is told to set one, no page shows a text's
`{placeholder}`, the demo brand keeps `localhost`, and the brand form reads hosts as a reseller
types them."""

import re
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from pathlib import Path
from urllib.parse import unquote

import pytest
from httpx import ASGITransport, AsyncClient
from pydantic import SecretStr
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from panel import demo
from panel.accounts import service as accounts
from panel.brands import brand_book
from panel.config import Settings, WebSettings
from panel.models import AccountKind, BrandHost, Invitation
from panel.web import texts
from tests.conftest import AppFor
from tests.fixtures.factories import World
from tests.web.conftest import (
    PASSWORD,
    RESELLER_EMAIL,
    Visitor,
    csrf_of,
    give_password,
    sign_in,
    token,
)

OPERATOR_HOST = "panel.operator.example"  # no brand's: the operator's own
PLACEHOLDER = re.compile(r"\{[a-z_]+\}")


@pytest.fixture
async def visitor_in(
    app_for: AppFor, sessionmaker: async_sessionmaker[AsyncSession], settings: Settings
) -> AsyncIterator[Callable[[str, str], AsyncClient]]:
    """A maker of visitors of an app whose `PASOK_ENVIRONMENT` is the one named."""
    async with AsyncExitStack() as stack:

        def visit(environment: str, base_url: str) -> AsyncClient:
            app = app_for(sessionmaker)
            web = WebSettings(secret=SecretStr("test-secret-" + "x" * 32))
            app.state.runtime.settings = settings.model_copy(
                update={"web": web, "environment": environment}
            )
            client = AsyncClient(transport=ASGITransport(app=app), base_url=base_url)
            stack.push_async_callback(client.aclose)
            return client

        yield visit


async def _make_link(web: AsyncClient, host: str) -> tuple[str, str, str]:
    """The link, the WhatsApp text and the page of a new invitation made on `host`."""
    console = await web.get(f"http://{host}/console/agencies")
    assert console.status_code == 200, console.text
    made = await web.post(
        f"http://{host}/console/invitations", data={"note": "Budi", "csrf": csrf_of(console)}
    )
    assert made.status_code == 200, made.text
    link = made.text.split('id="invitation-link" value="', 1)[1].split('"', 1)[0]
    share = unquote(made.text.split("https://wa.me/?text=", 1)[1].split('"', 1)[0])
    return link, share, made.text


async def test_a_link_made_on_the_operators_host_opens_on_the_brands_host(
    world: World, visitor: Visitor, session: AsyncSession
) -> None:
    """A reseller signs in where resellers may, the operator's host, and invites from there:
    the link is for its brand's host, where the agency can join and later sign in, and the
    text to share names the reseller's brand, not the operator's."""
    await give_password(session, world.reseller, RESELLER_EMAIL)
    web = await visitor(OPERATOR_HOST)
    signed_in = await sign_in(web, RESELLER_EMAIL, host=OPERATOR_HOST)
    assert signed_in.status_code == 303
    link, share, made = await _make_link(web, OPERATOR_HOST)
    assert link.startswith("http://a.example/join/")
    assert share.startswith("Bergabunglah dengan saya di Toko Sosmed: http://a.example/join/")
    assert "Pasok" not in share
    assert "dibuka di a.example, alamat panel Anda" in made.split('id="opens-on"', 1)[1]

    agency = await visitor()
    form = await agency.get(link)
    assert form.status_code == 200
    assert "<title>Bergabung dengan Toko Sosmed · Toko Sosmed</title>" in form.text
    joined = await agency.post(
        link,
        data={
            "name": "Budi Digital",
            "email": "budi@example.com",
            "password": "budi's password",
            "csrf": csrf_of(form),
        },
    )
    assert (joined.status_code, joined.headers["location"]) == (303, "/")
    assert (await agency.get("/")).status_code == 200  # signed in, on the brand's host


async def test_a_link_keeps_the_hosts_port_and_prefers_the_host_asked_on(
    world: World, visitor_in: Callable[[str, str], AsyncClient], session: AsyncSession
) -> None:
    """One server answers every host, so a link takes the scheme and port it was made on; on
    one of the brand's own hosts, it is for that host."""
    await brand_book.set_brand(
        session,
        world.reseller,
        name="Toko Sosmed",
        hosts=["a.example", "z.example"],
        logo_url=None,
        primary_color="#aa0000",
        accent_color="#0e1116",
        whatsapp_url=None,
        payment_instructions="",
    )
    await give_password(session, world.reseller, RESELLER_EMAIL)
    web = visitor_in("development", f"http://{OPERATOR_HOST}:8000")
    assert (await sign_in(web, RESELLER_EMAIL, host=f"{OPERATOR_HOST}:8000")).status_code == 303
    link, _, _ = await _make_link(web, f"{OPERATOR_HOST}:8000")
    assert link.startswith("http://a.example:8000/join/")
    on_own = visitor_in("development", "http://z.example:8000")
    assert (await sign_in(on_own, RESELLER_EMAIL, host="z.example:8000")).status_code == 303
    link, _, _ = await _make_link(on_own, "z.example:8000")
    assert link.startswith("http://z.example:8000/join/")


async def test_a_reseller_without_a_brand_is_told_to_set_one_first(
    world: World, visitor: Visitor, session: AsyncSession
) -> None:
    """Its agencies could sign in nowhere, so no link is made, and the page says why."""
    unbranded = await accounts.create(
        session, kind=AccountKind.reseller, name="Tanpa Merek", email="plain@example.com"
    )
    await give_password(session, unbranded, "plain@example.com")
    web = await visitor(OPERATOR_HOST)
    assert (await sign_in(web, "plain@example.com", host=OPERATOR_HOST)).status_code == 303
    refused = await web.post(
        "/console/invitations",
        data={"note": "x", "csrf": await token(web, "/console/agencies")},
    )
    assert refused.status_code == 409
    assert "Atur dulu merek dan nama host Anda" in refused.text
    assert 'href="/console/brand"' in refused.text
    assert await session.scalar(select(func.count()).select_from(Invitation)) == 0


async def test_no_page_shows_a_placeholder(
    world: World, visitor: Visitor, reseller_web: AsyncClient
) -> None:
    """A text with `{brand}` or `{count}` in it is always filled in: the pages a reseller and
    an agency see, the join page in both languages, and the invitation made."""
    link, _, _ = await _make_link(reseller_web, "a.example")
    pages = ["/", "/services", "/orders", "/orders/mass", "/api-access", "/security"]
    pages += [
        path
        for path in re.findall(
            r'href="(/console/[a-z-]+)"', (await reseller_web.get("/console/agencies")).text
        )
    ]
    for path in pages:
        page = await reseller_web.get(path)
        assert page.status_code == 200, path
        assert not PLACEHOLDER.findall(page.text), (path, PLACEHOLDER.findall(page.text))
    for english in (False, True):
        stranger = await visitor(english=english)
        for page in (await stranger.get(link), await stranger.get("/login")):
            assert page.status_code == 200
            assert not PLACEHOLDER.findall(page.text), PLACEHOLDER.findall(page.text)
    agency = await visitor()
    assert (await sign_in(agency)).status_code == 303
    for path in ("/", "/services", "/orders", "/funds", "/api-access"):
        page = await agency.get(path)
        assert page.status_code == 200, path
        assert not PLACEHOLDER.findall(page.text), (path, PLACEHOLDER.findall(page.text))


async def test_the_demo_reseller_saves_its_brand_on_localhost(
    visitor: Visitor, session: AsyncSession
) -> None:
    """The demo seeds its brand on `localhost`; saving that brand's form as it stands keeps
    it, and an invitation made there opens there."""
    seeded = await demo.seed(session)
    web = await visitor(demo.BRAND_HOST)
    reseller = seeded["reseller"]
    signed_in = await sign_in(
        web, reseller["email"], host="localhost", password=reseller["password"]
    )
    assert signed_in.status_code == 303
    form = await web.get("/console/brand")
    assert form.status_code == 200
    values = dict(re.findall(r'<input id="(\w+)" name="\w+"[^>]* value="([^"]*)"', form.text))
    hosts = form.text.split('name="hosts"', 1)[1].split(">", 1)[1].split("</textarea>", 1)[0]
    assert hosts == "localhost"
    saved = await web.post(
        "/console/brand",
        data={
            "name": values["name"],
            "primary_color": values["primary_color"],
            "accent_color": values["accent_color"],
            "hosts": hosts,
            "payment_instructions": "Transfer dulu, lalu minta isi saldo.",
            "csrf": csrf_of(form),
        },
    )
    assert (saved.status_code, saved.headers.get("location")) == (303, "/console/brand?saved=1"), (
        saved.text
    )
    kept = await session.scalars(select(BrandHost.host))
    assert list(kept) == ["localhost"]
    link, _, _ = await _make_link(web, "localhost")
    assert link.startswith("http://localhost/join/")


async def _save_hosts(web: AsyncClient, hosts: str) -> tuple[int, str]:
    form = await web.get("http://a.example/console/brand")
    saved = await web.post(
        "http://a.example/console/brand",
        data={
            "name": "Toko Sosmed",
            "primary_color": "#aa0000",
            "accent_color": "#0e1116",
            "hosts": hosts,
            "csrf": csrf_of(form),
        },
    )
    return saved.status_code, saved.text


async def _hosts(session: AsyncSession, world: World) -> list[str]:
    found = await brand_book.brand_of(session, world.reseller)
    assert found is not None
    return found[1]


async def test_the_brand_form_reads_hosts_as_a_reseller_types_them(
    world: World, reseller_web: AsyncClient, session: AsyncSession
) -> None:
    """A pasted address is read as its host, capitals and a trailing dot go, an IDN is kept
    as punycode; an IP address or (outside development) a port is refused with what to type,
    and nothing changes."""
    status, _ = await _save_hosts(
        reseller_web, "a.example\nhttps://Panel.Example.co.id/login\nbücher.example.\n"
    )
    assert status == 303
    assert await _hosts(session, world) == [
        "a.example",
        "panel.example.co.id",
        "xn--bcher-kva.example",
    ]
    for typed, said in (
        ("a.example\n203.0.113.7", "“203.0.113.7” adalah alamat IP. Ketik nama host"),
        ("a.example\nlocalhost:8000", "Ketik “localhost” tanpa port (“:8000”)."),
        ("a.example\ntoko sosmed.id", "“toko sosmed.id” bukan nama host."),
        ("a.example\nftp://toko.example", "bukan alamat web"),
    ):
        status, page = await _save_hosts(reseller_web, typed)
        assert status == 422, typed
        assert said in page, page
        assert await _hosts(session, world) == [
            "a.example",
            "panel.example.co.id",
            "xn--bcher-kva.example",
        ]


async def test_a_port_is_taken_in_development(
    world: World, visitor_in: Callable[[str, str], AsyncClient], session: AsyncSession
) -> None:
    """`localhost:8000`, as a developer's browser shows it, is the brand's `localhost`."""
    await give_password(session, world.reseller, RESELLER_EMAIL)
    web = visitor_in("development", "http://a.example")
    assert (await sign_in(web, RESELLER_EMAIL, password=PASSWORD)).status_code == 303
    status, _ = await _save_hosts(web, "a.example\nhttp://localhost:8000/")
    assert status == 303
    assert await _hosts(session, world) == ["a.example", "localhost"]


def test_every_text_with_a_placeholder_is_filled_in_where_it_is_used() -> None:
    """The pages above cannot reach every branch of every template: wherever a template or a
    page uses a text with a `{placeholder}`, it fills it in there and then."""
    web = Path(texts.__file__).parent
    sources = [*sorted((web / "templates").glob("*.html")), *sorted(web.glob("*.py"))]
    worded = {word for words in texts.WORDS.values() for word, said in words.items() if "{" in said}
    unfilled = []
    for source in sources:
        text = source.read_text()
        for word in worded:
            use = rf"(\bt\.{word}\b|\bt\[\"{word}\"\]|\bt\(\"{word}\"\))"
            for found in re.finditer(use, text):
                if not text[found.end() :].startswith(".format("):
                    unfilled.append(f"{source.name}: {found.group(0)}")
    assert unfilled == []
