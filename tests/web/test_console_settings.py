"""The reseller console's settings over HTTP: the markup its agencies pay, and its brand."""

from decimal import Decimal

from httpx import AsyncClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from panel.models import Account, Brand, BrandHost, OrderCharge, PriceRule
from panel.orders import service as orders
from panel.pricing import rule_book
from tests.fixtures.factories import RESELLER_RATE, World
from tests.web.conftest import HOST, OTHER_HOST, csrf_of

D = Decimal


async def _rules(session: AsyncSession, reseller: Account) -> list[tuple[object, ...]]:
    """The reseller's rules over its agencies, as the database holds them."""
    rows = await session.execute(
        select(
            PriceRule.service_id,
            PriceRule.category,
            PriceRule.markup_percent,
            PriceRule.markup_fixed,
            PriceRule.floor_margin,
        )
        .where(PriceRule.owner_id == reseller.id)
        .order_by(PriceRule.service_id.nulls_first())
    )
    return [tuple(row) for row in rows]


async def _brand(session: AsyncSession, reseller: Account) -> tuple[object, ...]:
    """The reseller's brand and hosts, as the database holds them."""
    found = (
        await session.execute(
            select(
                Brand.name, Brand.primary_color, Brand.whatsapp_url, Brand.payment_instructions
            ).where(Brand.reseller_id == reseller.id)
        )
    ).one()
    hosts = await session.scalars(
        select(BrandHost.host)
        .join(Brand, Brand.id == BrandHost.brand_id)
        .where(Brand.reseller_id == reseller.id)
        .order_by(BrandHost.host)
    )
    return (*found, list(hosts))


async def test_a_new_markup_prices_the_agency_s_next_order_and_bad_input_changes_nothing(
    world: World, reseller_web: AsyncClient, session: AsyncSession
) -> None:
    likes = world.services["likes"]
    await rule_book.create(
        session, owner_id=world.reseller.id, service_id=likes.id, markup_percent=D(5)
    )
    # The general rule with a floor an operator set: a new percent keeps it.
    [general] = [
        rule
        for rule in await rule_book.list_rules(session, owner_id=world.reseller.id)
        if rule.service_id is None
    ]
    await rule_book.delete(session, general.id)
    await rule_book.create(
        session, owner_id=world.reseller.id, markup_percent=D(20), floor_margin=D("0.1")
    )
    form = await reseller_web.get("/console/markup")
    assert form.status_code == 200
    assert 'id="percent">20%' in form.text
    # Prices per 1000 in the panel's dollars, as an Indonesian page writes them.
    assert 'id="own-rate">US$1,50<' in form.text
    assert 'id="agency-rate">US$1,80<' in form.text
    assert "1 aturan" in form.text  # the narrower rule for Likes still applies there
    csrf = csrf_of(form)

    saved = await reseller_web.post("/console/markup", data={"markup_percent": "35", "csrf": csrf})
    assert (saved.status_code, saved.headers["location"]) == (303, "/console/markup?saved=1")
    page = await reseller_web.get(saved.headers["location"])
    assert 'id="percent">35%' in page.text
    # 2.025: a fourth decimal, so no reader takes it for two thousand and twenty-five.
    assert 'id="agency-rate">US$2,0250<' in page.text
    rules = await _rules(session, world.reseller)
    assert rules == [(None, None, D(35), D(0), D("0.1")), (likes.id, None, D(5), D(0), D(0))]

    order = await orders.accept(
        session,
        world.agency,
        world.services["followers"].id,
        {"link": "https://instagram.com/next", "quantity": "1000"},
    )
    assert order.charge == D("2.025") == RESELLER_RATE * D("1.35")
    reseller_charge = await session.scalar(
        select(OrderCharge.amount).where(
            OrderCharge.order_id == order.id, OrderCharge.account_id == world.reseller.id
        )
    )
    assert reseller_charge == RESELLER_RATE

    # "1.5" is English's way; an Indonesian page writes 1,5.
    for wrong in ("lots", "-5", "12.34567", "12,34567", "", "1.5", "100000", "NaN", "1 5"):
        refused = await reseller_web.post(
            "/console/markup", data={"markup_percent": wrong, "csrf": csrf}
        )
        assert refused.status_code == 422, wrong
        assert "Tidak ada yang diubah" in refused.text
        assert 'id="percent">35%' in refused.text
    assert await _rules(session, world.reseller) == rules

    # A decimal comma, as Indonesian writes it, is read exactly, and shown back the same way.
    comma = await reseller_web.post(
        "/console/markup", data={"markup_percent": "12,5", "csrf": csrf}
    )
    assert comma.status_code == 303
    page = await reseller_web.get("/console/markup")
    assert ('id="percent">12,5%' in page.text, 'value="12,5"' in page.text) == (True, True)
    assert (await _rules(session, world.reseller))[0][2] == D("12.5")


async def test_the_brand_form_saves_and_the_host_shows_the_new_brand(
    world: World, reseller_web: AsyncClient, session: AsyncSession
) -> None:
    form = await reseller_web.get("/console/brand")
    assert form.status_code == 200
    assert 'value="Toko Sosmed"' in form.text
    assert f">{HOST}</textarea>" in form.text
    csrf = csrf_of(form)
    wanted = {
        "name": "Toko Baru",
        "hosts": f"{HOST}\r\n Shop.Example \r\n\r\n",
        "logo_url": "",
        "primary_color": "#123456",
        "accent_color": "#222222",
        "whatsapp_url": "https://wa.me/628111",
        "payment_instructions": "BCA 123 a.n. Toko Baru",
        "csrf": csrf,
    }
    saved = await reseller_web.post("/console/brand", data=wanted)
    assert (saved.status_code, saved.headers["location"]) == (303, "/console/brand?saved=1")
    assert await _brand(session, world.reseller) == (
        "Toko Baru",
        "#123456",
        "https://wa.me/628111",
        "BCA 123 a.n. Toko Baru",
        [HOST, "shop.example"],
    )
    for host in (HOST, "shop.example"):
        login = await reseller_web.get(f"http://{host}/login")
        assert "<strong>Toko Baru</strong>" in login.text, host
        assert "https://wa.me/628111" in login.text
    assert "Tersimpan" in (await reseller_web.get(saved.headers["location"])).text

    for change, says in (
        ({"primary_color": "red"}, "Warna utama"),
        ({"hosts": "not a host"}, "“not a host” bukan nama host"),
        ({"hosts": ""}, "Nama host"),
        ({"name": "   "}, "Nama panel"),
        ({"whatsapp_url": "wa.me/62"}, "Tautan bantuan WhatsApp"),
        ({"payment_instructions": "x" * 5001}, "Cara pembayaran"),
    ):
        refused = await reseller_web.post("/console/brand", data={**wanted, "name": "X", **change})
        assert (refused.status_code, says in refused.text) == (422, True), change
    # A host the other reseller's brand holds: refused, and not even the name changes.
    clash = await reseller_web.post(
        "/console/brand",
        data={**wanted, "name": "Clash", "hosts": f"{HOST}\n{OTHER_HOST}"},
    )
    assert clash.status_code == 409
    assert "sudah dipakai" in clash.text
    assert OTHER_HOST in clash.text
    assert (await _brand(session, world.reseller))[0] == "Toko Baru"
    assert (await _brand(session, world.reseller))[-1] == [HOST, "shop.example"]
    assert (
        "<strong>Panel Murah</strong>"
        in (await reseller_web.get(f"http://{OTHER_HOST}/login")).text
    )
