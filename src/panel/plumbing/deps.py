"""Request dependencies: the process's runtime, the session (one transaction per request) and
the caller's address. Who is calling is the keys' to say (`panel.keys.callers`)."""

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from panel.plumbing.runtime import Runtime


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


def client_address(request: Request) -> str | None:
    """The caller's address: the socket's peer, or, behind a proxy trusted with uvicorn's
    `FORWARDED_ALLOW_IPS`, the address the proxy forwarded for."""
    return request.client.host if request.client else None
