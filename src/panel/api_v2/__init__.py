"""API v2, the SMM standard (api-v2.md), served at `/api/v2` (panel.app routes it)."""
