from datetime import date

from pydantic import Field

from panel.plumbing.schemas import MoneyText, Out
from panel.reports.service import Grouping


class MarginLine(Out):
    key: str | None = Field(
        description="the day, or the id of the provider, service, tier or reseller"
    )
    orders: int = Field(description="orders settled in the period that earned or cost anything")
    revenue: MoneyText = Field(description="what resellers paid the panel, refunds deducted")
    cost: MoneyText = Field(
        description="what the upstreams charged, in the panel's currency at the exchange rate "
        "in force when each order settled"
    )
    margin: MoneyText
    fx: MoneyText = Field(
        description="exchange gains (positive) and losses: rates that moved after orders were "
        "sent; revenue = cost + margin + fx"
    )
    provider_costs: dict[str, MoneyText] = Field(
        description="what the upstreams charged in their own currencies, by ISO 4217 code"
    )


class MarginReport(Out):
    by: Grouping
    start: date
    end: date = Field(description="the day after the last one included")
    currency: str
    lines: list[MarginLine]
    total: MarginLine
