"""The web panel over HTTP: brands by host, sign-in with CSRF and throttling, a dashboard that
shows an agency its own orders only."""

import time
from decimal import Decimal

import pytest
from argon2 import PasswordHasher
from httpx import ASGITransport, AsyncClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from panel.accounts import passwords
from panel.accounts import service as accounts
from panel.errors import Invalid
from panel.models import (
    Account,
    AccountStatus,
    Order,
    OrderStatus,
    Refill,
)
from panel.orders import service as orders
from panel.orders import texts as order_texts
from panel.web import texts
from tests.conftest import AppFor
from tests.fixtures.factories import World
from tests.web.conftest import AGENCY_EMAIL, PASSWORD, csrf_of, funded_agency, sign_in

LINK = "https://instagram.com/agency-a1"


async def _sibling(session: AsyncSession, world: World) -> Account:
    """Another agency of the same reseller, with money to order."""
    return await funded_agency(session, world.reseller, "A2", Decimal(10))


async def test_the_host_chooses_the_brand(world: World, web: AsyncClient) -> None:
    for host, name in (
        ("a.example", "Toko Sosmed"),
        ("b.example", "Panel Murah"),
        ("c.example", "Pasok"),
    ):
        page = await web.get(f"http://{host}/login")
        assert page.status_code == 200
        assert f"<strong>{name}</strong>" in page.text
    assert "Masuk" in (await web.get("http://a.example/login")).text  # Indonesian by default
    english = await web.get("http://a.example/login", headers={"Accept-Language": "en-US,en"})
    assert "Sign in" in english.text


async def test_an_agency_sees_its_own_orders_on_its_brand_only(
    world: World, web: AsyncClient, session: AsyncSession
) -> None:
    sibling = await _sibling(session, world)
    mine = await orders.accept(
        session, world.agency, world.services["followers"].id, {"link": LINK, "quantity": "100"}
    )
    theirs = await orders.accept(
        session,
        sibling,
        world.services["followers"].id,
        {"link": "https://instagram.com/a2", "quantity": "100"},
    )

    signed_in = await sign_in(web)
    assert (signed_in.status_code, signed_in.headers["location"]) == (303, "/")
    dashboard = await web.get("http://a.example/")
    assert dashboard.status_code == 200
    # An order is shown as its row: `#5` alone could be the start of a colour in the CSS.
    assert f'id="order-{mine.id}"' in dashboard.text
    assert LINK in dashboard.text
    assert f'id="order-{theirs.id}"' not in dashboard.text
    assert "instagram.com/a2" not in dashboard.text
    listed = await web.get("http://a.example/orders")
    assert f'id="order-{mine.id}"' in listed.text
    assert f'id="order-{theirs.id}"' not in listed.text
    assert "instagram.com/a2" not in listed.text
    # The same session on another brand's host opens nothing there.
    elsewhere = await web.get("http://b.example/")
    assert (elsewhere.status_code, elsewhere.headers["location"]) == (303, "/login")


async def test_an_agency_cannot_sign_in_on_another_brand(world: World, web: AsyncClient) -> None:
    refused = await sign_in(web, host="b.example")
    assert refused.status_code == 401
    assert "salah" in refused.text


async def test_a_form_without_its_csrf_token_is_refused(world: World, web: AsyncClient) -> None:
    await web.get("http://a.example/login")
    answer = await web.post(
        "http://a.example/login", data={"email": "a1@example.com", "password": PASSWORD}
    )
    assert answer.status_code == 403
    assert (await web.get("http://a.example/")).headers["location"] == "/login"
    await sign_in(web)
    out = await web.post("http://a.example/logout", data={"csrf": "forged"})
    assert out.status_code == 403
    assert (await web.get("http://a.example/")).status_code == 200  # still signed in


async def test_failed_sign_ins_are_throttled(world: World, web: AsyncClient) -> None:
    for _ in range(3):
        assert (await sign_in(web, password="wrong password!")).status_code == 401
    blocked = await sign_in(web)  # even the right password now
    assert blocked.status_code == 429
    assert (await web.get("http://a.example/")).headers["location"] == "/login"


async def test_an_unknown_email_is_refused_as_slowly_as_a_wrong_password(
    world: World, web: AsyncClient, session: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At the panel's own argon2 cost: a refusal that came quicker for an email without an
    account would tell anyone which emails have one."""
    hasher = PasswordHasher()
    monkeypatch.setattr(passwords, "HASHER", hasher)
    world.agency.password_hash = hasher.hash(PASSWORD)
    await session.flush()
    await sign_in(web, "first@example.com")  # an app's first requests cost more than any
    took = {}
    for email in ("nobody@example.com", AGENCY_EMAIL):  # three failures: not yet locked
        started = time.monotonic()
        assert (await sign_in(web, email, password="wrong password!")).status_code == 401
        took[email] = time.monotonic() - started
    assert took[AGENCY_EMAIL] > 0.02, "argon2 at the panel's cost takes far longer than this"
    assert took["nobody@example.com"] > took[AGENCY_EMAIL] / 3, took


async def test_without_a_secret_the_panel_says_so(
    world: World, app_for: AppFor, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    app = app_for(sessionmaker)
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://a.example") as client:
        assert (await client.get("/login")).status_code == 503


async def test_a_suspended_agency_is_signed_out(
    world: World, web: AsyncClient, session: AsyncSession
) -> None:
    await sign_in(web)
    agency = await session.get_one(Account, world.agency.id)
    await accounts.update(session, agency.id, status=AccountStatus.suspended)
    assert (await web.get("http://a.example/")).headers["location"] == "/login"


async def test_an_agency_orders_from_the_services_page_and_asks_for_a_refill(
    world: World, web: AsyncClient, session: AsyncSession
) -> None:
    await sign_in(web)
    listing = await web.get("http://a.example/services")
    assert listing.status_code == 200
    assert "US$1,80" in listing.text  # the agency's own rate for Followers
    followers = world.services["followers"].id
    assert f"/orders/new?service={followers}" in listing.text
    assert "Likes" not in (await web.get("http://a.example/services?q=follow")).text

    form = await web.get(f"http://a.example/orders/new?service={followers}")
    assert form.status_code == 200
    token = csrf_of(form)
    refused = await web.post(
        "http://a.example/orders", data={"service": followers, "link": LINK, "quantity": "100"}
    )
    assert refused.status_code == 403
    too_few = await web.post(
        "http://a.example/orders",
        data={"service": followers, "link": LINK, "quantity": "5", "csrf": token},
    )
    assert (too_few.status_code, "Jumlah minimal 10." in too_few.text) == (422, True)
    placed = await web.post(
        "http://a.example/orders",
        data={"service": followers, "link": LINK, "quantity": "100", "csrf": token},
    )
    assert placed.status_code == 303
    order_id = int(placed.headers["location"].split("placed=")[1])
    page = await web.get("http://a.example" + placed.headers["location"])
    assert f"#{order_id}" in page.text
    assert "/refill" not in page.text  # not finished yet

    order = await session.get_one(Order, order_id)
    order.status, order.upstream_id, order.remains = OrderStatus.completed, "u-9", 0
    await session.flush()
    page = await web.get("http://a.example/orders")
    assert f"/orders/{order_id}/refill" in page.text
    asked = await web.post(f"http://a.example/orders/{order_id}/refill", data={"csrf": token})
    assert asked.status_code == 303
    refills = await session.scalars(select(Refill).where(Refill.order_id == order_id))
    assert len(list(refills)) == 1


async def test_another_agency_s_order_cannot_be_acted_on(
    world: World, web: AsyncClient, session: AsyncSession
) -> None:
    sibling = await _sibling(session, world)
    theirs = await orders.accept(
        session, sibling, world.services["followers"].id, {"link": LINK, "quantity": "100"}
    )
    await sign_in(web)
    followers = world.services["followers"].id
    token = csrf_of(await web.get(f"http://a.example/orders/new?service={followers}"))
    for action in ("cancel", "refill"):
        answer = await web.post(
            f"http://a.example/orders/{theirs.id}/{action}", data={"csrf": token}
        )
        assert answer.status_code == 422
        assert "Pesanan tidak ditemukan." in answer.text
    assert (await session.get_one(Order, theirs.id)).status is OrderStatus.pending


async def test_pages_travel_compressed(world: World, web: AsyncClient) -> None:
    await sign_in(web)
    page = await web.get("/services", headers={"Accept-Encoding": "gzip"})
    assert page.status_code == 200
    assert page.headers["content-encoding"] == "gzip"
    assert int(page.headers["content-length"]) < len(page.content)


def test_order_refusals_are_said_in_the_visitor_s_language() -> None:
    """By each refusal's code and values, never by reading its English: every order refusal
    has Indonesian words, and an error of another kind is said as its service said it."""
    for text, code in order_texts.CODES.items():
        if code == "invalid_key":  # API v2's alone: no page refuses a key
            continue
        refused = order_texts.Refused(text)
        assert texts.refusal("en", refused) == text
        assert texts.refusal("id", refused) == texts.REFUSALS_ID[code]
    assert texts.refusal("id", order_texts.quantity_above(5000)) == "Jumlah maksimal 5000."
    assert texts.refusal("id", order_texts.quantity_below(10)) == "Jumlah minimal 10."
    # The same words with another number are read by their code, not matched by their text.
    assert order_texts.Refused("Quantity less than minimal 7").code == "refused"
    assert texts.refusal("id", Invalid("something new")) == "something new"


def test_every_word_is_in_both_languages() -> None:
    assert texts.WORDS["id"].keys() == texts.WORDS["en"].keys()
    assert all(word.strip() for words in texts.WORDS.values() for word in words.values())


def test_the_browser_s_languages_are_taken_by_their_weight() -> None:
    assert texts.language(None, "en-US,en;q=0.9,id;q=0.8") == "en"
    # English listed first but wanted less: Indonesian.
    assert texts.language(None, "en;q=0.3, id;q=0.7") == "id"
    assert texts.language(None, "fr, en;q=0.5, id;q=0.5") == "en"  # equal: the first given
    assert texts.language(None, "en;q=0, de") == "id"  # not wanted at all, none spoken
    assert texts.language(None, "en;q=abc") == "id"
    assert texts.language("en", "id") == "en"  # the visitor's own choice wins
    assert texts.language(None, None) == "id"
