"""Margin reports from the settlement journals, grouped every way an operator asks."""

import csv
import io
from decimal import Decimal

from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from panel.models import Order, OrderStatus
from panel.money import charge_for
from panel.orders import service as orders
from panel.orders.settlement import settle
from tests.conftest import Operator
from tests.fixtures.factories import COST, RESELLER_RATE, World, build_world

D = Decimal
LINK = "https://instagram.com/report"


async def _settled(
    session: AsyncSession,
    world: World,
    quantity: int,
    status: OrderStatus,
    remains: int,
    *,
    agency: bool = False,
) -> Order:
    order = await orders.accept(
        session,
        world.agency if agency else world.reseller,
        world.services["followers"].id,
        {"link": LINK, "quantity": str(quantity)},
    )
    order.provider_id, order.cost_rate, order.status = (
        world.provider.id,
        COST,
        OrderStatus.in_progress,
    )
    await session.flush()
    await settle(session, order, status, remains, "test")
    return order


async def test_revenue_cost_and_margin_by_every_grouping(
    session: AsyncSession, client: AsyncClient, operator: Operator
) -> None:
    world = await build_world(session)
    await _settled(session, world, 1000, OrderStatus.completed, 0)  # paid 1.50, cost 1.00
    await _settled(session, world, 1000, OrderStatus.partial, 400)  # kept 0.90, cost 0.60
    await _settled(session, world, 1000, OrderStatus.completed, 0, agency=True)  # reseller's 1.50
    await _settled(session, world, 1000, OrderStatus.canceled, 1000)  # nothing
    await orders.accept(
        session, world.reseller, world.services["followers"].id, {"link": LINK, "quantity": "100"}
    )
    revenue = charge_for(RESELLER_RATE, 1000) * 2 + D("0.9")
    cost = D("2.6")
    # The canceled order earned and cost nothing: it is not a line's order.
    expected = {"orders": 3, "revenue": str(revenue.normalize()), "cost": str(cost.normalize())}
    expected["margin"] = str((revenue - cost).normalize())

    for by, key in (
        ("day", None),
        ("provider", str(world.provider.id)),
        ("service", str(world.services["followers"].id)),
        ("tier", str(world.reseller.tier_id)),
        ("reseller", str(world.reseller.id)),
    ):
        answer = await client.get(
            "/admin/v1/reports/margins", params={"by": by}, headers=operator.headers
        )
        assert answer.status_code == 200, answer.text
        report = answer.json()
        [line] = report["lines"]
        assert {name: line[name] for name in expected} == expected, by
        if key is not None:
            assert line["key"] == key
        assert report["total"] | {"key": line["key"]} == line

    exported = await client.get(
        "/admin/v1/reports/margins.csv", params={"by": "reseller"}, headers=operator.headers
    )
    assert exported.headers["content-type"].startswith("text/csv")
    [row] = list(csv.DictReader(io.StringIO(exported.text)))
    assert (row["reseller"], row["revenue"], row["cost"], row["margin"], row["currency"]) == (
        str(world.reseller.id),
        expected["revenue"],
        expected["cost"],
        expected["margin"],
        "USD",
    )


async def test_a_period_without_settlements_is_empty_and_a_backwards_one_refused(
    client: AsyncClient, operator: Operator
) -> None:
    empty = await client.get(
        "/admin/v1/reports/margins",
        params={"start": "2020-01-01", "end": "2020-02-01"},
        headers=operator.headers,
    )
    assert empty.json()["lines"] == []
    backwards = await client.get(
        "/admin/v1/reports/margins",
        params={"start": "2020-02-01", "end": "2020-01-01"},
        headers=operator.headers,
    )
    assert backwards.status_code == 422
