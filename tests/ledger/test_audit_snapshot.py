"""The ledger audit reads one snapshot, whoever runs it: under READ COMMITTED an order accepted
between reading `clearing` and reading the open orders makes a breach that is not there; the
one runner (`ledger.audit_runner`), behind `pasok audit`, the crons and
`/admin/v1/ledger/audit`, never reports one while orders are accepted all along."""

import asyncio
from decimal import Decimal
from itertools import count

from httpx import ASGITransport, AsyncClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from panel.accounts import service as accounts
from panel.keys import service as keys
from panel.ledger.accounts import CLEARING
from panel.ledger.audit import clearing_breaches
from panel.models import AccountKind, Entry, LedgerAccount
from panel.orders import service as orders
from panel.plumbing.runtime import Runtime
from tests.conftest import AppFor
from tests.fixtures.factories import World, build_world

LINK = "https://instagram.com/pasok"


async def _clearing(session: AsyncSession) -> Decimal:
    held = await session.scalar(
        select(func.coalesce(func.sum(Entry.amount), 0))
        .join(LedgerAccount, LedgerAccount.id == Entry.ledger_account_id)
        .where(LedgerAccount.code == CLEARING)
    )
    return Decimal(held or 0)


async def _order(runtime: Runtime, world: World, n: int) -> None:
    async with runtime.transaction() as session:
        await orders.accept(
            session,
            world.reseller,
            world.services["likes"].id,
            {"link": f"{LINK}/{n}", "quantity": "100"},
        )


async def test_two_statements_under_read_committed_see_a_breach_that_is_not_there(
    runtime: Runtime,
) -> None:
    async with runtime.transaction() as session:
        world = await build_world(session)
    for isolation, breached in (("READ COMMITTED", True), ("REPEATABLE READ", False)):
        async with runtime.sessionmaker() as session, session.begin():
            await session.connection(execution_options={"isolation_level": isolation})
            held = await _clearing(session)
            await _order(runtime, world, int(breached))  # commits between the two reads
            found = await clearing_breaches(session, held)
        assert [b.invariant for b in found] == (
            ["clearing_equals_open_orders"] if breached else []
        ), isolation


async def test_the_admin_audit_stays_clean_while_orders_pour_in(
    runtime: Runtime, app_for: AppFor
) -> None:
    async with runtime.transaction() as session:
        world = await build_world(session, reseller_balance=Decimal(10_000))
        operator = await accounts.create(session, kind=AccountKind.operator, name="Ops")
        token = (await keys.issue(session, operator, "audit")).plaintext
    numbers = count()
    done = asyncio.Event()

    async def ordering() -> None:
        while not done.is_set():
            await _order(runtime, world, next(numbers))

    app = app_for(runtime.sessionmaker)
    reports = []
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://pasok.test") as c:
        writers = [asyncio.create_task(ordering()) for _ in range(4)]
        try:
            for n in range(30):
                full = "true" if n % 2 else "false"
                answer = await c.get(
                    f"/admin/v1/ledger/audit?full={full}",
                    headers={"Authorization": f"Bearer {token}"},
                )
                assert answer.status_code == 200, answer.text
                reports.append(answer.json())
        finally:
            done.set()
            await asyncio.gather(*writers)
    assert next(numbers) > 30  # orders were being accepted all along
    assert [r for r in reports if not r["clean"]] == []
