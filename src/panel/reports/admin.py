"""`/admin/v1/reports`: revenue, upstream cost and margin, grouped, as JSON or CSV."""

from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from panel import money
from panel.plumbing import csv_export
from panel.plumbing.deps import RuntimeDep, SessionDep
from panel.reports.schemas import MarginLine, MarginReport
from panel.reports.service import Grouping, between, period, total

router = APIRouter(tags=["admin: reports"])

By = Annotated[Grouping, Query(description="group by day, provider, service, tier or reseller")]
Start = Annotated[
    date | None, Query(description="first day (UTC); 30 days before `end` if left out")
]
End = Annotated[
    date | None, Query(description="the day after the last one (UTC); tomorrow if left out")
]


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
    lines = await between(session, by, first, after)
    return MarginReport(
        by=by,
        start=first,
        end=after,
        currency=runtime.settings.currency,
        lines=[MarginLine.model_validate(line) for line in lines],
        total=MarginLine.model_validate(total(lines)),
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
        for line in await between(session, by, first, after)
    )
    name = f"margins-by-{by.value}-{first.isoformat()}-{after.isoformat()}.csv"
    header = [by.value, "orders", "revenue", "cost", "margin", "currency"]
    return csv_export.download(name, header, rows)


def _period(start: date | None, end: date | None) -> tuple[date, date]:
    return period(start, end, datetime.now(UTC).date())
