"""Payments under test: a reseller and its agency, the operator's Tripay gateway (QRIS and BRIVA
imported from the sandbox gateway), a transfer by hand with a statement secret, and the app
that gateways call back.

Most tests run on the test's rolled-back connection and post the callbacks the sandbox
recorded to the app through ASGI: the sandbox signs them and tries a dead address, so its log
holds exactly what Tripay would have sent. Tests that race requests serve the app for real,
on committed data, and let the sandbox call it."""

import json
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient
from redis.asyncio import Redis
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from panel.accounts import service as accounts
from panel.app import create_app
from panel.config import PaymentSettings, Settings
from panel.ledger.audit import audit
from panel.models import (
    Account,
    AccountKind,
    Deposit,
    Entry,
    FeePayer,
    GatewayKind,
    Journal,
    JournalKind,
    LedgerAccount,
    MethodKind,
    PaymentGateway,
    PaymentMethod,
    PaymentReview,
)
from panel.payments import deposits, methods
from panel.payments.adapters import adapter_for
from panel.payments.deposits import Links
from panel.payments.gateways import Adapter
from panel.plumbing.job_queue import Queue
from panel.plumbing.runtime import Runtime
from tests.fixtures.app_server import AppServer
from tests.fixtures.gateway import GatewayHandle

D = Decimal
MERCHANT = "T-PANEL"
API_KEY = "DEV-panel-api-key"
PRIVATE_KEY = "panel-private-key"
STATEMENT_SECRET = "statement-secret-of-the-bank-feed"
# Nothing listens on port 9: the sandbox records the signed callback, and its delivery fails.
DEAD = "http://127.0.0.1:9"


@pytest.fixture(scope="session")
def settings(settings: Settings, gateway_server: AppServer) -> Settings:
    """A rupiah panel whose Tripay sandbox is the sandbox gateway served for the tests."""
    payments = PaymentSettings(tripay_sandbox_url=f"{gateway_server.base_url}/tripay")
    return settings.model_copy(update={"currency": "IDR", "payments": payments})


@pytest.fixture
def pay_settings(settings: Settings) -> PaymentSettings:
    """Room for many open deposits per payer, for tests that open many."""
    return settings.payments.model_copy(update={"max_open": 50})


@pytest.fixture(scope="session")
async def tripay_http() -> AsyncIterator[httpx.AsyncClient]:
    # One client per test process: each new one loads the CA bundle again.
    async with httpx.AsyncClient(timeout=10) as client:
        yield client


@dataclass
class Payments:
    """The accounts, gateways and methods a test pays through."""

    reseller: Account
    other_reseller: Account
    agency: Account
    tripay: PaymentGateway
    qris: PaymentMethod
    briva: PaymentMethod
    manual: PaymentGateway
    transfer: PaymentMethod


async def build_payments(
    session: AsyncSession,
    gateway: GatewayHandle,
    http: httpx.AsyncClient,
    settings: PaymentSettings,
) -> Payments:
    """The operator's gateways and two resellers, as an operator sets them up."""
    gateway.register_merchant(MERCHANT, API_KEY, PRIVATE_KEY)
    reseller = await accounts.create(
        session, kind=AccountKind.reseller, name="Toko Budi", email="budi@example.com"
    )
    other = await accounts.create(session, kind=AccountKind.reseller, name="Toko Sari")
    agency = await accounts.create(
        session, kind=AccountKind.agency, name="Agen Rina", parent_id=reseller.id
    )
    tripay = await methods.add_gateway(
        session,
        None,
        None,
        GatewayKind.tripay,
        "Tripay",
        methods.GatewayKeys(MERCHANT, API_KEY, PRIVATE_KEY),
        "IDR",
    )
    imported = await methods.import_channels(
        session, None, tripay, adapter_for(tripay, http, settings), FeePayer.buyer
    )
    by_code = {method.code: method for method in imported}
    manual = await methods.add_gateway(
        session,
        None,
        None,
        GatewayKind.manual,
        "Transfer BCA",
        methods.GatewayKeys(private_key=STATEMENT_SECRET),
        "IDR",
    )
    transfer = await methods.put_method(
        session,
        None,
        manual,
        methods.MethodTerms(
            code="BCA",
            name="Transfer BCA",
            kind=MethodKind.transfer,
            min_amount=D(10_000),
            max_amount=D(10_000_000),
            instructions="BCA 1234567890 a.n. Pasok Panel",
        ),
    )
    return Payments(
        reseller, other, agency, tripay, by_code["QRIS"], by_code["BRIVA"], manual, transfer
    )


@pytest.fixture
async def pay(
    session: AsyncSession,
    gateway: GatewayHandle,
    tripay_http: httpx.AsyncClient,
    settings: Settings,
) -> Payments:
    made = await build_payments(session, gateway, tripay_http, settings.payments)
    await session.commit()
    return made


def dead_links(gateway: PaymentGateway, merchant_ref: str) -> Links:
    return Links(f"{DEAD}/payments/tripay/{gateway.id}/callback", f"{DEAD}/deposits")


def links_to(base_url: str) -> Callable[[PaymentGateway, str], Links]:
    def made(gateway: PaymentGateway, merchant_ref: str) -> Links:
        return Links(
            f"{base_url}/payments/tripay/{gateway.id}/callback",
            f"{base_url}/deposits?ref={merchant_ref}",
        )

    return made


@dataclass
class Opener:
    """open_deposit as the app calls it, against the sandbox gateway."""

    settings: PaymentSettings
    http: httpx.AsyncClient
    links: Callable[[PaymentGateway, str], Links] = dead_links

    def adapter(self, gateway: PaymentGateway) -> Adapter:
        return adapter_for(gateway, self.http, self.settings)

    async def __call__(
        self,
        session: AsyncSession,
        payer: Account,
        method: PaymentMethod,
        amount: Decimal,
        now: datetime | None = None,
    ) -> Deposit:
        return await deposits.open_deposit(
            session,
            payer,
            method.id,
            amount,
            now=now or datetime.now(UTC),
            currency="IDR",
            settings=self.settings,
            adapter_for=self.adapter,
            links=self.links,
        )


@pytest.fixture
def open_deposit(pay_settings: PaymentSettings, tripay_http: httpx.AsyncClient) -> Opener:
    return Opener(pay_settings, tripay_http)


@pytest.fixture(scope="session")
def payments_app(settings: Settings) -> FastAPI:
    # One app per test process: FastAPI readies each route on its first request, which costs
    # a fresh app per test more than the test itself.
    return create_app(settings)


@pytest.fixture
async def app_client(
    payments_app: FastAPI,
    settings: Settings,
    engine: AsyncEngine,
    sessionmaker: async_sessionmaker[AsyncSession],
    redis: Redis,
    queue: Queue,
    tripay_http: httpx.AsyncClient,
) -> AsyncIterator[AsyncClient]:
    """The app on the test's connection, for callbacks posted to it one at a time."""
    payments_app.state.runtime = Runtime(settings, engine, sessionmaker, redis, queue, tripay_http)
    transport = ASGITransport(app=payments_app)
    async with AsyncClient(transport=transport, base_url="http://pasok.test") as client:
        yield client


async def replay(client: AsyncClient, callback: dict[str, Any]) -> httpx.Response:
    """Post a callback the sandbox sent (and recorded) to Pasok, byte for byte."""
    path = httpx.URL(callback["url"]).path
    return await client.post(path, content=callback["body"].encode(), headers=callback["headers"])


def sent(answer: dict[str, Any]) -> list[dict[str, Any]]:
    """The callbacks a control call sent; each was recorded with its exact body."""
    found: list[dict[str, Any]] = answer["callbacks"]
    assert found, "the sandbox sent no callback"
    return found


@pytest.fixture
def served(settings: Settings, committed: async_sessionmaker[AsyncSession]) -> Iterator[str]:
    """The whole app over HTTP with its own runtime, for the sandbox to call; data the test
    makes through `committed` is what it sees."""
    server = AppServer(create_app(settings), lifespan="on").start()
    yield server.base_url
    server.stop()


# --- reading what happened ---------------------------------------------------------------------


async def wallet(session: AsyncSession, account: Account) -> Decimal:
    """The wallet's balance as the database holds it now (a column, never a cached row)."""
    found = await session.scalar(
        select(LedgerAccount.balance).where(LedgerAccount.owner_id == account.id)
    )
    assert found is not None
    return found


async def fresh(session: AsyncSession, deposit: Deposit) -> Deposit:
    await session.refresh(deposit)
    return deposit


async def legs_of(session: AsyncSession, journal_id: int) -> dict[str, Decimal]:
    """A journal's entries by ledger account code."""
    rows = await session.execute(
        select(LedgerAccount.code, Entry.amount)
        .join(LedgerAccount, LedgerAccount.id == Entry.ledger_account_id)
        .where(Entry.journal_id == journal_id)
    )
    return {code: amount for code, amount in rows}


async def deposit_journals(session: AsyncSession) -> int:
    found = await session.scalar(
        select(func.count()).select_from(Journal).where(Journal.kind == JournalKind.deposit)
    )
    return found or 0


async def count(session: AsyncSession, model: type[Any]) -> int:
    found = await session.scalar(select(func.count()).select_from(model))
    return found or 0


async def reviews(session: AsyncSession) -> list[PaymentReview]:
    found = await session.scalars(
        select(PaymentReview).order_by(PaymentReview.id).execution_options(populate_existing=True)
    )
    return list(found.all())


async def audit_clean(session: AsyncSession) -> None:
    assert await audit(session) == []


def body_of(callback: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(callback["body"])
    return data
