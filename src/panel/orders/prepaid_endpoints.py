"""Where prepaid providers report: `POST /providers/{id}/callback`, the URL an operator gives
the provider for its webhooks. Public (the provider has no Pasok key), so it is cheap for junk:
the body is capped, and nothing in it is believed before its signature is checked."""

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse

from panel.errors import NotFound
from panel.models import Provider
from panel.orders import prepaid_callbacks
from panel.payments.callbacks import MAX_BODY
from panel.plumbing.deps import RuntimeDep, SessionDep
from panel.providers import registry
from panel.providers.prepaid import CallbackRefused
from panel.providers.prepaid_route import PrepaidUpstream

router = APIRouter(prefix="/providers", include_in_schema=False)
ProviderId = Annotated[int, Path(ge=1, le=2**31 - 1)]


def _answer(message: str, status: int = 200) -> JSONResponse:
    return JSONResponse({"success": status == 200, "message": message}, status_code=status)


@router.post("/{provider_id}/callback")
async def prepaid_callback(
    provider_id: ProviderId, request: Request, session: SessionDep, runtime: RuntimeDep
) -> JSONResponse:
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            return _answer("body too large", 413)
    provider = await session.get(Provider, provider_id)
    upstream = registry.of(runtime).for_provider(provider) if provider is not None else None
    if provider is None or not isinstance(upstream, PrepaidUpstream):
        return _answer("unknown provider", 404)
    try:
        status = await prepaid_callbacks.receive(
            session,
            provider,
            upstream,
            request.headers,
            body,
            datetime.now(UTC),
            runtime.settings.orders,
        )
    except CallbackRefused as refused:
        return _answer(refused.detail, 403)
    except NotFound as missing:
        return _answer(missing.detail, 404)
    return _answer(status.value if status is not None else "nothing changed")
