from datetime import datetime
from decimal import Decimal
from typing import Annotated, Self

from pydantic import AnyHttpUrl, Field, PlainSerializer, SecretStr

from panel.currencies.schemas import RateText
from panel.plumbing.schemas import MoneyText, NonNegativeAmount, Out, Patch, RefId, Schema
from panel.support.complaints import Complaints

Rate = NonNegativeAmount
Quantity = Annotated[int, Field(ge=1, le=1_000_000_000)]


class ProviderCreate(Schema):
    name: str = Field(min_length=1, max_length=200)
    api_url: AnyHttpUrl
    api_key: SecretStr = Field(min_length=1, max_length=500)
    adapter: str = Field(
        default="smm_v2",
        pattern=r"^(smm_v2|dialect|digiflazz)$",
        description='"digiflazz": prepaid products; `api_id` is the username, `api_secret` '
        "the webhook secret its callbacks are signed with",
    )
    currency: str | None = Field(
        default=None,
        pattern=r"^[A-Z]{3}$",
        description="ISO 4217 code the provider charges in; the panel's currency when left out",
    )
    dialect: str | None = Field(
        default=None,
        max_length=100_000,
        description='for adapter "dialect": the document (TOML), or a shipped one\'s name',
    )
    api_id: str | None = Field(default=None, max_length=200)
    api_secret: SecretStr | None = Field(default=None, max_length=500)


class ProviderUpdate(Patch):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    low_balance: Rate | None = Field(default=None, description="alert below this balance")
    api_url: AnyHttpUrl | None = None
    api_key: SecretStr | None = Field(default=None, min_length=1, max_length=500)
    api_id: str | None = Field(default=None, min_length=1, max_length=200)
    api_secret: SecretStr | None = Field(default=None, min_length=1, max_length=500)
    enabled: bool | None = None


class ConnectionSampleOut(Out):
    external_id: str
    name: str
    rate: Decimal
    min_quantity: int
    max_quantity: int


class ConnectionCheckOut(Out):
    """What a provider answered to the connection check; nothing was written."""

    ok: bool
    problems: list[str]
    credentials_ok: bool
    balance: MoneyText | None
    currency: str | None
    services_count: int | None
    samples: list[ConnectionSampleOut]


class ProviderOut(Out):
    """A provider as operators see it: its key never leaves the panel."""

    id: int
    name: str
    api_url: str
    adapter: str
    currency: str
    reported_currency: str | None = Field(
        description="set when the provider last answered in another currency: nothing it said "
        "was used"
    )
    enabled: bool
    balance: MoneyText | None
    balance_checked_at: datetime | None
    low_balance: MoneyText
    created_at: datetime


class RateChangeOut(Out):
    external_id: str
    old: MoneyText
    new: MoneyText


class SyncReportOut(Out):
    """What a sync changed (or, on a dry run, would change)."""

    provider_id: int
    applied: bool
    added: list[str]
    repriced: list[RateChangeOut]
    gone: list[str]
    back: list[str]
    skipped: list[str]
    disabled_services: list[int]
    currency_mismatch: str | None = Field(
        description="the currency the provider answered in when not its own: nothing applied"
    )
    balance: MoneyText
    balance_low: bool


class ProviderServiceIn(Schema):
    external_id: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=500)
    type: str = Field(default="Default", max_length=64)
    category: str = Field(default="", max_length=200)
    rate: Rate
    min_quantity: Quantity = 1
    max_quantity: Quantity = 1
    refill: bool = False
    cancel: bool = False
    dripfeed: bool = False
    description: str = ""


class ProviderServiceOut(Out):
    id: int
    provider_id: int
    external_id: str
    name: str
    type: str
    category: str
    rate: MoneyText = Field(description="per 1000, in the provider's currency")
    cost: MoneyText | None = Field(
        description="per 1000 in the panel's currency; null while the provider's currency has "
        "no exchange rate"
    )
    exchange_rate: RateText | None = Field(description="the rate `cost` was converted at")
    min_quantity: int
    max_quantity: int
    refill: bool
    cancel: bool
    dripfeed: bool
    description: str
    active: bool


class ServiceCreate(Schema):
    name: str = Field(min_length=1, max_length=500)
    type: str = Field(default="Default", max_length=64)
    category: str = Field(default="", max_length=200)
    description: str = ""
    min_quantity: Quantity = 1
    max_quantity: Quantity = 1
    refill: bool = False
    cancel: bool = False
    dripfeed: bool = False
    one_order_per_link: bool = False
    enabled: bool = True


class ServiceUpdate(Patch):
    name: str | None = Field(default=None, min_length=1, max_length=500)
    category: str | None = Field(default=None, max_length=200)
    description: str | None = None
    min_quantity: Quantity | None = None
    max_quantity: Quantity | None = None
    refill: bool | None = None
    cancel: bool | None = None
    dripfeed: bool | None = None
    one_order_per_link: bool | None = None
    enabled: bool | None = None


class ServicesEnabledIn(Schema):
    service_ids: list[RefId] = Field(min_length=1, max_length=1000)
    enabled: bool


class ServicesEnabledOut(Out):
    changed: list[int] = Field(description="the services whose state changed")


class ServiceOut(Out):
    id: int
    name: str
    type: str
    category: str
    description: str
    min_quantity: int
    max_quantity: int
    refill: bool
    cancel: bool
    dripfeed: bool
    one_order_per_link: bool
    enabled: bool


class RoutesIn(Schema):
    provider_service_ids: list[RefId] = Field(description="In order of preference: primary first")


class RouteOut(Out):
    service_id: int
    provider_service_id: int
    position: int


Share = Annotated[Decimal, PlainSerializer(str, return_type=str, when_used="json")]
Per100 = Annotated[Decimal, PlainSerializer(str, return_type=str, when_used="json")]


class QualityView(Out):
    """Pasok's own record of the last 30 days; shares are between 0 and 1, null with no
    orders to measure."""

    orders: int = Field(description="orders finished in the last 30 days")
    completion_rate: Share | None
    partial_rate: Share | None
    cancel_rate: Share | None
    median_start_s: int | None = Field(description="sent upstream → delivery under way")
    median_complete_s: int | None = Field(description="sent upstream → completed")
    refills: int
    refill_success_rate: Share | None
    computed_at: datetime
    complaints_per_100: Per100 | None = Field(
        default=None, description="tickets per 100 of those orders, opened in the last 30 days"
    )
    complaints_by_reason: dict[str, Per100] = Field(
        default_factory=dict, description="the same for each reason a ticket gives"
    )

    def with_complaints(self, found: Complaints | None) -> Self:
        if found is None:
            return self
        return self.model_copy(
            update={"complaints_per_100": found.per_100, "complaints_by_reason": found.by_reason}
        )


class QualityRow(QualityView):
    subject: str
    subject_id: int


class ServiceView(Out):
    """A service as a buyer sees it: its own rate, never the upstream's cost."""

    id: int
    name: str
    type: str
    category: str
    description: str
    rate: MoneyText = Field(description="your price per 1000")
    currency: str
    min_quantity: int
    max_quantity: int
    refill: bool
    cancel: bool
    dripfeed: bool
    quality: QualityView | None = Field(
        default=None, description="null until the service has orders to measure"
    )


class ImportPick(Schema):
    provider_service_id: RefId
    name: str | None = Field(default=None, min_length=1, max_length=500)
    description: str | None = None
    category: str | None = Field(default=None, max_length=200)


class ImportFilter(Schema):
    """Which listed services `all` imports; a field left out matches any."""

    category: str | None = Field(default=None, max_length=200)
    type: str | None = Field(default=None, max_length=64)
    name: str | None = Field(default=None, max_length=500, description="a part of the name")
    min_rate: Rate | None = None
    max_rate: Rate | None = None
    refill: bool = False
    cancel: bool = False
    dripfeed: bool = False
    new_only: bool = Field(
        default=False, description="only those not imported since the last import"
    )


class ImportIn(Schema):
    """Either `picks`, or `all` with optional `filters`."""

    picks: list[ImportPick] = Field(default_factory=list, max_length=5000)
    all: bool = Field(default=False, description="every listed service matching `filters`")
    filters: ImportFilter | None = None
    category_map: dict[str, Annotated[str, Field(max_length=200)]] = Field(
        default_factory=dict, description="provider category → Pasok category"
    )


class ImportedOut(Out):
    provider_service_id: int
    service_id: int


class ImportOut(Out):
    provider_id: int
    made: list[ImportedOut] = Field(description="services made now, each routed to its pick")
    already: list[ImportedOut] = Field(description="picks already sold, with the service")


class FailoverPair(Schema):
    service_id: RefId
    provider_service_id: RefId


class FailoverIn(Schema):
    pairs: list[FailoverPair] = Field(min_length=1, max_length=5000)


class FailoverOut(Out):
    added: list[FailoverPair] = Field(description="routes added as the service's last")
    already: list[FailoverPair] = Field(description="routes the service had already")
