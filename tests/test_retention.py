"""Retention: each purge removes what is older than its setting, keeps what is younger and
what is still needed whatever its age, and works a batch at a time until nothing is left."""

import asyncio
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import delete, event, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from panel.accounts import sign_ins
from panel.catalogue import sync
from panel.config import RetentionSettings, Settings
from panel.growth import service_updates
from panel.models import (
    Account,
    Channel,
    DeliveryStatus,
    IdempotencyKey,
    Notification,
    NotificationStatus,
    Order,
    OrderEvent,
    OrderStatus,
    ProviderServiceCost,
    Refill,
    RefillStatus,
    ServiceChange,
    ServiceUpdate,
    SignIn,
    SignInResult,
    UpstreamCall,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from panel.orders import calls
from panel.plumbing import idempotency
from panel.plumbing.runtime import Runtime
from panel.support import notify
from panel.webhooks import service as webhooks
from tests.fixtures.factories import COST, World, build_world
from workers import retention_jobs

NOW = datetime.now(UTC)
DAYS = 30.0
OLD = NOW - timedelta(days=DAYS, hours=1)  # just past the setting
YOUNG = NOW - timedelta(days=DAYS - 1)  # just inside it
ANCIENT = NOW - timedelta(days=400)

Purge = Callable[[int], Awaitable[int]]


async def drain(purge: Purge, batch: int) -> list[int]:
    """Call `purge` with `batch` until it removes nothing, as the crons do; the counts."""
    counts = []
    while True:
        counts.append(await purge(batch))
        if counts[-1] == 0 or len(counts) > 50:
            return counts


@pytest.fixture
async def world(session: AsyncSession) -> World:
    return await build_world(session)


async def _ids(session: AsyncSession, column: object) -> set[object]:
    return set(await session.scalars(select(column)))  # type: ignore[call-overload]


def _order(world: World, status: OrderStatus, finished_at: datetime | None) -> Order:
    return Order(
        account_id=world.agency.id,
        reseller_id=world.reseller.id,
        service_id=world.services["followers"].id,
        link="https://instagram.com/someone",
        quantity=100,
        rate=Decimal("1.8"),
        charge=Decimal("0.18"),
        status=status,
        finished_at=finished_at,
    )


# --- idempotency keys ---------------------------------------------------------------------------


async def test_idempotency_keys_older_than_the_setting_go_in_batches(
    session: AsyncSession, world: World
) -> None:
    session.add_all(
        [
            IdempotencyKey(
                account_id=world.agency.id, key=f"old-{n}", fingerprint="f", created_at=OLD
            )
            for n in range(7)
        ]
        + [
            IdempotencyKey(
                account_id=world.agency.id, key="young", fingerprint="f", created_at=YOUNG
            )
        ]
        # Same key name, another account: the composite key deletes the right one.
        + [
            IdempotencyKey(
                account_id=world.reseller.id, key="old-0", fingerprint="f", created_at=YOUNG
            )
        ]
    )
    await session.flush()

    counts = await drain(lambda batch: idempotency.purge(session, NOW, DAYS, batch), 3)

    assert counts == [3, 3, 1, 0]
    left = set(await session.execute(select(IdempotencyKey.account_id, IdempotencyKey.key)))
    assert left == {(world.agency.id, "young"), (world.reseller.id, "old-0")}


async def test_an_idempotency_key_whose_request_runs_is_neither_taken_nor_waited_for(
    committed: async_sessionmaker[AsyncSession],
) -> None:
    async with committed.begin() as session:
        account = Account(kind="reseller", name="R")
        session.add(account)
        await session.flush()
        session.add(
            IdempotencyKey(account_id=account.id, key="done", fingerprint="f", created_at=OLD)
        )
    # A request still running holds its key's insert uncommitted, however old it claims to be.
    async with committed() as running:
        running.add(
            IdempotencyKey(account_id=account.id, key="running", fingerprint="f", created_at=OLD)
        )
        await running.flush()
        async with committed.begin() as session:
            removed = await asyncio.wait_for(idempotency.purge(session, NOW, DAYS), timeout=5)
        assert removed == 1
        await running.commit()
    async with committed() as session:
        assert set(await session.scalars(select(IdempotencyKey.key))) == {"running"}


# --- webhooks -----------------------------------------------------------------------------------


async def _delivery(
    session: AsyncSession,
    endpoint: WebhookEndpoint,
    status: DeliveryStatus,
    created_at: datetime,
    attempts: int,
) -> WebhookDelivery:
    delivery = WebhookDelivery(
        endpoint_id=endpoint.id,
        event_type="order.updated",
        body="{}",
        status=status,
        attempts=attempts,
        created_at=created_at,
    )
    session.add(delivery)
    await session.flush()
    session.add_all(
        [
            WebhookAttempt(
                delivery_id=delivery.id, attempted_at=created_at, status_code=500, duration_ms=5
            )
            for _ in range(attempts)
        ]
    )
    await session.flush()
    return delivery


async def test_webhook_deliveries_that_ended_go_with_their_attempts_pending_ones_stay(
    session: AsyncSession, world: World
) -> None:
    endpoint = WebhookEndpoint(
        account_id=world.agency.id, url="https://hooks.example.com/", secret="s", enabled=True
    )
    session.add(endpoint)
    await session.flush()
    gone = [await _delivery(session, endpoint, DeliveryStatus.delivered, OLD, 2) for _ in range(4)]
    gone.append(await _delivery(session, endpoint, DeliveryStatus.failed, ANCIENT, 3))
    still_sending = await _delivery(session, endpoint, DeliveryStatus.pending, ANCIENT, 2)
    recent = await _delivery(session, endpoint, DeliveryStatus.delivered, YOUNG, 1)

    counts = await drain(lambda batch: webhooks.purge(session, NOW, DAYS, 7, batch), 3)

    # 11 attempts and 5 deliveries, never more than 3 of a table per call.
    assert sum(counts) == 16
    assert all(count <= 3 * 3 for count in counts)
    assert len(counts) >= 4 + 1
    assert await _ids(session, WebhookDelivery.id) == {still_sending.id, recent.id}
    left = await _ids(session, WebhookAttempt.delivery_id)
    assert left == {still_sending.id, recent.id}
    assert await session.scalar(select(func.count()).select_from(WebhookAttempt)) == 3


async def test_one_batch_takes_no_more_attempts_than_the_batch(
    session: AsyncSession, world: World
) -> None:
    endpoint = WebhookEndpoint(
        account_id=world.agency.id, url="https://hooks.example.com/", secret="s", enabled=True
    )
    session.add(endpoint)
    await session.flush()
    delivery = await _delivery(session, endpoint, DeliveryStatus.failed, OLD, 5)

    assert await webhooks.purge(session, NOW, DAYS, 7, batch=2) == 2  # the delivery waits
    assert await session.scalar(select(func.count()).select_from(WebhookAttempt)) == 3
    assert await _ids(session, WebhookDelivery.id) == {delivery.id}
    assert await drain(lambda batch: webhooks.purge(session, NOW, DAYS, 7, batch), 2) == [2, 2, 0]
    assert await _ids(session, WebhookDelivery.id) == set()


async def test_order_events_go_once_fanned_out_long_enough_ago(
    session: AsyncSession, world: World
) -> None:
    order = _order(world, OrderStatus.in_progress, None)
    session.add(order)
    await session.flush()
    events = {
        name: OrderEvent(order_id=order.id, new_status="in_progress", fanned_out_at=at)
        for name, at in (
            ("old", NOW - timedelta(days=8)),
            ("older", NOW - timedelta(days=9)),
            ("recent", NOW - timedelta(days=6)),
            ("waiting", None),  # not yet turned into deliveries: kept whatever its age
        )
    }
    events["waiting"].created_at = ANCIENT
    session.add_all(events.values())
    await session.flush()

    counts = await drain(lambda batch: webhooks.purge(session, NOW, DAYS, 7, batch), 1)

    assert counts == [1, 1, 0]
    assert await _ids(session, OrderEvent.id) == {events["recent"].id, events["waiting"].id}


# --- notifications ------------------------------------------------------------------------------


async def test_notifications_sent_or_given_up_go_pending_ones_stay(
    session: AsyncSession, world: World
) -> None:
    def notification(key: str, status: NotificationStatus, created_at: datetime) -> Notification:
        return Notification(
            account_id=world.agency.id,
            channel=Channel.email,
            event_key=key,
            address="agency@example.com",
            subject="s",
            body="b",
            status=status,
            attempts=1,
            created_at=created_at,
        )

    gone = [notification(f"sent-{n}", NotificationStatus.sent, OLD) for n in range(4)]
    gone.append(notification("failed", NotificationStatus.failed, ANCIENT))
    kept = [
        notification("pending", NotificationStatus.pending, ANCIENT),
        notification("recent", NotificationStatus.sent, YOUNG),
    ]
    session.add_all(gone + kept)
    await session.flush()

    counts = await drain(lambda batch: notify.purge(session, NOW, DAYS, batch), 2)

    assert counts == [2, 2, 1, 0]
    assert await _ids(session, Notification.event_key) == {"pending", "recent"}


# --- sign-in attempts ---------------------------------------------------------------------------


async def test_sign_ins_older_than_the_setting_go(session: AsyncSession, world: World) -> None:
    def attempt(at: datetime) -> SignIn:
        return SignIn(
            account_id=world.agency.id,
            at=at,
            address="203.0.113.9",
            user_agent="browser",
            result=SignInResult.bad_password,
        )

    young = attempt(YOUNG)
    session.add_all([attempt(OLD) for _ in range(5)] + [attempt(ANCIENT), young])
    await session.flush()

    counts = await drain(lambda batch: sign_ins.purge(session, NOW, DAYS, batch), 4)

    assert counts == [4, 2, 0]
    assert await _ids(session, SignIn.id) == {young.id}


# --- upstream calls -----------------------------------------------------------------------------


async def test_calls_of_orders_finished_long_ago_go_open_orders_keep_theirs(
    session: AsyncSession, world: World
) -> None:
    orders = {
        "finished": _order(world, OrderStatus.completed, OLD),
        "failed": _order(world, OrderStatus.failed, ANCIENT),
        "just_finished": _order(world, OrderStatus.partial, YOUNG),
        "in_review": _order(world, OrderStatus.needs_review, None),
        "refilling": _order(world, OrderStatus.completed, ANCIENT),
    }
    session.add_all(orders.values())
    await session.flush()
    session.add(Refill(order_id=orders["refilling"].id, status=RefillStatus.in_progress))

    def call(name: str, called_at: datetime) -> UpstreamCall:
        return UpstreamCall(
            order_id=orders[name].id,
            provider_id=world.provider.id,
            action="add",
            outcome="accepted",
            answer="id 1",
            called_at=called_at,
        )

    gone = [call("finished", OLD), call("finished", ANCIENT), call("failed", ANCIENT)]
    kept = [
        call("finished", YOUNG),  # a refill asked for lately, say
        call("just_finished", OLD),
        call("in_review", ANCIENT),
        call("refilling", ANCIENT),
    ]
    session.add_all(gone + kept)
    await session.flush()

    counts = await drain(lambda batch: calls.purge(session, NOW, DAYS, batch), 2)

    assert counts == [2, 1, 0]
    assert await _ids(session, UpstreamCall.id) == {c.id for c in kept}


# --- service updates and cost history -----------------------------------------------------------


async def test_service_updates_go_past_each_services_newest(
    session: AsyncSession, world: World
) -> None:
    await session.execute(delete(ServiceUpdate))  # the world's own, made as it was built
    followers, likes = world.services["followers"].id, world.services["likes"].id

    def update(service_id: int, created_at: datetime, fanned_out: bool = True) -> ServiceUpdate:
        return ServiceUpdate(
            service_id=service_id,
            change=ServiceChange.limits,
            created_at=created_at,
            fanned_out_at=created_at if fanned_out else None,
        )

    gone = [update(followers, ANCIENT), update(followers, OLD), update(followers, OLD)]
    newest_of_followers = update(followers, OLD)
    only_of_likes = update(likes, ANCIENT)  # old, but what says `likes` was seen before
    not_sent = update(likes, ANCIENT, fanned_out=False)
    recent = update(likes, YOUNG)
    session.add_all(gone)
    await session.flush()  # ids in this order: newest last
    session.add(newest_of_followers)
    await session.flush()
    session.add(only_of_likes)
    await session.flush()
    session.add(not_sent)
    await session.flush()
    session.add(recent)
    await session.flush()

    counts = await drain(lambda batch: service_updates.purge(session, NOW, DAYS, batch), 2)

    # `only_of_likes` has newer ones (`not_sent`, `recent`), so it goes too.
    assert counts == [2, 2, 0]
    assert await _ids(session, ServiceUpdate.id) == {
        newest_of_followers.id,
        not_sent.id,
        recent.id,
    }


async def test_a_service_whose_every_update_is_old_keeps_its_newest(
    session: AsyncSession, world: World
) -> None:
    await session.execute(delete(ServiceUpdate))
    service_id = world.services["comments"].id
    first = ServiceUpdate(
        service_id=service_id, change=ServiceChange.added, created_at=ANCIENT, fanned_out_at=ANCIENT
    )
    session.add(first)
    await session.flush()
    last = ServiceUpdate(
        service_id=service_id, change=ServiceChange.disabled, created_at=OLD, fanned_out_at=OLD
    )
    session.add(last)
    await session.flush()

    assert await drain(lambda batch: service_updates.purge(session, NOW, DAYS, batch), 10) == [1, 0]
    assert await _ids(session, ServiceUpdate.id) == {last.id}


async def test_cost_history_goes_past_each_provider_services_newest(
    session: AsyncSession, world: World
) -> None:
    await session.execute(delete(ProviderServiceCost))
    followers, likes = world.routes["followers"][0].id, world.routes["likes"][0].id
    rows = []
    for provider_service_id, created_at in (
        (followers, ANCIENT),
        (followers, OLD),
        (followers, OLD),
        (followers, OLD),  # the newest of `followers`
        (likes, ANCIENT),  # the only one of `likes`
        (followers, YOUNG),
    ):
        row = ProviderServiceCost(
            provider_service_id=provider_service_id, rate=Decimal("1.1"), created_at=created_at
        )
        session.add(row)
        await session.flush()
        rows.append(row)

    counts = await drain(lambda batch: sync.purge_cost_history(session, NOW, DAYS, batch), 3)

    # With the young row newest of `followers`, its four old rows all go.
    assert counts == [3, 1, 0]
    assert await _ids(session, ProviderServiceCost.id) == {rows[4].id, rows[5].id}


# --- settings and crons -------------------------------------------------------------------------


def test_retention_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    given = {
        "WEBHOOK_DAYS": 45.0,
        "ORDER_EVENT_DAYS": 3.0,
        "IDEMPOTENCY_KEY_DAYS": 2.0,
        "NOTIFICATION_DAYS": 60.0,
        "SIGN_IN_DAYS": 120.0,
        "UPSTREAM_CALL_DAYS": 400.0,
        "SERVICE_UPDATE_DAYS": 730.0,
        "COST_HISTORY_DAYS": 90.0,
        "BATCH": 500,
    }
    for name, value in given.items():
        monkeypatch.setenv(f"PASOK_RETENTION__{name}", str(value))

    read = Settings().retention

    assert read.model_dump() == {name.lower(): value for name, value in given.items()}
    assert read != RetentionSettings()


def test_retention_refuses_a_keep_of_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PASOK_RETENTION__IDEMPOTENCY_KEY_DAYS", "0")
    with pytest.raises(ValueError, match="idempotency_key_days"):
        Settings()


@pytest.fixture
async def small_batches(settings: Settings) -> AsyncIterator[Runtime]:
    runtime = await Runtime.start(
        settings.model_copy(update={"retention": RetentionSettings(sign_in_days=DAYS, batch=2)})
    )
    yield runtime
    await runtime.close()


async def test_the_cron_commits_batch_after_batch_until_nothing_is_left(
    committed: async_sessionmaker[AsyncSession],
    small_batches: Runtime,
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with committed.begin() as session:
        account = Account(kind="reseller", name="R")
        session.add(account)
        await session.flush()
        session.add_all(
            SignIn(
                account_id=account.id,
                at=at,
                address="203.0.113.9",
                user_agent="browser",
                result=SignInResult.ok,
            )
            for at in [OLD] * 5 + [YOUNG]
        )
    transactions = 0
    opened = small_batches.transaction

    def counted() -> object:
        nonlocal transactions
        transactions += 1
        return opened()

    small_batches.transaction = counted  # type: ignore[method-assign]

    with caplog.at_level(logging.INFO, logger="panel.retention"):
        removed = await retention_jobs.forget_sign_ins(small_batches)

    assert removed == 5
    assert transactions == 4  # 2 + 2 + 1, then one that found nothing
    async with committed() as session:
        assert list(await session.scalars(select(SignIn.at))) == [YOUNG]
    [line] = [r for r in caplog.records if r.getMessage() == "history forgotten"]
    assert line.fields == {"kind": "sign_ins", "rows": 5}  # type: ignore[attr-defined]


# --- indexes ------------------------------------------------------------------------------------


PURGES: dict[str, Callable[[AsyncSession], Awaitable[int]]] = {
    "webhook_delivery_created_at_idx": lambda s: webhooks.purge(s, NOW, DAYS, 7),
    "order_event_fanned_out_at_idx": lambda s: webhooks.purge(s, NOW, DAYS, 7),
    "idempotency_key_created_at_idx": lambda s: idempotency.purge(s, NOW, DAYS),
    "notification_created_at_idx": lambda s: notify.purge(s, NOW, DAYS),
    "sign_in_at_idx": lambda s: sign_ins.purge(s, NOW, DAYS),
    "upstream_call_called_at_idx": lambda s: calls.purge(s, NOW, DAYS),
    "service_update_created_at_idx": lambda s: service_updates.purge(s, NOW, DAYS),
    "provider_service_cost_created_at_idx": lambda s: sync.purge_cost_history(s, NOW, DAYS),
}


@pytest.mark.parametrize("index", sorted(PURGES))
async def test_each_purge_finds_its_rows_through_an_index_on_their_age(
    session: AsyncSession, index: str
) -> None:
    statements: list[tuple[str, object]] = []

    def capture(
        _conn: object, _cursor: object, statement: str, parameters: object, *_: object
    ) -> None:
        if statement.startswith("DELETE"):
            statements.append((statement, parameters))

    connection = await session.connection()
    event.listen(connection.sync_connection, "before_cursor_execute", capture)
    try:
        await PURGES[index](session)
    finally:
        event.remove(connection.sync_connection, "before_cursor_execute", capture)
    # On tables this small a scan is cheapest; without it, only an index shows what serves.
    # Tables never analysed are guessed at ten pages each, which can make a join of calls to
    # orders start from the orders; analysed (rolled back with the test), they are empty.
    await session.execute(text("SET LOCAL enable_seqscan = off"))
    await session.execute(text('ANALYZE "order", upstream_call, refill'))
    plans = []
    for statement, parameters in statements:
        rows = await connection.exec_driver_sql(f"EXPLAIN {statement}", parameters)  # type: ignore[arg-type]
        plans.append("\n".join(row[0] for row in rows))
    walks = re.compile(rf"Index (Only )?Scan (using|on) {index}\b")
    assert any(walks.search(plan) for plan in plans), plans


async def test_every_cron_forgets_its_own_kind_by_the_default_settings(
    committed: async_sessionmaker[AsyncSession], small_batches: Runtime
) -> None:
    """Each cron passes its own setting to its own purge: a row older than every default goes,
    one younger than every default (half a day) stays."""
    young = NOW - timedelta(hours=12)
    async with committed.begin() as session:
        world = await build_world(session)
        await session.execute(delete(ServiceUpdate))
        await session.execute(delete(ProviderServiceCost))
        endpoint = WebhookEndpoint(
            account_id=world.agency.id, url="https://hooks.example.com/", secret="s", enabled=True
        )
        order = _order(world, OrderStatus.completed, ANCIENT)
        session.add_all([endpoint, order])
        await session.flush()
        await session.execute(delete(OrderEvent))  # the order's own, from the trigger
        followers = world.services["followers"].id
        cost_of = world.routes["followers"][0].id
        for at in (ANCIENT, young):
            session.add_all(
                [
                    IdempotencyKey(
                        account_id=world.agency.id, key=str(at), fingerprint="f", created_at=at
                    ),
                    WebhookDelivery(
                        endpoint_id=endpoint.id,
                        event_type="order.updated",
                        body="{}",
                        status=DeliveryStatus.delivered,
                        attempts=0,
                        created_at=at,
                    ),
                    OrderEvent(order_id=order.id, new_status="completed", fanned_out_at=at),
                    Notification(
                        account_id=world.agency.id,
                        channel=Channel.email,
                        event_key=str(at),
                        address="agency@example.com",
                        subject="s",
                        body="b",
                        status=NotificationStatus.sent,
                        attempts=1,
                        created_at=at,
                    ),
                    SignIn(
                        account_id=world.agency.id,
                        at=at,
                        address="203.0.113.9",
                        user_agent="browser",
                        result=SignInResult.ok,
                    ),
                    UpstreamCall(
                        order_id=order.id,
                        action="add",
                        outcome="accepted",
                        answer="",
                        called_at=at,
                    ),
                ]
            )
            # Flushed one by one, so the young rows are each kind's newest.
            session.add(
                ServiceUpdate(
                    service_id=followers,
                    change=ServiceChange.limits,
                    created_at=at,
                    fanned_out_at=at,
                )
            )
            session.add(ProviderServiceCost(provider_service_id=cost_of, rate=COST, created_at=at))
            await session.flush()
    small_batches.settings = small_batches.settings.model_copy(
        update={"retention": RetentionSettings(batch=1)}
    )

    removed = {
        job.__name__: await job(small_batches)
        for job in (
            retention_jobs.forget_webhook_history,
            retention_jobs.forget_idempotency_keys,
            retention_jobs.forget_notifications,
            retention_jobs.forget_sign_ins,
            retention_jobs.forget_upstream_calls,
            retention_jobs.forget_service_updates,
            retention_jobs.forget_cost_history,
        )
    }

    assert removed == {
        "forget_webhook_history": 2,  # a delivery and an event
        "forget_idempotency_keys": 1,
        "forget_notifications": 1,
        "forget_sign_ins": 1,
        "forget_upstream_calls": 1,
        "forget_service_updates": 1,
        "forget_cost_history": 1,
    }
    async with committed() as session:
        for at_column in (
            IdempotencyKey.created_at,
            WebhookDelivery.created_at,
            OrderEvent.fanned_out_at,
            Notification.created_at,
            SignIn.at,
            UpstreamCall.called_at,
            ServiceUpdate.created_at,
            ProviderServiceCost.created_at,
        ):
            assert list(await session.scalars(select(at_column))) == [young], at_column
