"""`deposit.updated`: a deposit's change of status, for the payer's webhook receivers (and
its reseller's, for an agency's deposit), written in the transaction that made it."""

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from panel.models import Deposit
from panel.payments.schemas import DepositOut
from panel.webhooks import service as webhooks

DEPOSIT_UPDATED = "deposit.updated"


async def deposit_updated(session: AsyncSession, deposit: Deposit, now: datetime) -> None:
    owners = [deposit.account_id] + ([deposit.receiver_id] if deposit.receiver_id else [])
    view = DepositOut.of(deposit).model_dump(mode="json")
    await webhooks.announce(
        session,
        owners,
        DEPOSIT_UPDATED,
        f"dep_{deposit.id}_{deposit.status.value}_{int(now.timestamp() * 1000)}",
        {"deposit": view},
        now,
    )
