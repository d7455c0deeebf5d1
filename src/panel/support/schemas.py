"""Tickets, their messages and orders, canned replies and support figures as `/v1` and
`/admin/v1` show them, and what those APIs take."""

from datetime import datetime
from typing import Annotated, Literal, Self

from pydantic import Field

from panel.models import (
    CannedReply,
    Party,
    Ticket,
    TicketMessage,
    TicketOrder,
    TicketReason,
    TicketStatus,
    TicketTopic,
)
from panel.plumbing.schemas import Out, RefId, Schema
from panel.support import mass
from panel.support.tickets import MAX_BODY, MAX_ORDERS

# Empty is allowed by the schema: the rules say when a message is needed (a ticket about orders
# may be opened without one; a reply may not), in their own words.
Message = Annotated[str, Field(max_length=MAX_BODY)]
Text = Annotated[str, Field(min_length=1, max_length=MAX_BODY, pattern=r"\S")]
Title = Annotated[str, Field(min_length=1, max_length=100, pattern=r"\S")]
PastedIds = Annotated[
    str,
    Field(
        max_length=MAX_ORDERS * 21,
        description="order ids as pasted: `123, 124 125`, one per line, `#126`",
    ),
]


class TicketCreate(Schema):
    topic: TicketTopic
    reason: TicketReason = Field(
        description="why, for a ticket about orders; `other` for payments and the account"
    )
    message: Message = Field(description="may be empty for a ticket about orders")
    order_ids: Annotated[list[RefId], Field(max_length=MAX_ORDERS)] | PastedIds = Field(
        default_factory=list,
        description=f"the orders a ticket about orders is on (at most {MAX_ORDERS}): a list, "
        "or the ids as pasted",
    )
    subject: str = Field(default="", max_length=200, description="made from the orders if empty")
    lang: Literal["id", "en"] = Field(default="id", description="the automatic answer's language")


class TicketMass(Schema):
    lines: str = Field(
        min_length=1,
        max_length=mass.MAX_LINES * 40,
        description="one order per line: `123`, `123 refill`, `124 | cancel`; a line without "
        "a reason takes `reason`",
    )
    reason: TicketReason = Field(description="for the lines that name none")
    message: Message = ""
    lang: Literal["id", "en"] = "id"


class MessageCreate(Schema):
    body: Text


class Escalation(Schema):
    note: Message = Field(default="", description="for the operator; the agency reads it too")


class UpstreamTicket(Schema):
    upstream_ticket: str = Field(
        max_length=100, description="the provider's own ticket id; empty clears it"
    )


class CannedCreate(Schema):
    title: Title
    body: Text


class TicketOut(Out):
    id: int
    account_id: int = Field(description="who opened it")
    topic: TicketTopic
    reason: TicketReason
    subject: str
    lang: str
    status: TicketStatus = Field(
        description="open: waiting on the panel's side; answered: on the buyer; closed"
    )
    waiting_on: Party = Field(description="whose turn it is")
    escalated: bool = Field(description="handed to the operator by the reseller")
    auto_answered: bool = Field(
        description="the automatic answer covered every order: it may be closed in one tap"
    )
    first_auto_answer_at: datetime | None
    first_human_answer_at: datetime | None
    resolved_at: datetime | None
    created_at: datetime
    updated_at: datetime
    unread: bool = Field(default=False, description="a message you have not read")

    @classmethod
    def of(cls, ticket: Ticket, unread: bool = False) -> Self:
        return cls.model_validate({**_fields(cls, ticket), "unread": unread})


class AdminTicketOut(TicketOut):
    reseller_id: int
    upstream_ticket: str | None


def _fields(model: type[Out], row: object) -> dict[str, object]:
    return {name: getattr(row, name) for name in model.model_fields if hasattr(row, name)}


class MessageOut(Out):
    id: int
    party: Party = Field(description="who wrote it: automation, buyer, reseller or operator")
    body: str
    created_at: datetime

    @classmethod
    def of(cls, message: TicketMessage) -> Self:
        return cls.model_validate(message)


class AdminMessageOut(MessageOut):
    author_id: int | None


class TicketOrderOut(Out):
    order_id: int
    service_id: int
    answer: str | None = Field(description="the automatic answer, once given")
    action: str | None = Field(description="what the automation did: refill_requested, ...")
    answered_at: datetime | None
    settled: bool = Field(description="the answer settles it; otherwise a person looks")

    @classmethod
    def of(cls, row: TicketOrder) -> Self:
        return cls.model_validate(row)


class AdminTicketOrderOut(TicketOrderOut):
    provider_id: int | None


class TicketDetail(TicketOut):
    messages: list[MessageOut]
    orders: list[TicketOrderOut]


class AdminTicketDetail(AdminTicketOut):
    messages: list[AdminMessageOut]
    orders: list[AdminTicketOrderOut]


class UnreadOut(Out):
    count: int = Field(description="tickets with a message you have not read")


class CannedOut(Out):
    id: int
    title: str
    body: str
    created_at: datetime

    @classmethod
    def of(cls, reply: CannedReply) -> Self:
        return cls.model_validate(reply)


class SpreadOut(Out):
    count: int
    median_s: int | None
    p90_s: int | None


class FiguresOut(Out):
    """The last 30 days of the tickets you answer: seconds to the first automatic and human
    answer and to resolution, median and 90th percentile."""

    tickets: int
    open: int
    first_auto_answer: SpreadOut
    first_human_answer: SpreadOut
    resolution: SpreadOut
