"""Who is calling `/v1` and `/admin/v1`: the operator's token or a buyer's API key, sent as a
bearer token, as request dependencies."""

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from panel.errors import Forbidden, Unauthorized
from panel.keys import service as keys
from panel.models import BUYERS, Account, ApiKey, ApiKeyKind
from panel.plumbing.deps import RuntimeDep, SessionDep, client_address

_bearer = HTTPBearer(auto_error=False, description="Operator token")


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
    runtime: RuntimeDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_key_bearer)],
) -> Account:
    """The reseller or agency whose API key this is, found as API v2 finds it: kept by the
    read cache between calls, so that a call costs no read of keys and accounts."""
    if credentials is None:
        raise Unauthorized("send your API key as `Authorization: Bearer <key>`")
    address = client_address(request)
    holder = await keys.api_caller(session, runtime.reads, credentials.credentials, address)
    if holder is None or holder.account.kind not in BUYERS:
        raise Unauthorized("invalid or revoked API key")
    if not holder.admits(address):
        raise Forbidden(keys.ADDRESS_REFUSED)
    return holder.account


BuyerDep = Annotated[Account, Depends(get_buyer)]
