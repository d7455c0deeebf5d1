"""The sandbox upstream provider (`pasok sandbox`): a fake SMM panel speaking API v2, with
per-service behaviour, faults, dialects and a virtual clock, steered through `/sandbox/...`.

Pasok's own tests use it as the upstream; resellers use it to try an integration without
spending money. All its state lives in process memory.
"""

from sandbox.app import create_app

__all__ = ["create_app"]
