"""`/v1/tier`: a reseller's earned tier and what the next one takes."""

from datetime import UTC, datetime

from fastapi import APIRouter

from panel.errors import NotFound
from panel.keys.callers import BuyerDep
from panel.models import AccountKind
from panel.plumbing.deps import RuntimeDep, SessionDep
from panel.pricing import standing
from panel.pricing.schemas import StandingOut

router = APIRouter(tags=["tier"])


@router.get("/tier")
async def my_tier(session: SessionDep, buyer: BuyerDep, runtime: RuntimeDep) -> StandingOut:
    """Your 90-day spend, your tier, and how much more reaches the next one (resellers)."""
    if buyer.kind is not AccountKind.reseller:
        raise NotFound("tiers are earned by resellers; an agency's prices are its reseller's")
    shown = await standing.standing(session, buyer, datetime.now(UTC))
    return StandingOut.model_validate(StandingOut.fields_of(shown, runtime.settings.currency))
