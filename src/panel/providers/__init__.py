"""Upstream providers: the adapter protocol the order pipeline and the catalogue sync use, and
its generic API v2 implementation."""

from panel.providers.adapter import (
    AddResult,
    Balance,
    CancelResult,
    OrderParams,
    OrderState,
    Outcome,
    RefillResult,
    RefillState,
    RejectReason,
    UpstreamAdapter,
    UpstreamError,
    UpstreamRefused,
    UpstreamService,
    UpstreamStatus,
    UpstreamUnavailable,
)
from panel.providers.ratelimit import RateLimiter
from panel.providers.smm_v2 import SmmV2Adapter

__all__ = [
    "AddResult",
    "Balance",
    "CancelResult",
    "OrderParams",
    "OrderState",
    "UpstreamStatus",
    "Outcome",
    "RateLimiter",
    "RefillResult",
    "RefillState",
    "RejectReason",
    "SmmV2Adapter",
    "UpstreamAdapter",
    "UpstreamError",
    "UpstreamRefused",
    "UpstreamService",
    "UpstreamUnavailable",
]
