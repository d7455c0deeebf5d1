"""An agency redeeming its points from the dashboard; the rules are `growth.rewards`."""

from datetime import UTC, datetime
from typing import Annotated

from fastapi import Form
from fastapi.responses import Response

from panel.errors import InsufficientFunds, PanelError
from panel.growth import rewards
from panel.models import RedemptionKind, Voucher
from panel.plumbing.deps import SessionDep
from panel.web import level_texts
from panel.web.pages import AgencyDep, PageDep, page_router

router = page_router()


@router.post("/level/redeem")
async def redeem(
    page: PageDep,
    agency: AgencyDep,
    session: SessionDep,
    points: Annotated[str, Form(max_length=12)] = "",
    kind: Annotated[str, Form(max_length=16)] = "",
) -> Response:
    words = level_texts.WORDS[page.lang]
    chosen = RedemptionKind.voucher if kind == "voucher" else RedemptionKind.credit
    try:
        count = int(points.strip()) if points.strip().isdigit() else 0
        async with session.begin_nested():
            made = await rewards.redeem(session, agency, count, chosen, datetime.now(UTC))
    except InsufficientFunds as short:
        return page.render("message.html", 402, message=short.detail, back="/")
    except PanelError as refused:
        return page.render("message.html", 400, message=refused.detail, back="/")
    amount = page.money(made.amount)
    if made.voucher_id is None:
        said = words["redeemed_credit"].format(points=made.points, amount=amount)
    else:
        voucher = await session.get_one(Voucher, made.voucher_id)
        said = words["redeemed_voucher"].format(
            points=made.points, amount=amount, code=voucher.code
        )
    return page.render("message.html", message=said, back="/", done=True)
