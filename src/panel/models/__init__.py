"""Every table, imported here so Alembic sees the whole schema."""

from panel.models.account import (
    BUYERS,
    Account,
    AccountKind,
    AccountStatus,
    ApiKey,
    ApiKeyKind,
)
from panel.models.action_log import OperatorAction, UpstreamCall
from panel.models.announcement import Announcement, AnnouncementRead
from panel.models.base import Base
from panel.models.brand import Brand, BrandHost
from panel.models.catalogue import Provider, ProviderService, ProviderServiceCost, Route, Service
from panel.models.currency import ExchangeRate
from panel.models.idempotency import IdempotencyKey
from panel.models.invitation import Invitation
from panel.models.ledger import Entry, Journal, JournalKind, LedgerAccount, LedgerAccountKind
from panel.models.order import (
    TERMINAL,
    Order,
    OrderCharge,
    OrderStatus,
    Refill,
    RefillStatus,
)
from panel.models.payment import (
    OPEN_DEPOSITS,
    Deposit,
    DepositStatus,
    FeePayer,
    GatewayKind,
    MethodKind,
    PaymentGateway,
    PaymentMethod,
    PaymentReview,
    ReviewOutcome,
    ReviewReason,
    StatementLine,
)
from panel.models.pricing import PriceRule, Tier, TierChange
from panel.models.quality import QualityFigures
from panel.models.security import RecoveryCode, SignIn, SignInResult, TwoFactor
from panel.models.service_update import ServiceChange, ServiceUpdate
from panel.models.support import (
    CannedReply,
    Channel,
    ComplaintFigures,
    Notification,
    NotificationStatus,
    NotificationTarget,
    Party,
    Ticket,
    TicketMessage,
    TicketOrder,
    TicketRead,
    TicketReason,
    TicketStatus,
    TicketTopic,
)
from panel.models.top_up import TopUpRequest, TopUpStatus
from panel.models.webhook import (
    DeliveryStatus,
    OrderEvent,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)

__all__ = [
    "Announcement",
    "AnnouncementRead",
    "UpstreamCall",
    "OperatorAction",
    "TicketTopic",
    "TicketStatus",
    "TicketReason",
    "TicketRead",
    "TicketOrder",
    "TicketMessage",
    "Ticket",
    "Party",
    "NotificationTarget",
    "NotificationStatus",
    "Notification",
    "ComplaintFigures",
    "Channel",
    "CannedReply",
    "StatementLine",
    "ReviewReason",
    "ReviewOutcome",
    "PaymentReview",
    "PaymentMethod",
    "PaymentGateway",
    "MethodKind",
    "GatewayKind",
    "FeePayer",
    "DepositStatus",
    "Deposit",
    "OPEN_DEPOSITS",
    "Account",
    "AccountKind",
    "AccountStatus",
    "ApiKey",
    "ApiKeyKind",
    "BUYERS",
    "DeliveryStatus",
    "Base",
    "Brand",
    "BrandHost",
    "Entry",
    "ExchangeRate",
    "IdempotencyKey",
    "Invitation",
    "Journal",
    "JournalKind",
    "LedgerAccount",
    "LedgerAccountKind",
    "Order",
    "OrderCharge",
    "OrderEvent",
    "OrderStatus",
    "PriceRule",
    "Provider",
    "ProviderService",
    "ProviderServiceCost",
    "QualityFigures",
    "RecoveryCode",
    "Refill",
    "RefillStatus",
    "Route",
    "Service",
    "ServiceChange",
    "ServiceUpdate",
    "SignIn",
    "SignInResult",
    "TERMINAL",
    "Tier",
    "TierChange",
    "TopUpRequest",
    "TopUpStatus",
    "TwoFactor",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
]
