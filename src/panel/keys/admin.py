"""`/admin/v1`: issue, list, limit and revoke API keys and operator tokens."""

from fastapi import APIRouter, status

from panel.accounts import service as accounts
from panel.keys import service
from panel.keys.callers import OperatorDep
from panel.keys.schemas import IssuedKeyOut, KeyAddresses, KeyCreate, KeyOut
from panel.plumbing.deps import SessionDep
from panel.plumbing.schemas import PathId

router = APIRouter(tags=["admin: keys"])


@router.post("/accounts/{account_id}/keys", status_code=status.HTTP_201_CREATED)
async def issue_key(
    account_id: PathId, body: KeyCreate, session: SessionDep, operator: OperatorDep
) -> IssuedKeyOut:
    account = await accounts.get(session, account_id)
    issued = await service.issue_by(
        session, operator.account_id, account, body.label, body.allowed_addresses
    )
    return IssuedKeyOut.model_validate({**vars(issued.key), "key": issued.plaintext})


@router.get("/accounts/{account_id}/keys")
async def list_keys(account_id: PathId, session: SessionDep) -> list[KeyOut]:
    await accounts.get(session, account_id)
    return [KeyOut.model_validate(key) for key in await service.list_for(session, account_id)]


@router.post("/keys/{key_id}/revoke")
async def revoke_key(key_id: PathId, session: SessionDep, operator: OperatorDep) -> KeyOut:
    return KeyOut.model_validate(await service.revoke_by(session, operator.account_id, key_id))


@router.put("/keys/{key_id}/allowed-addresses")
async def limit_key(
    key_id: PathId, body: KeyAddresses, session: SessionDep, operator: OperatorDep
) -> KeyOut:
    """Let the key be used only from these addresses or CIDR blocks; an empty list: from
    anywhere. Applies to operator tokens too; every API process hears of it at commit."""
    limited = await service.limit_by(session, operator.account_id, key_id, body.allowed_addresses)
    return KeyOut.model_validate(limited)
