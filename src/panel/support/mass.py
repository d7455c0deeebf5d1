"""Mass complaints: one line per order, as buyers paste them from their own records, turned into
one ticket per reason. `123 refill`, `124 | cancel`, `125` (the reason given for the lot).
Every bad line is reported by its number, and then nothing is opened."""

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from panel.errors import Invalid
from panel.models import Account, Ticket, TicketReason, TicketTopic
from panel.orders import service as orders
from panel.support import tickets

MAX_LINES = 500  # orders in one mass complaint; each ticket takes at most tickets.MAX_ORDERS

# The words buyers write, in English and Indonesian, for each reason.
WORDS: dict[str, TicketReason] = {
    **{reason.value: reason for reason in TicketReason},
    "not started": TicketReason.not_started,
    "belum mulai": TicketReason.not_started,
    "belum jalan": TicketReason.not_started,
    "lambat": TicketReason.slow,
    "refill": TicketReason.dropped,
    "drop": TicketReason.dropped,
    "isi ulang": TicketReason.dropped,
    "batal": TicketReason.cancel,
    "partial": TicketReason.partial_no_refund,
    "partial no refund": TicketReason.partial_no_refund,
    "wrong link": TicketReason.wrong_link,
    "salah link": TicketReason.wrong_link,
    "lainnya": TicketReason.other,
}
_LINE = re.compile(r"#?(?P<id>[0-9]{1,19})(?:\s*[|,;:\-]?\s*(?P<reason>.*))?")


@dataclass
class Group:
    reason: TicketReason
    order_ids: list[int]
    lines: list[int]  # where each order was named


def _reason(word: str, default: TicketReason) -> TicketReason | None:
    said = " ".join(word.lower().replace("_", " ").replace("-", " ").split())
    if not said:
        return default
    return WORDS.get(said) or WORDS.get(said.replace(" ", "_"))


def parse(text: str, default: TicketReason) -> list[Group]:
    """The lines as groups of orders by reason, in the order first named. Blank lines are
    skipped; a line that is not an order id and a known reason, or names an order twice, is
    an error, reported with the others."""
    groups: dict[TicketReason, Group] = {}
    first_line: dict[int, int] = {}
    bad: list[tuple[int, str]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        match = _LINE.fullmatch(line.strip())
        reason = _reason(match["reason"] or "", default) if match else None
        if match is None or reason is None:
            bad.append((number, f"{line.strip()[:60]!r} is not `<order id> <reason>`"))
            continue
        order_id = int(match["id"])
        if not 0 < order_id < 2**63:
            bad.append((number, f"{order_id} is not an order id"))
        elif order_id in first_line:
            bad.append((number, f"order {order_id} is already on line {first_line[order_id]}"))
        else:
            first_line[order_id] = number
            group = groups.setdefault(reason, Group(reason, [], []))
            group.order_ids.append(order_id)
            group.lines.append(number)
    if bad:
        raise _bad_lines(bad)
    if not first_line:
        raise Invalid("name at least one order, one per line", code="lines")
    if len(first_line) > MAX_LINES:
        raise Invalid(f"at most {MAX_LINES} orders in one mass complaint", code="lines")
    return list(groups.values())


def _bad_lines(bad: list[tuple[int, str]]) -> Invalid:
    detail = "; ".join(f"line {number}: {what}" for number, what in bad[:20])
    return Invalid(detail, code="lines", lines=[number for number, _ in bad])


async def open_mass(
    session: AsyncSession,
    buyer: Account,
    text: str,
    default: TicketReason,
    message: str,
    lang: str,
    now: datetime,
) -> list[Ticket]:
    """One ticket per reason (more when a reason has more orders than a ticket takes), or,
    when any line is wrong or names an order that is not the buyer's, none."""
    groups = parse(text, default)
    wanted = [order_id for group in groups for order_id in group.order_ids]
    seen = await orders.visible(session, buyer, wanted)
    unknown = [
        (number, f"no order {order_id} of yours")
        for group in groups
        for order_id, number in zip(group.order_ids, group.lines, strict=True)
        if order_id not in seen
    ]
    if unknown:
        raise _bad_lines(sorted(unknown))
    opened = []
    for group in groups:
        for start in range(0, len(group.order_ids), tickets.MAX_ORDERS):
            chunk = group.order_ids[start : start + tickets.MAX_ORDERS]
            new = tickets.NewTicket(TicketTopic.order, group.reason, message, chunk, lang=lang)
            opened.append(await tickets.open_ticket(session, buyer, new, now))
    return opened
