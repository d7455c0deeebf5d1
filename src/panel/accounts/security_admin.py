"""`/admin/v1/accounts/{id}/two-factor`: an operator turns off an account's two-factor sign-in
when its owner has lost the phone and the recovery codes."""

from fastapi import APIRouter, Response, status

from panel.accounts import service, two_factor
from panel.keys.callers import OperatorDep
from panel.plumbing.deps import SessionDep
from panel.plumbing.schemas import PathId

router = APIRouter(prefix="/accounts", tags=["admin: accounts"])


@router.delete("/{account_id}/two-factor", status_code=status.HTTP_204_NO_CONTENT)
async def reset_two_factor(
    account_id: PathId, session: SessionDep, operator: OperatorDep
) -> Response:
    await service.get(session, account_id)
    await two_factor.reset_by(session, operator.account_id, account_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
