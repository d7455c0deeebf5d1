"""Orders written together: in one transaction they come out as if they had come one after
another, and batches from several processes at once never overdraw a wallet."""

import asyncio
from decimal import Decimal

from sqlalchemy import func, select, text

from panel.errors import InsufficientFunds
from panel.ledger import service as ledger
from panel.models import Account, Order
from panel.orders import intake
from panel.orders import service as orders
from panel.orders.batcher import Batcher
from panel.orders.intake import Intent
from panel.orders.texts import LINK_BUSY, NOT_ENOUGH_FUNDS
from panel.plumbing.runtime import Runtime
from tests.fixtures.factories import World
from tests.fixtures.pipeline import audit_clean, balance

LINK = "https://instagram.com/pasok"


async def _intent(
    runtime: Runtime,
    buyer: Account,
    service_id: int,
    quantity: int,
    *,
    link: str = LINK,
    request_id: str | None = None,
) -> Intent:
    async with runtime.transaction() as session:
        quote = await orders.quote(session, buyer, service_id)
    fields = {"link": link, "quantity": str(quantity)}
    return intake.draft(buyer, quote, fields, request_id)


async def _set_balance(runtime: Runtime, account_id: int, amount: Decimal) -> None:
    async with runtime.transaction() as session:
        now = await ledger.balance(session, account_id)
        if now != amount:
            await ledger.adjust(session, account_id, amount - now, "test balance", None)


async def _order_count(runtime: Runtime) -> int:
    async with runtime.transaction() as session:
        return await session.scalar(select(func.count()).select_from(Order)) or 0


async def test_one_write_takes_orders_as_if_one_after_another(
    runtime: Runtime, world: World
) -> None:
    followers = world.services["followers"].id
    big = await _intent(runtime, world.reseller, followers, 1000, link="https://x.com/1")
    small = await _intent(runtime, world.reseller, followers, 10, link="https://x.com/4")
    # Room for two big orders and a small one, not for a third big one.
    await _set_balance(runtime, world.reseller.id, 2 * big.charge + small.charge)
    third = await _intent(runtime, world.reseller, followers, 1000, link="https://x.com/3")

    async with runtime.transaction() as session:
        outcomes = await intake.write(session, [big, big, third, small])

    assert [o.order_id is not None for o in outcomes] == [True, True, False, True]
    refusal = outcomes[2].refusal
    assert refusal is not None
    assert refusal.detail == NOT_ENOUGH_FUNDS
    # The refused order left nothing behind; the one after it, cheaper, was taken.
    assert await _order_count(runtime) == 3
    assert await balance(runtime, world.reseller.id) == 0
    await audit_clean(runtime)


async def test_a_request_id_or_a_link_twice_in_one_write(runtime: Runtime, world: World) -> None:
    followers = world.services["followers"].id
    first = await _intent(runtime, world.reseller, followers, 100, request_id="r-1")
    again = await _intent(runtime, world.reseller, followers, 100, request_id="r-1")
    async with runtime.transaction() as session:
        await session.execute(
            text("UPDATE service SET one_order_per_link = true WHERE id = :id"),
            {"id": world.services["likes"].id},
        )
    likes = world.services["likes"].id
    on_link = await _intent(runtime, world.reseller, likes, 100, link="https://x.com/busy")
    before = await balance(runtime, world.reseller.id)

    async with runtime.transaction() as session:
        outcomes = await intake.write(session, [first, again, on_link, on_link])

    assert outcomes[0].order_id is not None
    assert not outcomes[0].repeat
    assert outcomes[1].order_id == outcomes[0].order_id
    assert outcomes[1].repeat
    assert outcomes[2].order_id is not None
    refusal = outcomes[3].refusal
    assert refusal is not None
    assert refusal.detail == LINK_BUSY
    assert await _order_count(runtime) == 2
    assert await balance(runtime, world.reseller.id) == before - first.charge - on_link.charge
    await audit_clean(runtime)


async def test_a_links_open_orders_are_found_without_reading_the_buyers_past_ones(
    runtime: Runtime, world: World
) -> None:
    """A buyer with thousands of finished orders on a link orders on it again from a service
    that takes one open order per link: the check reads none of the finished ones."""
    likes = world.services["likes"].id
    async with runtime.transaction() as session:
        await session.execute(
            text("UPDATE service SET one_order_per_link = true WHERE id = :id"), {"id": likes}
        )
        await session.execute(
            text("""
                INSERT INTO "order" (account_id, reseller_id, service_id, link, quantity, params,
                                     rate, charge, status, route_index, submit_attempts)
                SELECT :buyer, :buyer, :service, :link, 100, '{}', 1, 1, 'completed', 0, 0
                FROM generate_series(1, 5000)
            """),
            {"buyer": world.reseller.id, "service": likes, "link": LINK},
        )
        await session.execute(text('ANALYZE "order"'))
    intent = await _intent(runtime, world.reseller, likes, 100)

    async with runtime.transaction() as session:
        # As once a pooled connection has run the statement often enough to plan it once for
        # any parameters: the index must serve such a plan too.
        await session.execute(text("SET LOCAL plan_cache_mode = force_generic_plan"))
        [outcome] = await intake.write(session, [intent])
        # This transaction's own counts, before they reach the statistics views.
        index_scans, rows_fetched = (
            await session.execute(
                text("""
                    SELECT pg_stat_get_xact_numscans('order_open_link_idx'::regclass),
                           pg_stat_get_xact_tuples_fetched('"order"'::regclass)
                """)
            )
        ).one()

    assert outcome.order_id is not None
    assert index_scans == 1
    # A few rows by primary key (the charge's foreign key), not the 5,000 finished orders.
    assert rows_fetched < 10


async def test_busy_batches_of_two_processes_never_overdraw_and_share_transactions(
    runtime: Runtime, world: World
) -> None:
    """Two batchers (two API processes) take 120 orders at once for one wallet with room for
    exactly 50: 50 are taken, the wallet ends at zero, and orders shared transactions."""
    followers = world.services["followers"].id
    intent = await _intent(runtime, world.reseller, followers, 100)
    await _set_balance(runtime, world.reseller.id, 50 * intent.charge)
    batchers = [Batcher(runtime.sessionmaker, runtime.queue) for _ in range(2)]

    outcomes = await asyncio.gather(
        *(batchers[n % 2].write(intent) for n in range(120)), return_exceptions=True
    )

    taken = [o for o in outcomes if not isinstance(o, BaseException) and o.order_id]
    # Refused within a batch, or alone after the other process's batch spent the money first.
    refused = [
        o.refusal if not isinstance(o, BaseException) else o
        for o in outcomes
        if isinstance(o, BaseException) or o.refusal
    ]
    assert len(taken) == 50
    assert len(refused) == 70
    assert all(isinstance(r, InsufficientFunds) and r.detail == NOT_ENOUGH_FUNDS for r in refused)
    assert await balance(runtime, world.reseller.id) == 0
    async with runtime.transaction() as session:
        # Rows written by one transaction share its id (xmin).
        transactions = await session.scalar(text('SELECT count(DISTINCT xmin::text) FROM "order"'))
    assert transactions is not None
    assert transactions < 50
    await audit_clean(runtime)


async def test_an_order_the_database_refuses_does_not_fail_its_batch(
    runtime: Runtime, world: World
) -> None:
    followers = world.services["followers"].id
    good = await _intent(runtime, world.reseller, followers, 100)
    # A service deleted after it was priced: the insert breaks its foreign key.
    gone = Intent(**{**good.__dict__, "service_id": 999_999})
    batcher = Batcher(runtime.sessionmaker, runtime.queue)

    outcomes = await asyncio.gather(
        batcher.write(good), batcher.write(gone), batcher.write(good), return_exceptions=True
    )

    assert not isinstance(outcomes[0], BaseException)
    assert outcomes[0].order_id
    assert isinstance(outcomes[1], Exception)
    assert not isinstance(outcomes[2], BaseException)
    assert outcomes[2].order_id
    assert await _order_count(runtime) == 2
    await audit_clean(runtime)
