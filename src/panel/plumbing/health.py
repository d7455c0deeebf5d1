"""Liveness, readiness and metrics: what a load balancer and Prometheus ask."""

import logging

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from redis.exceptions import RedisError
from sqlalchemy import text

from panel.plumbing import metrics
from panel.plumbing.deps import RuntimeDep

log = logging.getLogger("panel.health")

router = APIRouter(include_in_schema=False)


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(runtime: RuntimeDep) -> JSONResponse:
    checks: dict[str, str] = {}
    try:
        async with runtime.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:  # noqa: BLE001 - readiness reports any failure, it never raises
        checks["database"] = type(exc).__name__
    try:
        await runtime.redis.ping()
        checks["redis"] = "ok"
    except Exception as exc:  # noqa: BLE001
        checks["redis"] = type(exc).__name__
    ready = all(value == "ok" for value in checks.values())
    return JSONResponse({"ready": ready, **checks}, status_code=200 if ready else 503)


@router.get("/metrics")
async def prometheus(runtime: RuntimeDep) -> Response:
    try:
        await metrics.refresh_shared(runtime.redis)
    except (RedisError, OSError):
        # This process's own figures are still true; the shared ones are shown as last heard.
        log.warning("redis did not answer; shared figures not refreshed")
    body, media_type = metrics.exposition()
    return Response(body, media_type=media_type)
