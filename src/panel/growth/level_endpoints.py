"""Agency levels over `/v1`: a reseller keeps its agencies' levels and the rules for keeping
them and resetting points; an agency reads where it stands. The rules are `growth.levels`
and `growth.level_book`."""

from datetime import UTC, datetime
from decimal import Decimal
from typing import Literal

from fastapi import APIRouter, Response, status
from pydantic import Field

from panel import money
from panel.errors import NotFound
from panel.growth import level_book, levels, rewards
from panel.keys.callers import BuyerDep
from panel.models import Account, AccountKind, RedemptionKind, Voucher
from panel.plumbing.deps import SessionDep
from panel.plumbing.schemas import Amount, MoneyText, Out, PathId, Schema
from panel.pricing.schemas import Percent

router = APIRouter(tags=["levels"])

Badge = Literal["bronze", "silver", "gold", "platinum", "diamond"]


class LevelCreate(Schema):
    name: str = Field(min_length=1, max_length=60, pattern=r"\S")
    target: int = Field(ge=0, le=level_book.MAX_TARGET, description="points in one period")
    badge: Badge
    markup_percent: Percent | None = Field(
        default=None,
        description="your markup over your own rate for agencies at this level, in place of "
        "your markup for all agencies (a rule for one agency still wins); none: unchanged",
    )


class LevelOut(Out):
    id: int
    name: str
    target: int
    badge: str
    markup_percent: Decimal | None


class LevelRules(Schema):
    keep_percent: Decimal = Field(
        ge=0,
        le=100,
        max_digits=7,
        decimal_places=4,
        description="share of a level's target that keeps it for the next period",
    )
    reset_days: int = Field(
        ge=level_book.RESET_RANGE[0],
        le=level_book.RESET_RANGE[1],
        description="days in a level period; at its end the level is decided and points start "
        "from zero",
    )
    point_credit: Amount | None = Field(
        default=None,
        description="balance (or voucher value) one point redeems for, paid by you; none: "
        "points are not redeemed",
    )


class LevelsOut(Out):
    levels: list[LevelOut]
    rules: LevelRules
    point_value: Decimal = Field(description="settled spend that earns one point")


class StandingOut(Out):
    level: LevelOut | None
    points: int = Field(description="points in this period and the last 90 days")
    next_level: LevelOut | None
    points_left: int = Field(description="points still needed for the next level")
    period_ends_at: datetime = Field(description="points go back to zero; the level is decided")
    expires_at: datetime | None = Field(description="when the points next fall")
    expiring: int = Field(description="how many points fall then")
    redeemable: int = Field(description="points you can redeem now: this period's, less redeemed")
    point_credit: MoneyText | None = Field(description="what one point redeems for; none: no")


class RedeemIn(Schema):
    points: int = Field(ge=1, le=level_book.MAX_TARGET)
    kind: RedemptionKind = Field(
        description="`credit`: balance now; `voucher`: a voucher for one of your orders"
    )


class RedemptionOut(Out):
    id: int
    points: int
    amount: MoneyText
    kind: RedemptionKind
    voucher_code: str | None = Field(description="the voucher to name in an order")
    created_at: datetime


def _reseller(buyer: Account) -> Account:
    # As /v1/tier answers an agency: what only resellers have does not exist for it.
    if buyer.kind is not AccountKind.reseller:
        raise NotFound("levels are set by resellers; read yours at /v1/level")
    return buyer


def _level(rung: levels.Rung | None) -> LevelOut | None:
    if rung is None:
        return None
    return LevelOut(
        id=rung.id,
        name=rung.name,
        target=rung.target,
        badge=rung.badge,
        markup_percent=rung.markup_percent,
    )


@router.get("/levels")
async def list_levels(session: SessionDep, buyer: BuyerDep) -> LevelsOut:
    """The levels a reseller offers its agencies (for an agency: its reseller's), and the
    rules for keeping a level and resetting points."""
    owner = buyer.parent_id if buyer.kind is AccountKind.agency else buyer.id
    assert owner is not None
    rules = await level_book.rules(session, owner)
    return LevelsOut(
        levels=[
            LevelOut.model_validate(level, from_attributes=True)
            for level in await level_book.levels(session, owner)
        ],
        rules=_rules(rules),
        point_value=levels.POINT_VALUE,
    )


@router.post("/levels", status_code=status.HTTP_201_CREATED)
async def create_level(session: SessionDep, buyer: BuyerDep, body: LevelCreate) -> LevelOut:
    """Add a level for your agencies (resellers); two levels never share a name or a target."""
    level = await level_book.create(session, _reseller(buyer).id, **body.model_dump())
    return LevelOut.model_validate(level, from_attributes=True)


@router.delete("/levels/{level_id:int}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_level(session: SessionDep, buyer: BuyerDep, level_id: PathId) -> Response:
    """Remove a level (resellers); agencies holding it hold none until their period ends."""
    await level_book.delete(session, _reseller(buyer).id, level_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.put("/levels/rules")
async def set_level_rules(session: SessionDep, buyer: BuyerDep, body: LevelRules) -> LevelRules:
    """Set the share of its target that keeps a level and the days after which points reset
    (resellers)."""
    rules = await level_book.set_rules(session, _reseller(buyer).id, **body.model_dump())
    return _rules(rules)


@router.get("/level")
async def my_level(session: SessionDep, buyer: BuyerDep) -> StandingOut:
    """Your level, points, what is left to the next level and when points expire (agencies)."""
    if buyer.kind is not AccountKind.agency:
        raise NotFound("levels are held by agencies; a reseller's is its tier (/v1/tier)")
    now = datetime.now(UTC)
    found = await levels.standing(session, buyer, now)
    purse = await rewards.purse(session, buyer, now)
    if found is None or purse is None:
        raise NotFound("your reseller has no levels")
    return StandingOut(
        level=_level(found.level),
        points=found.points,
        next_level=_level(found.next_level),
        points_left=found.points_left,
        period_ends_at=found.period_ends_at,
        expires_at=found.expires_at,
        expiring=found.expiring,
        redeemable=purse.points,
        point_credit=purse.point_credit,
    )


@router.post("/level/redeem", status_code=status.HTTP_201_CREATED)
async def redeem_points(session: SessionDep, buyer: BuyerDep, body: RedeemIn) -> RedemptionOut:
    """Redeem points for balance or a voucher, at what your reseller set a point to be worth
    (agencies). Redeemed points count against this period's points until they reset; your
    level stays."""
    if buyer.kind is not AccountKind.agency:
        raise NotFound("points are held by agencies")
    made = await rewards.redeem(session, buyer, body.points, body.kind, datetime.now(UTC))
    voucher = await session.get(Voucher, made.voucher_id) if made.voucher_id else None
    return RedemptionOut(
        id=made.id,
        points=made.points,
        amount=made.amount,
        kind=made.kind,
        voucher_code=voucher.code if voucher else None,
        created_at=made.created_at,
    )


def _rules(rules: levels.Rules) -> LevelRules:
    credit = rules.point_credit
    return LevelRules(
        keep_percent=rules.keep_percent,
        reset_days=rules.reset_days,
        # As money is shown everywhere: no trailing zeros beyond what the value needs.
        point_credit=None if credit is None else Decimal(money.text(credit)),
    )
