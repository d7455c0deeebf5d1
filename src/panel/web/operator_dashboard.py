"""The operator's dashboard (`/ops`: the panel at a glance, charts drawn on the server) and the
margin report as a page (`/ops/reports`), with the same period rule and figures as
`/admin/v1/reports/margins` and a CSV download that names each group."""

from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import Query
from fastapi.responses import Response
from markupsafe import Markup

from panel import money
from panel.errors import Invalid
from panel.plumbing import csv_export
from panel.plumbing.deps import RuntimeDep, SessionDep
from panel.reports import dashboard as figures
from panel.reports import service as reports
from panel.web import charts, dashboard_texts
from panel.web.operator_pages import when
from panel.web.pages import OperatorDep, Page, PageDep, page_router

router = page_router()
DASHBOARD = "/ops"
REPORTS = "/ops/reports"
# Read as typed and checked here, so that anything wrong is said on the page itself.
Typed = Annotated[str, Query()]


@router.get(DASHBOARD)
async def dashboard(
    page: PageDep, operator: OperatorDep, runtime: RuntimeDep, session: SessionDep
) -> Response:
    said = dashboard_texts.WORDS[page.lang]
    now = datetime.now(UTC)
    shown = await figures.gather(session, runtime.redis, runtime.settings.orders, now)
    return page.render(
        "ops_dashboard.html",
        w=said,
        figures=shown,
        charts=_charts(page, said, shown),
        when=when,
    )


def _charts(page: Page, said: dict[str, str], shown: figures.Dashboard) -> dict[str, Markup]:
    def day(point: figures.Day) -> str:
        return point.day.strftime("%d/%m")

    drawn = {
        "per_day": charts.day_bars(
            [charts.Point(day(d), d.orders, str(d.orders)) for d in shown.days],
            title=said["per_day"],
            chart_id="chart-orders",
            empty=said["no_data"],
        ),
        "margin": charts.day_bars(
            [charts.Point(day(d), d.margin, page.money(d.margin)) for d in shown.days],
            title=said["margin_per_day"],
            chart_id="chart-margin",
            empty=said["no_data"],
        ),
        "statuses": charts.stacked_bar(
            [
                charts.Point(said[f"status_{status.value}"], count, str(count))
                for status, count in shown.statuses.items()
            ],
            title=said["statuses"],
            chart_id="chart-statuses",
            empty=said["no_data"],
        ),
    }
    for funds in shown.providers:
        balance = (
            page.money(funds.balance, funds.currency)
            if funds.balance is not None
            else said["balance_unknown"]
        )
        drawn[f"provider-{funds.provider_id}"] = charts.gauge(
            funds.balance,
            funds.alert_below,
            title=f"{funds.name}: {balance}",
            chart_id=f"chart-provider-{funds.provider_id}",
            shown=balance,
            alert_shown=said["alert_below"].format(
                amount=page.money(funds.alert_below, funds.currency)
            ),
            low=funds.low,
        )
    # Built here from escaped parts only (panel.web.charts escapes every text it writes).
    return {name: Markup(svg) for name, svg in drawn.items()}  # noqa: S704


@router.get(REPORTS)
async def margin_report(
    page: PageDep,
    operator: OperatorDep,
    runtime: RuntimeDep,
    session: SessionDep,
    by: Typed = reports.Grouping.day.value,
    start: Typed = "",
    end: Typed = "",
    format: Typed = "",
) -> Response:
    """The margin report for a period, grouped, with names; `format=csv` downloads it."""
    said = dashboard_texts.WORDS[page.lang]
    asked = {"by": by, "start": start, "end": end}
    try:
        grouping = reports.Grouping(by)
    except ValueError:
        return _refused(page, said, "bad_grouping", asked)
    try:
        first_typed, after_typed = _day(start), _day(end)
    except ValueError:
        return _refused(page, said, "bad_date", asked)
    try:
        first, after = reports.period(first_typed, after_typed, datetime.now(UTC).date())
    except Invalid as refused:
        return _refused(page, said, dashboard_texts.REFUSALS.get(refused.detail, "bad_date"), asked)
    lines = await reports.between(session, grouping, first, after)
    names = await reports.group_names(session, grouping, lines)

    def name(line: reports.Line) -> str:
        if line.key is None:
            return said["none_group"]
        return names.get(line.key) or said["deleted"].format(key=line.key)

    currency = runtime.settings.currency
    if format == "csv":
        rows = (
            [
                line.key if line.key is not None else "",
                name(line),
                line.orders,
                money.text(line.revenue),
                money.text(line.cost),
                money.text(line.margin),
                money.text(line.fx),
                currency,
            ]
            for line in lines
        )
        filename = f"margins-by-{grouping.value}-{first.isoformat()}-{after.isoformat()}.csv"
        header = [grouping.value, "name", "orders", "revenue", "cost", "margin", "fx", "currency"]
        return page.keep(csv_export.download(filename, header, rows))
    return page.render(
        "ops_reports.html",
        w=said,
        groupings=list(reports.Grouping),
        asked={"by": grouping.value, "start": first.isoformat(), "end": after.isoformat()},
        lines=[(line, name(line)) for line in lines],
        total=reports.total(lines),
    )


def _day(typed: str) -> date | None:
    typed = typed.strip()
    return date.fromisoformat(typed) if typed else None


def _refused(page: Page, said: dict[str, str], word: str, asked: dict[str, str]) -> Response:
    """The form again, as typed, with what is wrong and no figures."""
    return page.render(
        "ops_reports.html",
        422,
        w=said,
        groupings=list(reports.Grouping),
        asked=asked,
        error=said[word],
        lines=None,
        total=None,
    )
