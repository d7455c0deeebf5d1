"""A priced catalogue, two resellers and two agencies, set up as an operator would through
/admin/v1, and the callers' view of it through /api/v2 and /v1."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from httpx import ASGITransport, AsyncClient, Response
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from panel.accounts import service as accounts
from panel.keys import service as keys
from panel.models import AccountKind
from tests.conftest import AppFor, Operator

D = Decimal
API = "/api/v2"


@dataclass(frozen=True)
class Caller:
    account_id: int
    key: str


@dataclass(frozen=True)
class Snapshot:
    """Everything a request could have changed: rows that record orders and money, every
    order's state, and every wallet's balance."""

    counts: dict[str, int]
    orders: dict[int, tuple[Any, ...]]
    wallets: dict[int, Decimal]


class Panel:
    """The operator's side through /admin/v1, the callers' through /api/v2, and the database
    underneath, read and (to put orders into any state) written directly."""

    def __init__(
        self,
        client: AsyncClient,
        operator: Operator,
        sessionmaker: async_sessionmaker[AsyncSession],
    ) -> None:
        self.client = client
        self.operator = operator
        self.sessionmaker = sessionmaker
        self.provider_id = 0
        self._external_ids = 0

    async def admin(self, method: str, path: str, body: Any = None) -> Any:
        response = await self.client.request(
            method, f"/admin/v1{path}", json=body, headers=self.operator.headers
        )
        assert response.is_success, response.text
        return response.json() if response.content else None

    async def start(self) -> None:
        provider = await self.admin(
            "POST",
            "/providers",
            {"name": "Upstream", "api_url": "http://127.0.0.1:9/api/v2", "api_key": "up-key"},
        )
        self.provider_id = provider["id"]

    async def service(self, *, cost: str = "1", routed: bool = True, **fields: Any) -> int:
        """A service sold by Pasok, routed to one upstream service costing `cost` per 1000."""
        body = {"name": "Followers", "min_quantity": 10, "max_quantity": 10_000, **fields}
        service = await self.admin("POST", "/services", body)
        if routed:
            self._external_ids += 1
            upstream = await self.admin(
                "PUT",
                f"/providers/{self.provider_id}/services",
                {
                    "external_id": str(self._external_ids),
                    "name": body["name"],
                    "type": body.get("type", "Default"),
                    "rate": cost,
                    "min_quantity": 1,
                    "max_quantity": 1_000_000,
                },
            )
            await self.admin(
                "PUT",
                f"/services/{service['id']}/routes",
                {"provider_service_ids": [upstream["id"]]},
            )
        service_id: int = service["id"]
        return service_id

    async def account(self, **body: Any) -> Caller:
        account = await self.admin("POST", "/accounts", body)
        issued = await self.admin("POST", f"/accounts/{account['id']}/keys", {"label": "script"})
        return Caller(account["id"], issued["key"])

    async def top_up(self, caller: Caller, amount: str) -> None:
        await self.admin(
            "POST", f"/accounts/{caller.account_id}/top-ups", {"amount": amount, "reason": "bank"}
        )

    async def fund(self, agency: Caller, amount: str) -> None:
        await self.admin(
            "POST",
            "/agency-fundings",
            {"agency_id": agency.account_id, "amount": amount, "reason": "float"},
        )

    async def post(self, key: str | None, **params: Any) -> Response:
        data = {name: str(value) for name, value in params.items()}
        if key is not None:
            data["key"] = key
        return await self.client.post(API, data=data)

    async def api(self, caller: Caller | str | None, **params: Any) -> Any:
        """Call /api/v2 with a form POST, the common case, and return the JSON answer; every
        answer, error or not, is 200 JSON."""
        key = caller.key if isinstance(caller, Caller) else caller
        response = await self.post(key, **params)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/json"
        return response.json()

    async def v1(
        self, caller: Caller | str | None, method: str, path: str, **kwargs: Any
    ) -> Response:
        """Call /v1 with the caller's key as a bearer token."""
        key = caller.key if isinstance(caller, Caller) else caller
        headers = dict(kwargs.pop("headers", {}))
        if key is not None:
            headers["Authorization"] = f"Bearer {key}"
        return await self.client.request(method, f"/v1{path}", headers=headers, **kwargs)

    async def order(self, caller: Caller, service: int, **params: Any) -> int:
        """Place an order that must be accepted; its id."""
        answer = await self.api(caller, action="add", service=service, **params)
        assert set(answer) == {"order"}, answer
        order_id: int = answer["order"]
        return order_id

    async def warm(self, caller: Caller) -> None:
        """Use the key once before requests that race: recording a key's first use in a minute
        locks its row until commit, which would serialise them by accident."""
        await self.api(caller, action="balance")

    async def execute(self, statement: str, **values: Any) -> None:
        async with self.sessionmaker.begin() as session:
            await session.execute(text(statement), values)

    async def set_order(self, order_id: int, **values: Any) -> None:
        """Put an order into a state directly, as the pipeline would have left it."""
        assignments = ", ".join(f"{column} = :{column}" for column in values)
        await self.execute(
            f'UPDATE "order" SET {assignments} WHERE id = :id', id=order_id, **values
        )

    async def row(self, table: str, row_id: int) -> dict[str, Any]:
        async with self.sessionmaker() as session:
            found = (
                (
                    await session.execute(
                        text(f'SELECT * FROM "{table}" WHERE id = :id'), {"id": row_id}
                    )
                )
                .mappings()
                .one()
            )
        return dict(found)

    async def balance(self, caller: Caller) -> Decimal:
        return (await self.snapshot()).wallets[caller.account_id]

    async def snapshot(self) -> Snapshot:
        async with self.sessionmaker() as session:
            counts = {
                table: int(await session.scalar(text(f'SELECT count(*) FROM "{table}"')) or 0)
                for table in ("order", "order_charge", "refill", "journal", "entry")
            }
            rows = await session.execute(
                text('SELECT id, status, remains, cancel_requested_at FROM "order"')
            )
            orders = {row[0]: tuple(row[1:]) for row in rows}
            rows = await session.execute(
                text("SELECT owner_id, balance FROM ledger_account WHERE kind = 'wallet'")
            )
            wallets = {owner_id: balance for owner_id, balance in rows}
        return Snapshot(counts, orders, wallets)

    @asynccontextmanager
    async def unchanged(self) -> AsyncIterator[None]:
        """The block leaves no order, refill, charge, journal or entry behind, and every order
        and wallet as it was."""
        before = await self.snapshot()
        yield
        assert await self.snapshot() == before


@dataclass
class World:
    panel: Panel
    tier_id: int
    # Default, 10..10000, cost 1 per 1000: refill, cancel and drip-feed allowed.
    followers: int
    # Default, 10..10000, cost 0.5 per 1000: neither refill nor cancel.
    likes: int
    reseller: Caller  # in tier Gold (+20%): followers at 1.2; balance 100
    agency: Caller  # under `reseller`, which adds 10% for its agencies: followers at 1.32; 20
    sibling: Caller  # another agency of `reseller`; balance 20
    other: Caller  # another reseller, no tier: followers at cost, 1; balance 50


@pytest.fixture
async def panel(
    client: AsyncClient, operator: Operator, sessionmaker: async_sessionmaker[AsyncSession]
) -> Panel:
    panel = Panel(client, operator, sessionmaker)
    await panel.start()
    return panel


@pytest.fixture
async def world(panel: Panel) -> World:
    return await build_world(panel)


@pytest.fixture
async def live_world(
    app_for: AppFor, committed: async_sessionmaker[AsyncSession]
) -> AsyncIterator[World]:
    """The same world with real commits, for requests that race each other on many
    connections. Everything is wiped afterwards."""
    app = app_for(committed)
    async with committed.begin() as session:
        account = await accounts.create(session, kind=AccountKind.operator, name="Ops")
        issued = await keys.issue(session, account, "tests")
    transport = ASGITransport(app=app)
    async with AsyncClient(transport=transport, base_url="http://pasok.test") as client:
        panel = Panel(client, Operator(account, issued.plaintext), committed)
        await panel.start()
        yield await build_world(panel)


async def build_world(panel: Panel) -> World:
    tier = await panel.admin("POST", "/tiers", {"name": "Gold"})
    await panel.admin("POST", "/price-rules", {"tier_id": tier["id"], "markup_percent": "20"})
    followers = await panel.service(
        name="Followers",
        category="Instagram Followers",
        description="Real-looking profiles, 30 days refill",
        refill=True,
        cancel=True,
        dripfeed=True,
    )
    likes = await panel.service(name="Likes", category="Instagram Likes", cost="0.5")

    reseller = await panel.account(kind="reseller", name="Reseller A", tier_id=tier["id"])
    agency = await panel.account(kind="agency", name="Agency A1", parent_id=reseller.account_id)
    sibling = await panel.account(kind="agency", name="Agency A2", parent_id=reseller.account_id)
    other = await panel.account(kind="reseller", name="Reseller B")
    await panel.admin(
        "POST", "/price-rules", {"owner_id": reseller.account_id, "markup_percent": "10"}
    )
    await panel.top_up(reseller, "140")
    await panel.fund(agency, "20")
    await panel.fund(sibling, "20")
    await panel.top_up(other, "50")
    return World(panel, tier["id"], followers, likes, reseller, agency, sibling, other)
