"""Pasok's settings: one class, nested groups, read from `PASOK_*` environment variables.

Nested groups use a double underscore: `PASOK_HTTP__SUBMIT_TIMEOUT_S=20`.
"""

from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class HttpSettings(BaseModel):
    """Outbound HTTP to upstream providers and reseller webhooks."""

    connect_timeout_s: float = 5.0
    read_timeout_s: float = 20.0
    max_connections: int = 100


class OrderSettings(BaseModel):
    """The order pipeline's clocks."""

    # An order left in `submitting` this long has lost its worker: parked for review. Longer
    # than any one upstream call can take (connect + read timeouts + a rate-limit wait).
    submit_timeout_s: float = 120.0
    # A `pending` order whose job has not run for this long is re-driven by the sweeper.
    pending_grace_s: float = 30.0
    first_poll_after_s: float = 10.0
    min_poll_interval_s: float = 15.0
    max_poll_interval_s: float = 900.0
    poll_batch: int = 2000
    # How long one minute of a drip-feed's `interval` lasts when Pasok runs the runs itself;
    # a sandbox or a test shortens it.
    dripfeed_minute_s: float = Field(default=60.0, gt=0)


class WorkerSettings(BaseModel):
    """How much one `pasok worker` does at once. Its jobs mostly wait on upstream providers
    and hold a database connection only between those calls, so many run at a time: with
    arq's own defaults (10 jobs, the queue asked every 0.5 s) a worker sent about 20 orders a
    second, whatever the upstream's speed (bench/README.md, two hosts)."""

    max_jobs: int = Field(default=100, ge=1)
    # How often the queue is asked for more while fewer than `max_jobs` run.
    poll_delay_s: float = Field(default=0.05, gt=0)


class WebhookSettings(BaseModel):
    """Sending order events to buyers' receivers."""

    timeout_s: float = Field(default=10.0, gt=0)
    first_retry_s: float = Field(default=10.0, gt=0)  # doubled after every failed attempt
    max_retry_s: float = Field(default=3600.0, gt=0)
    retry_for_hours: float = Field(default=25.0, gt=0)  # then the delivery is given up
    # Receivers on loopback, private or link-local addresses are refused, so a buyer cannot
    # make the panel call into its own network. A panel whose buyers run receivers on the
    # same network (or a test) allows them.
    allow_private_hosts: bool = False


class TierSettings(BaseModel):
    """Earned tiers: promotion comes at once, demotion only after a grace."""

    demotion_grace_days: float = Field(default=14.0, ge=0)


class RateLimitSettings(BaseModel):
    """Requests per minute on /v1, /admin/v1 and /api/v2, shared by every API process."""

    enabled: bool = True
    per_key_per_minute: int = Field(default=3000, ge=1)
    per_ip_per_minute: int = Field(default=6000, ge=1)


class WebSettings(BaseModel):
    """The white-label web panel."""

    # Signs session cookies; pages answer 503 until it is set. Any long random string. It also
    # encrypts TOTP secrets: changing it turns every account's two-factor sign-in unusable
    # (recovery codes still work, and the owner enrols again).
    secret: SecretStr | None = None
    session_days: float = Field(default=14.0, gt=0)
    # Failed logins per account and per address within the window before login is refused.
    login_attempts: int = Field(default=5, ge=1)
    login_window_s: int = Field(default=900, ge=1)
    # The brand an unknown host shows: the operator's own.
    brand_name: str = "Pasok"
    # Operators must sign in to the web console with a TOTP code; one without TOTP sets it up
    # on its next sign-in before the console opens. Resellers and agencies choose for
    # themselves.
    operator_totp_required: bool = False


class CurrencySettings(BaseModel):
    """Exchange rates into the panel's currency, for providers that charge in another."""

    # A rate older than this is flagged (admin field, metric): costs still use it.
    rate_max_age_s: float = Field(default=86_400.0, gt=0)
    # An operator's own URL answering `{"rate": "16250"}` for `?from=USD&to=IDR`; unset, every
    # rate is set by hand.
    rate_source_url: str | None = None


class PaymentSettings(BaseModel):
    """Deposits through payment gateways and transfers by hand."""

    # Where gateways send callbacks: the panel's public address. Unset, a deposit's callback
    # URL is made from the address its buyer used, which is right behind most proxies.
    public_url: str | None = None
    tripay_sandbox_url: str = "https://tripay.co.id/api-sandbox"
    tripay_production_url: str = "https://tripay.co.id/api"
    # How long a buyer has to pay: through a gateway, and by a transfer by hand (bank
    # transfers at night arrive in the morning).
    expire_after_s: float = Field(default=3600.0, gt=0)
    transfer_expire_after_s: float = Field(default=86_400.0, gt=0)
    # A gateway is asked about a payment this soon after it is made, then at most this far
    # apart, so a callback that never came is caught within a minute.
    first_check_after_s: float = Field(default=20.0, gt=0)
    check_every_s: float = Field(default=30.0, gt=0)
    # Per account: deposits waiting for payment at once, and the most it may pay in a day.
    max_open: int = Field(default=3, ge=1)
    max_per_day: Decimal | None = Field(default=None, gt=0)
    # Deposits made per account per minute.
    create_per_minute: int = Field(default=10, ge=1)


class SupportSettings(BaseModel):
    """Ticket notifications: email over SMTP and a Telegram bot. A channel left unset (no SMTP
    host, no bot token) is not sent: its notifications are marked failed, "not configured"."""

    smtp_host: str | None = None
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_from: str = "support@localhost"
    smtp_starttls: bool = True
    smtp_timeout_s: float = Field(default=15.0, gt=0)
    telegram_bot_token: SecretStr | None = None
    telegram_api_url: str = "https://api.telegram.org"
    telegram_timeout_s: float = Field(default=10.0, gt=0)
    first_retry_s: float = Field(default=30.0, gt=0)  # doubled after every failed attempt
    max_retry_s: float = Field(default=3600.0, gt=0)
    retry_for_hours: float = Field(default=24.0, gt=0)  # then the notification is given up
    # How long a worker holds the notifications it claimed before another may take them.
    lease_s: float = Field(default=120.0, gt=0)
    batch: int = Field(default=50, ge=1)


class RetentionSettings(BaseModel):
    """How many days Pasok keeps what only grows and is no longer needed after a while.
    Money, orders, the ledger and the operators' action log are kept for ever, and a row
    still in use (a delivery still being retried, an unsent notification, an open order's
    calls) is kept whatever its age."""

    # Webhook deliveries that ended (delivered or given up), with their attempts.
    webhook_days: float = Field(default=30.0, gt=0)
    # Order status changes, once turned into deliveries (an order's page shows them).
    order_event_days: float = Field(default=7.0, gt=0)
    # A retry within this long gets the first answer again; past it, it runs anew.
    idempotency_key_days: float = Field(default=1.0, gt=0)
    # Email and Telegram notifications sent or given up on.
    notification_days: float = Field(default=30.0, gt=0)
    # The web sign-in attempts each account sees of itself.
    sign_in_days: float = Field(default=90.0, gt=0)
    # Upstream calls of orders that finished this long ago (none with a refill under way).
    upstream_call_days: float = Field(default=180.0, gt=0)
    # The service-updates feed, past the newest update of each service.
    service_update_days: float = Field(default=365.0, gt=0)
    # Upstream cost changes, past the newest of each provider service.
    cost_history_days: float = Field(default=365.0, gt=0)
    # Rows removed per statement; the crons commit after every batch, so no purge holds
    # many locks or one long transaction.
    batch: int = Field(default=10_000, ge=1)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="PASOK_", env_nested_delimiter="__", extra="ignore"
    )

    # Unset URLs mean "embedded": `pasok up` starts PostgreSQL and Redis under `data_dir`.
    database_url: SecretStr | None = None
    redis_url: SecretStr | None = None
    data_dir: Path = Path(".pasok")

    # One currency per panel: every amount Pasok shows carries this code.
    currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$")
    environment: str = "production"
    log_level: str = "INFO"
    db_pool_size: int = Field(default=10, ge=1)
    # A connection not made by then fails its request; a statement running longer is
    # cancelled (0: never). Jobs that read all history on purpose lift it for themselves.
    db_connect_timeout_s: float = Field(default=10.0, gt=0)
    db_statement_timeout_s: float = Field(default=60.0, ge=0)
    http: HttpSettings = HttpSettings()
    orders: OrderSettings = OrderSettings()
    worker: WorkerSettings = WorkerSettings()
    webhooks: WebhookSettings = WebhookSettings()
    tiers: TierSettings = TierSettings()
    rate_limits: RateLimitSettings = RateLimitSettings()
    web: WebSettings = WebSettings()
    currencies: CurrencySettings = CurrencySettings()
    payments: PaymentSettings = PaymentSettings()
    support: SupportSettings = SupportSettings()
    retention: RetentionSettings = RetentionSettings()

    @field_validator("data_dir")
    @classmethod
    def _absolute(cls, value: Path) -> Path:
        return value.expanduser().resolve()


@lru_cache
def get_settings() -> Settings:
    return Settings()
