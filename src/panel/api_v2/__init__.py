"""API v2, the SMM standard (api-v2.md), served at `/api/v2`."""

from panel.api_v2.endpoints import router

__all__ = ["router"]
