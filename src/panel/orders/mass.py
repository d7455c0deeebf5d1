"""Mass orders: one `service|link|quantity` per line, each line accepted or refused on its own.
A refused line (bad input, not enough funds) changes nothing; the lines before it stand."""

import re
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from panel.errors import PanelError
from panel.models import Account
from panel.orders import texts
from panel.orders.service import accept

MAX_LINES = 1000
# ASCII digits only: str.isdigit() also takes "²", which int() then refuses, and "１００".
_SERVICE_ID = re.compile(r"[0-9]{1,19}")


@dataclass(frozen=True)
class LineResult:
    line: int  # 1-based, as the reseller sees it in its text box
    order_id: int | None = None
    error: str | None = None  # the API v2 text
    refused: PanelError | None = None  # the same, for a page to word


async def accept_lines(session: AsyncSession, buyer: Account, text: str) -> list[LineResult]:
    lines = [line.strip() for line in text.splitlines()]
    numbered = [(number, line) for number, line in enumerate(lines, start=1) if line]
    if not numbered or len(numbered) > MAX_LINES:
        raise texts.Refused(texts.INCORRECT_REQUEST)
    results = []
    for number, line in numbered:
        parts = [part.strip() for part in line.split("|")]
        if len(parts) != 3 or not _SERVICE_ID.fullmatch(parts[0]):
            bad = texts.Refused(texts.INCORRECT_REQUEST)
            results.append(LineResult(number, error=bad.detail, refused=bad))
            continue
        service, link, quantity = parts
        try:
            async with session.begin_nested():
                order = await accept(
                    session, buyer, int(service), {"link": link, "quantity": quantity}
                )
        except PanelError as refused:
            results.append(LineResult(number, error=refused.detail, refused=refused))
        else:
            results.append(LineResult(number, order_id=order.id))
    return results
