"""`/admin/v1`: tiers, price rules, and the prices an account would pay."""

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from panel.accounts import service as accounts
from panel.errors import NotFound
from panel.keys.callers import OperatorDep
from panel.models import AccountKind
from panel.plumbing.deps import RuntimeDep, SessionDep
from panel.plumbing.schemas import MAX_ID, PathId
from panel.pricing import glance, rule_book, service, standing, tiers
from panel.pricing.schemas import (
    PriceChangeIn,
    PriceMoveOut,
    PriceOut,
    PricePreviewOut,
    RuleCreate,
    RuleOut,
    RuleSavedOut,
    StandingOut,
    StandingWithHistory,
    TierChangeOut,
    TierCreate,
    TierOut,
    TierRateOut,
    TierUpdate,
)

router = APIRouter(tags=["admin: pricing"])


@router.post("/tiers", status_code=status.HTTP_201_CREATED)
async def create_tier(body: TierCreate, session: SessionDep, operator: OperatorDep) -> TierOut:
    tier = await tiers.create_by(session, operator.account_id, **body.model_dump())
    return TierOut.model_validate(tier)


@router.get("/tiers")
async def list_tiers(session: SessionDep) -> list[TierOut]:
    return [TierOut.model_validate(tier) for tier in await tiers.list_tiers(session)]


@router.patch("/tiers/{tier_id}")
async def update_tier(
    tier_id: PathId, body: TierUpdate, session: SessionDep, operator: OperatorDep
) -> TierOut:
    changes = body.model_dump(exclude_unset=True)
    tier = await tiers.update_by(session, operator.account_id, tier_id, **changes)
    return TierOut.model_validate(tier)


@router.post("/price-rules", status_code=status.HTTP_201_CREATED)
async def create_rule(body: RuleCreate, session: SessionDep, operator: OperatorDep) -> RuleOut:
    rule = await rule_book.create_by(session, operator.account_id, **body.model_dump())
    return RuleOut.model_validate(rule)


@router.post("/price-rules/preview")
async def preview_rules(
    body: PriceChangeIn, session: SessionDep, runtime: RuntimeDep
) -> PricePreviewOut:
    """What a change of rules would make of every affected service's rate in every tier, and
    the rules it would create or update; nothing is saved."""
    shown = await glance.preview(session, change_of(body))
    return PricePreviewOut(
        currency=runtime.settings.currency,
        services=[
            PriceMoveOut(
                service_id=row.service_id,
                name=row.name,
                category=row.category,
                cost=row.cost,
                before=[_rate_out(rate) for rate in row.before],
                after=[_rate_out(rate) for rate in row.after],
            )
            for row in shown.rows
        ],
        rules=[RuleSavedOut.model_validate(saved) for saved in shown.rules],
    )


@router.post("/price-rules/apply")
async def apply_rules(
    body: PriceChangeIn, session: SessionDep, operator: OperatorDep
) -> list[RuleSavedOut]:
    """Save a change of rules: the rule of each scope it names is created or updated."""
    saved = await glance.apply(session, operator.account_id, change_of(body))
    return [RuleSavedOut.model_validate(one) for one in saved]


def change_of(body: PriceChangeIn) -> glance.Change:
    return glance.Change(**body.model_dump() | {"service_ids": tuple(body.service_ids)})


def _rate_out(rate: glance.TierRate) -> TierRateOut:
    return TierRateOut(
        tier_id=rate.tier_id,
        rate=rate.rate,
        margin=rate.margin,
        rule_id=rate.rule.rule_id if rate.rule else None,
    )


@router.get("/price-rules")
async def list_rules(
    session: SessionDep, owner_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None
) -> list[RuleOut]:
    rules = await rule_book.list_rules(session, owner_id=owner_id)
    return [RuleOut.model_validate(rule) for rule in rules]


# `:int`: /price-rules/apply and /price-rules/preview are no rule ids.
@router.delete("/price-rules/{rule_id:int}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_rule(rule_id: PathId, session: SessionDep, operator: OperatorDep) -> Response:
    await rule_book.delete_by(session, operator.account_id, rule_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/accounts/{account_id}/tier")
async def account_standing(
    account_id: PathId, session: SessionDep, runtime: RuntimeDep
) -> StandingWithHistory:
    """A reseller's 90-day spend, its tier, what the next takes, and every move so far."""
    account = await accounts.get(session, account_id)
    if account.kind is not AccountKind.reseller:
        raise NotFound(f"account {account_id} is not a reseller")
    now = datetime.now(UTC)
    shown = await standing.standing(session, account, now)
    history = await standing.history(session, account)
    return StandingWithHistory.model_validate(
        StandingOut.fields_of(shown, runtime.settings.currency)
        | {"history": [TierChangeOut.model_validate(change) for change in history]}
    )


@router.get("/accounts/{account_id}/prices")
async def account_prices(
    account_id: PathId, session: SessionDep, runtime: RuntimeDep
) -> list[PriceOut]:
    account = await accounts.get(session, account_id)
    prices = await service.price_list(session, account)
    return [
        PriceOut(
            service_id=price.service_id,
            cost=price.cost,
            rate=price.rate,
            currency=runtime.settings.currency,
        )
        for price in prices.values()
    ]
