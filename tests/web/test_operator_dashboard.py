"""The operator's dashboard and margin report pages over HTTP: shown to the operator only, the
report with the groups' names and the same figures as `/admin/v1/reports/margins`, its CSV
matching, and a bad period answered with a message and nothing else."""

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from httpx import AsyncClient
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from panel.accounts import service as accounts
from panel.models import Account, AccountKind, OrderStatus
from panel.orders import service as orders
from panel.orders.settlement import settle
from panel.plumbing import csv_export, metrics
from tests.conftest import Operator
from tests.fixtures.factories import COST, World
from tests.web.conftest import RESELLER_EMAIL, Visitor, give_password, sign_in

OPS_HOST = "ops.example"
OPERATOR_EMAIL = "ops@example.com"


@pytest.fixture
async def ops(world: World, session: AsyncSession) -> Account:
    operator = await accounts.create(session, kind=AccountKind.operator, name="Ops")
    await give_password(session, operator, OPERATOR_EMAIL)
    await give_password(session, world.reseller, RESELLER_EMAIL)
    await session.flush()
    return operator


@pytest.fixture
async def ops_web(ops: Account, visitor: Visitor) -> AsyncClient:
    web = await visitor(OPS_HOST, english=True)
    assert (await sign_in(web, OPERATOR_EMAIL, OPS_HOST)).status_code == 303
    return web


async def _settle(session: AsyncSession, world: World, service: str, remains: int = 0) -> None:
    order = await orders.accept(
        session,
        world.agency,
        world.services[service].id,
        {"link": f"https://instagram.com/{service}-{remains}", "quantity": "1000"},
    )
    order.provider_id, order.cost_rate = world.provider.id, COST
    order.status = OrderStatus.in_progress
    await session.flush()
    await settle(
        session, order, OrderStatus.partial if remains else OrderStatus.completed, remains, "t"
    )
    await session.flush()


async def test_the_dashboard_shows_the_figures_with_charts(
    world: World, ops_web: AsyncClient, session: AsyncSession, redis: Redis
) -> None:
    await _settle(session, world, "followers")
    waiting = await orders.accept(
        session,
        world.agency,
        world.services["likes"].id,
        {"link": "https://instagram.com/waits", "quantity": "100"},
    )
    waiting.status = OrderStatus.needs_review
    world.provider.balance, world.provider.low_balance = Decimal(3), Decimal(10)
    await session.flush()
    await metrics.publish_audit(redis, 2)

    home = await ops_web.get("/")
    assert (home.status_code, home.headers["location"]) == (303, "/ops")
    page = await ops_web.get("/ops")
    assert page.status_code == 200, page.text
    text = page.text
    assert re.search(r'<nav class="tabs"><a href="/ops" aria-current="page">Dashboard</a>', text)
    assert 'href="/ops/reports"' in text
    for chart in ("chart-orders", "chart-margin", "chart-statuses"):
        assert f'<svg xmlns="http://www.w3.org/2000/svg" id="{chart}"' in text, chart
    assert f'id="chart-provider-{world.provider.id}"' in text
    assert f'id="chart-provider-{world.backup.id}"' in text
    assert "2 breaches found" in text
    assert re.search(r'class="big review-count">1<', text)
    assert f"Oldest: #{waiting.id}" in text
    assert "Completed: 1" in text
    assert "Needs review: 1" in text
    assert "Pending: 0" in text
    assert "1 orders settled, margin $0.50." in text
    primary = text[text.index(f'id="provider-{world.provider.id}"') :]
    assert "Low balance" in primary[: primary.index("</li>")]
    assert "<script" not in text.split("</header>", 1)[1].split("<footer", 1)[0]


async def test_other_accounts_are_refused(
    world: World, ops: Account, visitor: Visitor, session: AsyncSession
) -> None:
    stranger = await visitor(OPS_HOST, english=True)
    for path in ("/ops", "/ops/reports", "/ops/reports?format=csv"):
        answer = await stranger.get(path)
        assert (answer.status_code, answer.headers["location"]) == (303, "/login"), path
    reseller = await visitor(OPS_HOST, english=True)
    assert (await sign_in(reseller, RESELLER_EMAIL, OPS_HOST)).status_code == 303
    for path in ("/ops", "/ops/reports", "/ops/reports?format=csv&by=reseller"):
        answer = await reseller.get(path)
        assert answer.status_code == 404, path
        assert "text/csv" not in answer.headers["content-type"]
        assert "Reseller" not in answer.text.split("</header>", 1)[1]


async def test_the_report_names_its_groups_and_its_csv_matches_the_admin_api(
    world: World,
    ops_web: AsyncClient,
    session: AsyncSession,
    client: AsyncClient,
    operator: Operator,
) -> None:
    await _settle(session, world, "followers")
    await _settle(session, world, "followers", remains=400)
    await _settle(session, world, "likes")
    world.services["likes"].name = "=SUM(1) likes"  # a name that would run as a formula
    await session.flush()
    names = {
        "provider": {str(world.provider.id): "Primary"},
        "tier": {str(world.reseller.tier_id): "Standard"},
        "reseller": {str(world.reseller.id): "Reseller"},
        "service": {
            str(world.services["followers"].id): "Followers",
            str(world.services["likes"].id): "=SUM(1) likes",
        },
    }
    for by, named in names.items():
        page = await ops_web.get("/ops/reports", params={"by": by})
        assert page.status_code == 200, page.text
        shown = re.findall(r'<span class="name">([^<]*)</span>', page.text)
        assert sorted(shown) == sorted(named.values()), by

        admin = await client.get(
            "/admin/v1/reports/margins", params={"by": by}, headers=operator.headers
        )
        report = admin.json()
        exported = await ops_web.get("/ops/reports", params={"by": by, "format": "csv"})
        assert exported.headers["content-type"].startswith("text/csv")
        assert (
            f"margins-by-{by}-{report['start']}-{report['end']}.csv"
            in (exported.headers["content-disposition"])
        )
        rows = list(csv.DictReader(io.StringIO(exported.text)))
        assert [
            (row[by], row["name"], int(row["orders"]), row["revenue"], row["cost"], row["margin"])
            for row in rows
        ] == [
            (
                line["key"],
                csv_export.cell(named[line["key"]]),  # a formula made safe to open
                line["orders"],
                line["revenue"],
                line["cost"],
                line["margin"],
            )
            for line in report["lines"]
        ], by
        assert {row["currency"] for row in rows} == {"USD"}
        assert f'<strong class="margin">${report["total"]["margin"]}' in page.text

    service_csv = await ops_web.get("/ops/reports?by=service&format=csv")
    assert ",'=SUM(1) likes," in service_csv.text

    by_day = await ops_web.get("/ops/reports")
    today = datetime.now(UTC).date()
    assert re.findall(r'<span class="name">([^<]*)</span>', by_day.text) == [today.isoformat()]
    assert f'value="{(today - timedelta(days=29)).isoformat()}"' in by_day.text
    assert f'value="{(today + timedelta(days=1)).isoformat()}"' in by_day.text


BAD_PERIODS = [
    ({"start": "2026-02-01", "end": "2026-01-01"}, "The start must come before the end."),
    ({"start": "2026-01-01", "end": "2026-01-01"}, "The start must come before the end."),
    ({"start": "2024-01-01", "end": "2025-01-02"}, "A report covers at most 366 days."),
    ({"start": "2026-13-01"}, "Not a date. Use YYYY-MM-DD."),
    ({"end": "yesterday"}, "Not a date. Use YYYY-MM-DD."),
    ({"start": "2026-01-01" * 50}, "Not a date. Use YYYY-MM-DD."),
    ({"end": "0001-01-05"}, "The end is too early for a report."),
    ({"by": "account_id"}, "Unknown grouping."),
    ({"start": "2026-02-01", "end": "2026-01-01", "format": "csv"}, "The start must come"),
]


async def test_a_bad_period_is_refused_with_a_message(ops_web: AsyncClient) -> None:
    for params, message in BAD_PERIODS:
        answer = await ops_web.get("/ops/reports", params=params)
        assert answer.status_code == 422, params
        assert answer.headers["content-type"].startswith("text/html")
        assert 'id="report-error"' in answer.text, params
        assert message in answer.text, params
        assert 'id="report"' not in answer.text
        assert 'id="csv"' not in answer.text
    # What was typed stays in the form, to be corrected.
    assert 'value="2026-02-01"' in answer.text
    # A year exactly (a leap one: 366 days) is the longest accepted.
    answer = await ops_web.get("/ops/reports", params={"start": "2024-01-01", "end": "2025-01-01"})
    assert answer.status_code == 200
    assert "No orders settled in this period." in answer.text
