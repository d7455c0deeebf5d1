"""The ledger against a plain Python model: Hypothesis drives random sequences of top-ups,
order debits, refunds, adjustments and agency fundings, each committed in its own transaction
on a real database, and after every step compares the database with the model.

Hypothesis's state machines are synchronous, and the tests' event loop is shared by the whole
session, so the machine runs in a worker thread with an event loop and an engine of its own.
"""

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, ClassVar, TypeVar

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from panel.accounts import service as accounts
from panel.errors import InsufficientFunds
from panel.ledger import accounts as ledger_accounts
from panel.ledger import service as ledger
from panel.ledger.audit import audit
from panel.ledger.service import Leg, post
from panel.models import AccountKind, Entry, Journal, JournalKind, LedgerAccount
from panel.money import PLACES
from panel.plumbing.db import create_engine

T = TypeVar("T")

AMOUNTS = st.decimals(min_value=PLACES, max_value=Decimal("1000"), places=6)
# Two resellers; the first has two agencies, the second one.
RESELLERS = 2
AGENCY_PARENTS = (0, 0, 1)
WALLETS = st.integers(min_value=0, max_value=RESELLERS + len(AGENCY_PARENTS) - 1)
AGENCIES = st.integers(min_value=0, max_value=len(AGENCY_PARENTS) - 1)


@dataclass
class Order:
    payer: int  # index into the machine's accounts
    order_id: int
    refundable: Decimal  # debited and not yet refunded


async def _sum(session: AsyncSession, ledger_account_id: int) -> Decimal:
    total = await session.scalar(
        select(func.coalesce(func.sum(Entry.amount), 0)).where(
            Entry.ledger_account_id == ledger_account_id
        )
    )
    return Decimal(total)


class LedgerMachine(RuleBasedStateMachine):
    loop: ClassVar[asyncio.AbstractEventLoop]
    sessionmaker: ClassVar[async_sessionmaker[AsyncSession]]
    next_order_id: ClassVar[int] = 1

    def __init__(self) -> None:
        super().__init__()
        # Fresh accounts for every example: what earlier examples left in the database is
        # compared only through the whole-database audit, never against this model.
        self.accounts: list[int] = []
        self.wallets: list[int] = []
        self.balances: list[Decimal] = []
        self.orders: list[Order] = []
        self.revenue_moved = Decimal(0)
        self.external_moved = Decimal(0)
        self.last = 0  # the wallet the last step touched
        self._run(self._open)

    def _run(self, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
        """Run `work` in its own transaction, committed when it returns."""

        async def transaction() -> T:
            async with self.sessionmaker.begin() as session:
                return await work(session)

        return self.loop.run_until_complete(transaction())

    def _attempt(self, work: Callable[[AsyncSession], Awaitable[Any]]) -> bool:
        """Whether `work` went through; InsufficientFunds rolls its transaction back."""
        try:
            self._run(work)
        except InsufficientFunds:
            return False
        return True

    async def _open(self, session: AsyncSession) -> None:
        resellers = [
            await accounts.create(session, kind=AccountKind.reseller, name=f"R{i}")
            for i in range(RESELLERS)
        ]
        agencies = [
            await accounts.create(
                session, kind=AccountKind.agency, name=f"A{i}", parent_id=resellers[parent].id
            )
            for i, parent in enumerate(AGENCY_PARENTS)
        ]
        for account in [*resellers, *agencies]:
            self.accounts.append(account.id)
            self.wallets.append((await ledger_accounts.wallet_of(session, account.id)).id)
            self.balances.append(Decimal(0))
        self.revenue = await ledger_accounts.system(session, ledger_accounts.REVENUE)
        self.external = await ledger_accounts.system(session, ledger_accounts.EXTERNAL)
        self.revenue_before = await _sum(session, self.revenue)
        self.external_before = await _sum(session, self.external)
        self.journals_before = await session.scalar(select(func.coalesce(func.max(Journal.id), 0)))

    def _debit(self, who: int, amount: Decimal) -> None:
        self.last = who
        order_id = LedgerMachine.next_order_id
        LedgerMachine.next_order_id += 1
        went_through = self._attempt(
            lambda s: post(
                s,
                kind=JournalKind.order,
                reason=f"order {order_id}",
                legs=[Leg(self.wallets[who], -amount), Leg(self.revenue, amount)],
            )
        )
        assert went_through == (self.balances[who] >= amount)
        if went_through:
            self.balances[who] -= amount
            self.revenue_moved += amount
            self.orders.append(Order(who, order_id, amount))

    @rule(who=WALLETS, amount=AMOUNTS)
    def top_up(self, who: int, amount: Decimal) -> None:
        self.last = who
        self._run(lambda s: ledger.top_up(s, self.accounts[who], amount, "bank transfer", None))
        self.balances[who] += amount
        self.external_moved -= amount

    @rule(who=WALLETS, amount=AMOUNTS)
    def debit(self, who: int, amount: Decimal) -> None:
        self._debit(who, amount)

    @precondition(lambda self: any(self.balances))
    @rule(data=st.data())
    def debit_everything(self, data: st.DataObject) -> None:
        who = data.draw(st.sampled_from([i for i, b in enumerate(self.balances) if b > 0]))
        self._debit(who, self.balances[who])
        assert self.balances[who] == 0

    @rule(who=WALLETS)
    def overdraw_by_one_micro_unit(self, who: int) -> None:
        self._debit(who, self.balances[who] + PLACES)

    @precondition(lambda self: any(order.refundable for order in self.orders))
    @rule(data=st.data())
    def refund(self, data: st.DataObject) -> None:
        order = data.draw(st.sampled_from([o for o in self.orders if o.refundable > 0]))
        amount = data.draw(
            st.one_of(
                st.just(order.refundable),
                st.decimals(min_value=PLACES, max_value=order.refundable, places=6),
            )
        )
        self._run(
            lambda s: post(
                s,
                kind=JournalKind.refund,
                reason=f"order {order.order_id} partial",
                legs=[Leg(self.revenue, -amount), Leg(self.wallets[order.payer], amount)],
            )
        )
        self.last = order.payer
        order.refundable -= amount
        self.balances[order.payer] += amount
        self.revenue_moved -= amount

    @rule(who=WALLETS, amount=AMOUNTS, credit=st.booleans())
    def adjust(self, who: int, amount: Decimal, credit: bool) -> None:
        self.last = who
        signed = amount if credit else -amount
        went_through = self._attempt(
            lambda s: ledger.adjust(s, self.accounts[who], signed, "correction", None)
        )
        assert went_through == (self.balances[who] + signed >= 0)
        if went_through:
            self.balances[who] += signed
            self.external_moved -= signed

    @rule(agency=AGENCIES, amount=AMOUNTS)
    def fund_agency(self, agency: int, amount: Decimal) -> None:
        payer = AGENCY_PARENTS[agency]
        payee = RESELLERS + agency
        self.last = payee if agency % 2 else payer  # both move; look at each in turn
        went_through = self._attempt(
            lambda s: ledger.fund_agency(s, self.accounts[payee], amount, "budget", None)
        )
        assert went_through == (self.balances[payer] >= amount)
        if went_through:
            self.balances[payer] -= amount
            self.balances[payee] += amount

    @invariant()
    def database_agrees_with_the_model(self) -> None:
        async def check(session: AsyncSession) -> None:
            # Every journal of this example sums to zero over two entries or more.
            unbalanced = await session.execute(
                select(Journal.id, func.coalesce(func.sum(Entry.amount), 0), func.count(Entry.id))
                .outerjoin(Entry, Entry.journal_id == Journal.id)
                .where(Journal.id > self.journals_before)
                .group_by(Journal.id)
                .having(
                    (func.coalesce(func.sum(Entry.amount), 0) != 0) | (func.count(Entry.id) < 2)
                )
            )
            assert unbalanced.all() == []
            # Every wallet's cached balance equals the sum of its entries and the model.
            summed = (
                select(func.coalesce(func.sum(Entry.amount), 0))
                .where(Entry.ledger_account_id == LedgerAccount.id)
                .scalar_subquery()
            )
            rows = await session.execute(
                select(LedgerAccount.id, LedgerAccount.balance, summed).where(
                    LedgerAccount.id.in_(self.wallets)
                )
            )
            found = {wallet: (cached, total) for wallet, cached, total in rows}
            assert found == {
                wallet: (self.balances[who], self.balances[who])
                for who, wallet in enumerate(self.wallets)
            }
            assert all(cached >= 0 for cached, _ in found.values())
            # The services' own views of one wallet: its balance and its statement's last line.
            who = self.last
            assert await ledger.balance(session, self.accounts[who]) == self.balances[who]
            lines = await ledger.statement(session, self.accounts[who], limit=1)
            assert (lines[0].balance_after if lines else 0) == self.balances[who]
            revenue = await _sum(session, self.revenue) - self.revenue_before
            external = await _sum(session, self.external) - self.external_before
            assert revenue == self.revenue_moved
            assert external == self.external_moved
            assert sum(self.balances) + self.revenue_moved + self.external_moved == 0

        self._run(check)

    def teardown(self) -> None:
        # The audit the cron job runs, over the whole database, earlier examples included.
        async def check(session: AsyncSession) -> None:
            assert await audit(session) == []

        self._run(check)


def _run_machine(database_url: str) -> None:
    loop = asyncio.new_event_loop()
    engine = create_engine(database_url, pool_size=2)
    machine = type(
        "LedgerMachineOnDatabase",
        (LedgerMachine,),
        {"loop": loop, "sessionmaker": async_sessionmaker(engine, expire_on_commit=False)},
    )
    try:
        run_state_machine_as_test(
            machine,
            settings=settings(
                max_examples=25,
                stateful_step_count=20,
                deadline=None,
                suppress_health_check=[HealthCheck.too_slow],
            ),
        )
    finally:
        loop.run_until_complete(engine.dispose())
        loop.close()


async def test_ledger_matches_a_model(
    database_url: str, committed: async_sessionmaker[AsyncSession]
) -> None:
    # `committed` is here for its teardown: the machine's commits are real, and it truncates
    # every table afterwards, as for the other tests that commit.
    await asyncio.to_thread(_run_machine, database_url)
