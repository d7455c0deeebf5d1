from datetime import date

from pydantic import Field

from panel.reports.service import Grouping
from panel.schemas import MoneyText, Out


class MarginLine(Out):
    key: str | None = Field(
        description="the day, or the id of the provider, service, tier or reseller"
    )
    orders: int = Field(description="orders settled in the period that earned or cost anything")
    revenue: MoneyText = Field(description="what resellers paid the panel, refunds deducted")
    cost: MoneyText = Field(description="what the upstreams charged")
    margin: MoneyText


class MarginReport(Out):
    by: Grouping
    start: date
    end: date = Field(description="the day after the last one included")
    currency: str
    lines: list[MarginLine]
    total: MarginLine
