"""Request dependencies: the session (one transaction per request) and who is calling."""

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from panel.errors import Forbidden, Unauthorized
from panel.keys import service as keys
from panel.models import BUYERS, Account, ApiKey, ApiKeyKind
from panel.runtime import Runtime


# async: a plain `def` dependency would cost every request a hop through the thread pool.
async def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


async def get_session(runtime: RuntimeDep) -> AsyncIterator[AsyncSession]:
    """Commit when the handler returns, roll back when it raises; never both, never neither."""
    async with runtime.transaction() as session:
        yield session


# scope="function": the commit runs when the handler returns, before the response is sent, so
# a failed commit is answered as an error instead of after a success already went out.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


async def get_redis(runtime: RuntimeDep) -> Redis:
    return runtime.redis


RedisDep = Annotated[Redis, Depends(get_redis)]

_bearer = HTTPBearer(auto_error=False, description="Operator token")


def client_address(request: Request) -> str | None:
    """The caller's address: the socket's peer, or, behind a proxy trusted with uvicorn's
    `FORWARDED_ALLOW_IPS`, the address the proxy forwarded for."""
    return request.client.host if request.client else None


async def get_operator(
    request: Request,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> ApiKey:
    if credentials is None:
        raise Unauthorized("send the operator token as `Authorization: Bearer <token>`")
    address = client_address(request)
    holder = await keys.authenticate(session, credentials.credentials, ApiKeyKind.operator, address)
    if holder is None:
        raise Unauthorized("invalid or revoked operator token")
    if not holder.admits(address):
        raise Forbidden(keys.ADDRESS_REFUSED)
    return holder.key


OperatorDep = Annotated[ApiKey, Depends(get_operator)]

_key_bearer = HTTPBearer(auto_error=False, description="Your API key (the same as for /api/v2)")


async def get_buyer(
    request: Request,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_key_bearer)],
) -> Account:
    """The reseller or agency whose API key this is."""
    if credentials is None:
        raise Unauthorized("send your API key as `Authorization: Bearer <key>`")
    address = client_address(request)
    holder = await keys.authenticate(session, credentials.credentials, ApiKeyKind.api, address)
    if holder is None or holder.account.kind not in BUYERS:
        raise Unauthorized("invalid or revoked API key")
    if not holder.admits(address):
        raise Forbidden(keys.ADDRESS_REFUSED)
    return holder.account


BuyerDep = Annotated[Account, Depends(get_buyer)]
