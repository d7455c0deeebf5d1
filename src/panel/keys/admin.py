"""`/admin/v1`: issue, list and revoke API keys and operator tokens."""

from fastapi import APIRouter, status

from panel.accounts import service as accounts
from panel.deps import SessionDep
from panel.keys import service
from panel.keys.schemas import IssuedKeyOut, KeyCreate, KeyOut
from panel.schemas import PathId

router = APIRouter(tags=["admin: keys"])


@router.post("/accounts/{account_id}/keys", status_code=status.HTTP_201_CREATED)
async def issue_key(account_id: PathId, body: KeyCreate, session: SessionDep) -> IssuedKeyOut:
    account = await accounts.get(session, account_id)
    issued = await service.issue(session, account, body.label)
    return IssuedKeyOut.model_validate({**vars(issued.key), "key": issued.plaintext})


@router.get("/accounts/{account_id}/keys")
async def list_keys(account_id: PathId, session: SessionDep) -> list[KeyOut]:
    await accounts.get(session, account_id)
    return [KeyOut.model_validate(key) for key in await service.list_for(session, account_id)]


@router.post("/keys/{key_id}/revoke")
async def revoke_key(key_id: PathId, session: SessionDep) -> KeyOut:
    return KeyOut.model_validate(await service.revoke(session, key_id))
