"""Prepaid products through the order pipeline, against the sandbox Digiflazz over HTTP: a
product priced per item through tiers and markups, bought for a customer number, ending with a
serial number by the first answer, a callback or a poll, or refunded in full; the callback
believed only when signed, and counted once."""

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal

import pytest
from httpx import ASGITransport, AsyncClient
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from panel.accounts import service as accounts
from panel.catalogue import routes, sync
from panel.catalogue import service as catalogue
from panel.keys import service as keys
from panel.ledger import accounts as accounts_of
from panel.ledger import service as ledger
from panel.models import (
    AccountKind,
    Entry,
    Journal,
    JournalKind,
    Order,
    OrderStatus,
    ProviderService,
)
from panel.orders import settlement
from panel.plumbing.runtime import Runtime
from panel.pricing import rule_book, tiers
from panel.providers.prepaid_route import Handle
from tests.conftest import AppFor
from tests.fixtures.pipeline import RunJobs, audit_clean, balance
from tests.sandbox.prepaid.servers import (
    API_KEY,
    USERNAME,
    WEBHOOK_SECRET,
    PrepaidHandle,
    prepaid_fixture,
    prepaid_servers_fixture,
)
from workers import order_jobs

__all__ = ["prepaid_fixture", "prepaid_servers_fixture"]

SKU = "tsel10"
COST = Decimal(10_350)  # the sandbox's price for tsel10
RESELLER_PRICE = Decimal("11385")  # the tier adds 10%
AGENCY_PRICE = Decimal("11954.25")  # and the reseller 5% for its agencies
NUMBER = "081234567890"


@dataclass
class Shop:
    provider_id: int
    service_id: int
    reseller_id: int
    agency_id: int
    agency_key: str
    api: AsyncClient


@pytest.fixture
async def shop(
    runtime: Runtime,
    prepaid: PrepaidHandle,
    app_for: AppFor,
    committed: async_sessionmaker[AsyncSession],
) -> AsyncIterator[Shop]:
    """A Digiflazz-style provider added and synced like any other, its Telkomsel 10.000 sold
    as a service of type Prepaid to a reseller's agency."""
    async with runtime.transaction() as session:
        provider = await catalogue.create_provider(
            session,
            name="Digi",
            api_url=prepaid.base_url,
            api_key=API_KEY,
            adapter="digiflazz",
            api_id=USERNAME,
            api_secret=WEBHOOK_SECRET,
            currency=runtime.settings.currency,
        )
    async with runtime.transaction() as session:
        await sync.sync_now(session, runtime, provider.id)
        product = await session.scalar(
            select(ProviderService).where(
                ProviderService.provider_id == provider.id, ProviderService.external_id == SKU
            )
        )
        assert product is not None
        assert (product.type, product.rate, product.max_quantity) == ("Prepaid", COST, 1)
        tier = await tiers.create(session, name="Standard", min_spend_90d=Decimal(0))
        await rule_book.create(session, tier_id=tier.id, markup_percent=Decimal(10))
        reseller = await accounts.create(
            session, kind=AccountKind.reseller, name="Reseller", tier_id=tier.id
        )
        agency = await accounts.create(
            session, kind=AccountKind.agency, name="Agency", parent_id=reseller.id
        )
        await rule_book.create(session, owner_id=reseller.id, markup_percent=Decimal(5))
        service = await catalogue.create_service(
            session, name="Telkomsel 10.000", type="Prepaid", category="Pulsa"
        )
        await routes.replace(session, service.id, [product.id])
        await ledger.top_up(session, reseller.id, Decimal(100_000), "test funds", None)
        await ledger.fund_agency(session, agency.id, Decimal(50_000), "test funds", None)
        issued = await keys.issue(session, agency, "tests")
    transport = ASGITransport(app=app_for(committed))
    async with AsyncClient(transport=transport, base_url="http://pasok.test") as api:
        yield Shop(provider.id, service.id, reseller.id, agency.id, issued.plaintext, api)


async def _add(shop: Shop, link: str = NUMBER) -> dict[str, object]:
    answer = await shop.api.post(
        "/api/v2",
        data={"key": shop.agency_key, "action": "add", "service": str(shop.service_id),
              "link": link},
    )  # fmt: skip
    return dict(answer.json())


async def _status(shop: Shop, order_id: int) -> dict[str, object]:
    answer = await shop.api.post(
        "/api/v2", data={"key": shop.agency_key, "action": "status", "order": str(order_id)}
    )
    return dict(answer.json())


async def _order(runtime: Runtime, order_id: int) -> Order:
    async with runtime.transaction() as session:
        return await session.get_one(Order, order_id)


async def _ref(runtime: Runtime, order_id: int) -> str:
    handle = Handle.parse((await _order(runtime, order_id)).upstream_id or "")
    assert handle is not None
    return handle.ref_id


async def _settlements(runtime: Runtime, order_id: int) -> int:
    async with runtime.transaction() as session:
        found = await session.scalar(
            select(func.count())
            .select_from(Journal)
            .where(Journal.order_id == order_id, Journal.kind == JournalKind.settlement)
        )
        return int(found or 0)


async def _delivered_money(runtime: Runtime, shop: Shop) -> None:
    """The agency paid its price; the reseller kept its 5%; the provider is owed its price."""
    assert await balance(runtime, shop.agency_id) == Decimal(50_000) - AGENCY_PRICE
    assert await balance(runtime, shop.reseller_id) == Decimal(50_000) + (
        AGENCY_PRICE - RESELLER_PRICE
    )
    async with runtime.transaction() as session:
        owed = await session.scalar(
            select(func.sum(Entry.amount)).where(
                Entry.ledger_account_id == await accounts_of.of_provider(session, shop.provider_id)
            )
        )
        earned = await session.scalar(
            select(func.sum(Entry.amount)).where(
                Entry.ledger_account_id == await accounts_of.system(session, accounts_of.REVENUE)
            )
        )
    # The price is per item: the whole of it is the provider's, not a thousandth.
    assert owed == COST
    assert earned == RESELLER_PRICE - COST
    await audit_clean(runtime)


async def _callback(shop: Shop, prepaid: PrepaidHandle) -> list[tuple[int, str]]:
    """Deliver to Pasok, byte for byte and all at once, each webhook the sandbox sent since the
    last call."""
    got = prepaid.receiver.got()
    prepaid.receiver.clear()
    sent = await asyncio.gather(
        *(
            shop.api.post(
                f"/providers/{shop.provider_id}/callback",
                content=received.raw,
                headers={k: v for k, v in received.headers.items() if k.startswith("x-")}
                | {"content-type": "application/json"},
            )
            for received in got
        )
    )
    return [(answer.status_code, answer.json()["message"]) for answer in sent]


async def test_a_product_bought_at_once_shows_its_serial_and_books_cost_per_item(
    runtime: Runtime, shop: Shop, prepaid: PrepaidHandle, run_jobs: RunJobs
) -> None:
    listed = await shop.api.post("/api/v2", data={"key": shop.agency_key, "action": "services"})
    [product] = listed.json()
    # A child panel knows Package: a link and one item at the rate shown.
    assert (product["type"], product["rate"], product["max"]) == ("Package", "11954.25", "1")
    placed = await _add(shop, link="0812 3456 7890")  # spaces as typed on a phone
    order_id = int(str(placed["order"]))
    await run_jobs()
    sent = await _order(runtime, order_id)
    assert sent.status is OrderStatus.in_progress
    assert sent.cost_per_item is True
    handle = Handle.parse(sent.upstream_id or "")
    assert handle is not None
    assert (handle.sku, handle.customer_no) == (SKU, NUMBER)
    [purchase] = prepaid.purchases()
    assert (purchase["ref_id"], purchase["customer_no"]) == (handle.ref_id, NUMBER)

    assert await order_jobs.poll_orders(runtime) == 1
    done = await _order(runtime, order_id)
    assert (done.status, done.remains) == (OrderStatus.completed, 0)
    assert done.serial
    assert done.serial == purchase["sn"]
    status = await _status(shop, order_id)
    assert status["status"] == "Completed"
    assert status["serial"] == done.serial
    assert status["charge"] == "11954.25"
    bearer = {"Authorization": f"Bearer {shop.agency_key}"}
    shown = (await shop.api.get(f"/v1/orders/{order_id}", headers=bearer)).json()
    assert (shown["status"], shown["serial"], shown["link"]) == ("completed", done.serial, NUMBER)
    await _delivered_money(runtime, shop)
    # Asked again, the purchase was never made twice upstream.
    assert len(prepaid.purchases()) == 1


async def test_pending_then_success_by_a_signed_callback_counted_once(
    runtime: Runtime, shop: Shop, prepaid: PrepaidHandle, run_jobs: RunJobs
) -> None:
    prepaid.behave(sku=SKU, kind="pending_success")
    order_id = int(str((await _add(shop))["order"]))
    await run_jobs()
    await order_jobs.poll_orders(runtime)
    pending = await _order(runtime, order_id)
    assert pending.status is OrderStatus.in_progress
    assert "serial" not in await _status(shop, order_id)
    ref_id = await _ref(runtime, order_id)

    # Forged first: a wrong secret, then a body changed after signing. Neither is believed.
    prepaid.settle(ref_id, signature="wrong", send=True)
    assert await _callback(shop, prepaid) == [(403, "wrong or missing X-Hub-Signature")]
    prepaid.send_callback(ref_id, tamper=True)
    assert [code for code, _ in await _callback(shop, prepaid)] == [403]
    assert (await _order(runtime, order_id)).status is OrderStatus.in_progress

    # The genuine callback, twice at once: the first ends the order, the second changes nothing.
    prepaid.send_callback(ref_id, duplicates=2)
    answers = sorted(await _callback(shop, prepaid))
    assert answers == [(200, "completed"), (200, "nothing changed")]
    done = await _order(runtime, order_id)
    assert done.status is OrderStatus.completed
    assert done.serial
    assert await _settlements(runtime, order_id) == 1
    await _delivered_money(runtime, shop)


async def test_pending_then_success_by_polling_when_the_callback_is_lost(
    runtime: Runtime, shop: Shop, prepaid: PrepaidHandle, run_jobs: RunJobs
) -> None:
    prepaid.behave(sku=SKU, kind="pending_success")
    order_id = int(str((await _add(shop))["order"]))
    await run_jobs()
    await order_jobs.poll_orders(runtime)
    ref_id = await _ref(runtime, order_id)
    prepaid.settle(ref_id, send=False)
    async with runtime.transaction() as session:  # due now, rather than in a moment
        await session.execute(
            update(Order).where(Order.id == order_id).values(next_poll_at=func.now())
        )
    assert await order_jobs.poll_orders(runtime) == 1
    done = await _order(runtime, order_id)
    assert done.status is OrderStatus.completed
    assert done.serial == (await _status(shop, order_id))["serial"]
    await _delivered_money(runtime, shop)


async def test_a_refused_purchase_is_refunded_in_full(
    runtime: Runtime, shop: Shop, prepaid: PrepaidHandle, run_jobs: RunJobs
) -> None:
    prepaid.behave(customer_no=NUMBER, kind="failure", rc="54")  # a wrong number
    order_id = int(str((await _add(shop))["order"]))
    await run_jobs()
    failed = await _order(runtime, order_id)
    assert failed.status is OrderStatus.failed
    assert failed.serial is None
    assert (await _status(shop, order_id))["status"] == "Canceled"
    assert await balance(runtime, shop.agency_id) == Decimal(50_000)
    assert await balance(runtime, shop.reseller_id) == Decimal(50_000)
    await audit_clean(runtime)


async def test_pending_then_failed_by_callback_is_refunded_in_full(
    runtime: Runtime, shop: Shop, prepaid: PrepaidHandle, run_jobs: RunJobs
) -> None:
    prepaid.behave(sku=SKU, kind="pending_failure")
    order_id = int(str((await _add(shop))["order"]))
    await run_jobs()
    ref_id = await _ref(runtime, order_id)
    prepaid.settle(ref_id)
    assert await _callback(shop, prepaid) == [(200, "canceled")]
    ended = await _order(runtime, order_id)
    assert (ended.status, ended.remains, ended.serial) == (OrderStatus.canceled, 1, None)
    assert await balance(runtime, shop.agency_id) == Decimal(50_000)
    assert await balance(runtime, shop.reseller_id) == Decimal(50_000)
    await audit_clean(runtime)


async def test_a_customer_number_that_cannot_be_one_is_refused_and_writes_nothing(
    runtime: Runtime, shop: Shop, prepaid: PrepaidHandle
) -> None:
    for link in ("", "08/12", "https://x.id/0812", "ab"):
        assert await _add(shop, link=link) == {"error": "Incorrect link"}
    async with runtime.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(Order)) == 0
    assert prepaid.purchases() == []


async def test_a_callback_for_another_provider_or_no_order_is_refused(
    runtime: Runtime, shop: Shop, prepaid: PrepaidHandle, run_jobs: RunJobs
) -> None:
    order_id = int(str((await _add(shop))["order"]))
    await run_jobs()
    [purchase] = prepaid.purchases()
    prepaid.send_callback(purchase["ref_id"])
    [received] = prepaid.receiver.got()
    signed = {"x-hub-signature": received.headers["x-hub-signature"]}
    elsewhere = await shop.api.post(
        f"/providers/{shop.provider_id + 1000}/callback", content=received.raw, headers=signed
    )
    assert elsewhere.status_code == 404
    assert (await _order(runtime, order_id)).status is OrderStatus.in_progress


def test_a_package_is_costed_per_item_and_a_service_per_1000() -> None:
    package = Order(cost_rate=Decimal("3.00"), cost_per_item=True)
    followers = Order(cost_rate=Decimal("3.00"), cost_per_item=False)
    assert settlement.cost_for(package, 1) == Decimal("3.00")
    assert settlement.cost_for(followers, 500) == Decimal("1.50")
