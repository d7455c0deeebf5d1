"""`/admin/v1/reports`: revenue, upstream cost and margin, grouped, as JSON or CSV."""

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from panel import csv_export, money
from panel.deps import RuntimeDep, SessionDep
from panel.errors import Invalid
from panel.reports.schemas import MarginLine, MarginReport
from panel.reports.service import Grouping, Line, margins

router = APIRouter(tags=["admin: reports"])

By = Annotated[Grouping, Query(description="group by day, provider, service, tier or reseller")]
Start = Annotated[
    date | None, Query(description="first day (UTC); 30 days before `end` if left out")
]
End = Annotated[
    date | None, Query(description="the day after the last one (UTC); tomorrow if left out")
]
LONGEST = timedelta(days=366)


@router.get("/reports/margins")
async def margin_report(
    session: SessionDep,
    runtime: RuntimeDep,
    by: By = Grouping.day,
    start: Start = None,
    end: End = None,
) -> MarginReport:
    """What the panel earned from orders settled in the period."""
    first, after = _period(start, end)
    lines = await _lines(session, by, first, after)
    return MarginReport(
        by=by,
        start=first,
        end=after,
        currency=runtime.settings.currency,
        lines=[MarginLine.model_validate(line) for line in lines],
        total=MarginLine.model_validate(_total(lines)),
    )


@router.get(
    "/reports/margins.csv",
    response_class=Response,
    responses=csv_export.documented("the report as CSV"),
)
async def margin_report_csv(
    session: SessionDep,
    runtime: RuntimeDep,
    by: By = Grouping.day,
    start: Start = None,
    end: End = None,
) -> Response:
    first, after = _period(start, end)
    rows = (
        [
            line.key if line.key is not None else "",
            line.orders,
            money.text(line.revenue),
            money.text(line.cost),
            money.text(line.margin),
            runtime.settings.currency,
        ]
        for line in await _lines(session, by, first, after)
    )
    name = f"margins-by-{by.value}-{first.isoformat()}-{after.isoformat()}.csv"
    header = [by.value, "orders", "revenue", "cost", "margin", "currency"]
    return csv_export.download(name, header, rows)


async def _lines(session: AsyncSession, by: Grouping, first: date, after: date) -> list[Line]:
    def moment(day: date) -> datetime:
        return datetime.combine(day, time(), tzinfo=UTC)

    return await margins(session, by, moment(first), moment(after))


def _period(start: date | None, end: date | None) -> tuple[date, date]:
    after = end or datetime.now(UTC).date() + timedelta(days=1)
    try:
        first = start or after - timedelta(days=30)
    except OverflowError:  # an `end` in the first month of year 1
        raise Invalid("end is too early for a report") from None
    if not first < after:
        raise Invalid("start must come before end")
    if after - first > LONGEST:
        raise Invalid("a report covers at most 366 days")
    return first, after


def _total(lines: list[Line]) -> Line:
    zero = Decimal(0)
    provider_costs: dict[str, Decimal] = {}
    for line in lines:
        for currency, amount in line.provider_costs.items():
            provider_costs[currency] = provider_costs.get(currency, zero) + amount
    return Line(
        key=None,
        orders=sum(line.orders for line in lines),
        revenue=sum((line.revenue for line in lines), zero),
        cost=sum((line.cost for line in lines), zero),
        margin=sum((line.margin for line in lines), zero),
        fx=sum((line.fx for line in lines), zero),
        provider_costs=provider_costs,
    )
