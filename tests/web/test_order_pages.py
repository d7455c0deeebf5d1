"""The order pages as SMM buyers expect them: orders found by id or link and filtered by status,
with their date, start count and remains; the refill button gone once a refill is asked for;
services with their id, description and average time; every status in words, on every page."""

import re
from datetime import UTC, datetime
from decimal import Decimal

from httpx import AsyncClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from panel.catalogue import routes
from panel.catalogue import service as catalogue
from panel.models import Order, OrderStatus, QualityFigures
from panel.orders import service as orders
from panel.web import texts
from tests.fixtures.factories import World
from tests.web.conftest import csrf_of, row, sign_in

# Every status word an order can carry inside Pasok or on API v2: none may reach a page.
RAW_STATUSES = {status.value for status in OrderStatus} | {"processing", "in progress"}


async def _order(session: AsyncSession, world: World, link: str, status: OrderStatus) -> Order:
    order = await orders.accept(
        session, world.agency, world.services["followers"].id, {"link": link, "quantity": "100"}
    )
    order.status = status
    await session.flush()
    return order


def _words(html: str) -> str:
    """What a reader sees of a page's main part: its text, without markup or scripts."""
    main = html.split("<main>", 1)[1].split("</main>", 1)[0]
    main = re.sub(r"<script.*?</script>", " ", main, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main))


async def test_orders_are_found_by_id_or_link_and_filtered_by_status(
    world: World, web: AsyncClient, session: AsyncSession
) -> None:
    done = await _order(session, world, "https://instagram.com/p/ABC_1%20x", OrderStatus.completed)
    done.start_count, done.remains = 1520, 0
    running = await _order(session, world, "https://tiktok.com/@someone", OrderStatus.in_progress)
    running.start_count, running.remains = 80, 37
    reviewed = await _order(session, world, "https://instagram.com/q", OrderStatus.needs_review)
    await session.flush()
    await sign_in(web)

    everything = await web.get("http://a.example/orders")
    assert all(f'id="order-{o.id}"' in everything.text for o in (done, running, reviewed))
    shown = row(everything, f"order-{running.id}")
    assert re.search(r'class="start-count">80<', shown)
    assert re.search(r'class="remains">37<', shown)
    assert running.created_at.strftime("%Y-%m-%d %H:%M") in shown
    assert "Berjalan" in shown  # in_progress, in words

    async def found(**query: str) -> set[int]:
        page = await web.get("http://a.example/orders", params=query)
        assert page.status_code == 200, page.text
        return {int(i) for i in re.findall(r'<li id="order-(\d+)">', page.text)}

    assert await found(q=str(running.id)) == {running.id}
    assert await found(q=f"#{done.id}") == {done.id}
    assert await found(q=str(2**70)) == set()  # beyond any id: none, not an error
    assert await found(q="TIKTOK.com/@some") == {running.id}  # any part, any case
    assert await found(q="instagram") == {done.id, reviewed.id}
    # % and _ in a link are themselves, not patterns.
    assert await found(q="ABC_1%20") == {done.id}
    assert await found(q="ABC%") == set()
    assert await found(status="completed") == {done.id}
    # needs_review is "processing" to its buyer, and filters as such.
    assert await found(status="processing") == {reviewed.id}
    assert await found(status="in_progress", q="instagram") == set()
    nothing = await web.get("http://a.example/orders", params={"q": "nowhere"})
    assert "Tidak ada pesanan yang cocok." in nothing.text
    # The search and the filter stay in the form.
    kept = await web.get("http://a.example/orders", params={"q": "tiktok", "status": "partial"})
    assert 'value="tiktok"' in kept.text
    assert '<option value="partial" selected>Sebagian</option>' in kept.text

    unknown = await web.get("http://a.example/orders", params={"status": "needs_review"})
    assert unknown.status_code == 422
    assert "Status tidak dikenal." in unknown.text


async def test_open_orders_ask_to_be_refreshed_and_finished_ones_do_not(
    world: World, web: AsyncClient, session: AsyncSession
) -> None:
    order = await _order(session, world, "https://instagram.com/open", OrderStatus.in_progress)
    await sign_in(web)
    page = await web.get("http://a.example/orders")
    assert '<ul class="rows" id="orders" data-open>' in page.text
    assert "diperbarui otomatis" in page.text
    order.status = OrderStatus.completed
    await session.flush()
    page = await web.get("http://a.example/orders")
    assert '<ul class="rows" id="orders">' in page.text


async def test_the_refill_button_is_gone_once_a_refill_is_asked_for(
    world: World, web: AsyncClient, session: AsyncSession
) -> None:
    order = await _order(session, world, "https://instagram.com/refill", OrderStatus.completed)
    order.upstream_id, order.remains = "u-1", 0
    await session.flush()
    await sign_in(web)
    page = await web.get("http://a.example/orders")
    assert f'action="/orders/{order.id}/refill"' in page.text
    asked = await web.post(
        f"http://a.example/orders/{order.id}/refill", data={"csrf": csrf_of(page)}
    )
    assert asked.status_code == 303

    page = await web.get("http://a.example/orders")
    shown = row(page, f"order-{order.id}")
    assert f'action="/orders/{order.id}/refill"' not in shown
    assert "Refill" in shown
    assert "diminta" in shown
    # The word is the one Indonesian SMM panels use; "isi ulang" reads as phone credit.
    assert "isi ulang" not in page.text.lower()
    again = await web.post(
        f"http://a.example/orders/{order.id}/refill", data={"csrf": csrf_of(page)}
    )
    assert (again.status_code, "Pesanan ini belum bisa di-refill." in again.text) == (422, True)


async def test_services_show_their_id_description_and_average_time(
    world: World, web: AsyncClient, session: AsyncSession
) -> None:
    followers = world.services["followers"]
    followers.description = "Akun asli, garansi 30 hari."
    session.add(
        QualityFigures(
            subject="service",
            subject_id=followers.id,
            computed_at=datetime.now(UTC),
            orders=12,
            completion_rate=None,
            partial_rate=None,
            cancel_rate=None,
            median_start_s=300,
            median_complete_s=5400,
            refills=0,
            refill_success_rate=None,
        )
    )
    await session.flush()
    await sign_in(web)
    page = await web.get("http://a.example/services")
    shown = row(page, f"service-{followers.id}")
    assert f'<span class="service-id">ID {followers.id}</span>' in shown
    assert "Akun asli, garansi 30 hari." in shown
    assert "Waktu rata-rata 1 jam 30 menit" in shown
    # The mass-order page sends its reader to these ids.
    mass = await web.get("http://a.example/orders/mass")
    assert "ID layanan ada di halaman Layanan." in mass.text


async def test_the_custom_comments_label_is_translated(world: World, web: AsyncClient) -> None:
    await sign_in(web)
    page = await web.get(f"http://a.example/orders/new?service={world.services['comments'].id}")
    assert '<label for="comments">Komentar, satu per baris</label>' in page.text


async def test_an_unused_key_reads_naturally(world: World, web: AsyncClient) -> None:
    await sign_in(web)
    page = await web.get("http://a.example/api-access")
    made = await web.post(
        "http://a.example/api-access/keys", data={"csrf": csrf_of(page), "label": "bot"}
    )
    assert made.status_code in (200, 303)
    page = await web.get("http://a.example/api-access")
    assert "Belum pernah dipakai" in page.text
    assert "Terakhir dipakai belum pernah" not in _words(page.text)


async def test_no_page_shows_a_raw_status(
    world: World, web: AsyncClient, reseller_web: AsyncClient, session: AsyncSession
) -> None:
    """An order in every internal status, on every page that lists orders, for the agency and
    for its reseller: each shows the status in words only."""
    for number, status in enumerate(OrderStatus):
        await _order(session, world, f"https://instagram.com/o{number}", status)
    # `reseller_web` is the shared client signed in as the reseller: its console first.
    console = _words((await reseller_web.get("http://a.example/console/orders")).text)
    assert not {w for w in RAW_STATUSES if re.search(rf"\b{w}\b", console)}, console
    for status in OrderStatus:
        assert texts.status_word("id", status) in console
    web.cookies.clear()
    await sign_in(web)
    for path in ("/", "/orders"):
        text = _words((await web.get(f"http://a.example{path}")).text)
        assert not {w for w in RAW_STATUSES if re.search(rf"\b{w}\b", text)}, (path, text)
        assert "Diproses" in text
        assert "Selesai" in text


async def test_a_prepaid_product_is_ordered_for_a_customer_number_and_shows_its_serial(
    world: World, web: AsyncClient, session: AsyncSession
) -> None:
    upstream = await catalogue.upsert_provider_service(
        session, world.provider.id, "tsel10", panel_currency="USD", name="Telkomsel 10.000",
        type="Prepaid", category="Pulsa", rate=Decimal("0.65"), min_quantity=1, max_quantity=1,
    )  # fmt: skip
    product = await catalogue.create_service(
        session, name="Telkomsel 10.000", type="Prepaid", category="Pulsa"
    )
    await routes.replace(session, product.id, [upstream.id])
    await sign_in(web)
    listed = row(await web.get("http://a.example/services"), f"service-{product.id}")
    assert "per item" in listed
    assert "per 1000" not in listed
    form = await web.get(f"http://a.example/orders/new?service={product.id}")
    assert '<label for="link">Nomor tujuan</label>' in form.text
    assert 'name="quantity"' not in form.text
    assert "per item" in form.text
    assert "per 1000" not in form.text

    placed = await web.post(
        "http://a.example/orders",
        data={"csrf": csrf_of(form), "service": str(product.id), "link": "0812 3456 7890"},
    )
    assert placed.status_code == 303
    order = await session.scalar(select(Order).where(Order.service_id == product.id))
    assert order is not None
    assert (order.link, order.quantity) == ("081234567890", 1)
    order.serial = "SN-4417-0001"
    await session.flush()
    listed = await web.get("http://a.example/orders")
    assert '<dd class="serial">SN-4417-0001</dd>' in row(listed, f"order-{order.id}")

    refused = await web.post(
        "http://a.example/orders",
        data={"csrf": csrf_of(form), "service": str(product.id), "link": "https://x.id/a"},
    )
    assert refused.status_code == 422
