"""The actions of API v2, one function each: read the parameters, ask the order, pricing and
ledger services, and shape the answer.

A refusal of the whole request is raised as `Refused` carrying its API v2 text, so the request's
transaction rolls back and nothing it did stays. A refusal of one item of a list (`refill` or
`cancel` of several orders) is answered inline and undoes only that item's savepoint.
"""

import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from panel.api_v2 import answers
from panel.catalogue.offer import kept_list, offer
from panel.keys import service as keys
from panel.ledger import balance_reads
from panel.models import BUYERS, Account
from panel.orders import batcher, intake, status_reads, texts
from panel.orders import service as orders
from panel.orders.texts import Refused
from panel.plumbing import compressed
from panel.plumbing.db import commit_begun
from panel.plumbing.runtime import Runtime
from panel.pricing import service as pricing

MAX_IDS = 100  # ids per `orders`/`refills` list, as the standard allows
BIGINT_MAX = 2**63 - 1  # order and refill ids are PostgreSQL bigints
REQUEST_ID_MAX = 64
# ASCII digits only: `\d` and int() also take other scripts' digits ("１００", "٣").
_ID = re.compile(r"[0-9]{1,19}")
_SERVICE_ID = re.compile(r"[0-9]{1,10}")


@dataclass(frozen=True)
class Call:
    """One authenticated request: who asks, with which parameters."""

    session: AsyncSession
    runtime: Runtime
    account: Account
    params: Mapping[str, str]

    @property
    def currency(self) -> str:
        return self.runtime.settings.currency


Action = Callable[[Call], Awaitable[Any]]


async def caller(
    session: AsyncSession, runtime: Runtime, key: str, address: str | None = None
) -> Account:
    """The reseller or agency whose live key this is, used from an `address` the key allows
    (None: not known, allowed only by a key that names no addresses); operator tokens do not
    open API v2."""
    # The allowed addresses are kept with the key: checking them costs no read.
    holder = await keys.api_caller(session, runtime.reads, key, address)
    if holder is None or holder.account.kind not in BUYERS:
        raise Refused(texts.INVALID_KEY)
    if not holder.admits(address):
        raise Refused(keys.ADDRESS_REFUSED)
    return holder.account


async def run(
    session: AsyncSession,
    runtime: Runtime,
    key: str,
    params: Mapping[str, str],
    address: str | None = None,
) -> Any:
    """Authenticate, then answer `params["action"]`."""
    account = await caller(session, runtime, key, address)
    action = ACTIONS.get(params.get("action", "").strip().lower())
    if action is None:
        raise Refused(texts.INCORRECT_REQUEST)
    return await action(Call(session, runtime, account, params))


async def services(call: Call) -> compressed.Body:
    """Every service the caller can order, at the caller's own rate: kept encoded until a
    price, the catalogue or the caller changes (read_cache), as a quote is."""

    async def listed() -> bytes:
        return answers.encode(
            [
                answers.service_row(item.service, item.price, item.figures, item.complaints)
                for item in await offer(call.session, call.account)
            ]
        )

    return await kept_list(call.runtime.reads, "api_v2", call.account, listed)


async def add(call: Call) -> answers.Json:
    service = (call.params.get("service") or "").strip()
    if not _SERVICE_ID.fullmatch(service):
        raise Refused(texts.INCORRECT_SERVICE)
    request_id = (call.params.get("request_id") or "").strip() or None
    if request_id is not None and len(request_id) > REQUEST_ID_MAX:
        raise Refused(texts.INCORRECT_REQUEST)
    service_id = int(service)
    quote = await pricing.kept_quote(
        call.runtime.reads,
        call.account,
        service_id,
        lambda: orders.quote(call.session, call.account, service_id),
    )
    intent = intake.draft(call.account, quote, call.params, request_id)
    # The connection the reads may have taken goes back to the pool before the wait: the batch
    # needs one too, and requests holding theirs while they wait could leave it none.
    await commit_begun(call.session)
    # Written with whatever other orders this process has taken meanwhile (orders.batcher).
    outcome = await batcher.of(call.runtime).write(intent)
    return {"order": outcome.order()}


async def status(call: Call) -> answers.Encoded:
    if "orders" in call.params:
        ids = _id_list(call.params["orders"])
        return answers.statuses(await _seen(call, _existing(ids)), ids, call.currency)
    order_id = _single_id(call.params, "order", texts.INCORRECT_ORDER)
    seen = (await _seen(call, [order_id])).get(order_id)
    if seen is None:
        raise Refused(texts.INCORRECT_ORDER)
    return answers.Encoded(answers.order_status(seen, call.currency).encode())


async def _seen(call: Call, order_ids: list[int]) -> dict[int, status_reads.Seen]:
    """Read with every other status request in flight, in one statement."""
    found = await status_reads.coalesced(call.runtime).get(
        status_reads.asked(call.account, order_ids)
    )
    return {order_id: seen for (_, _, order_id), seen in found.items()}


async def refill(call: Call) -> Any:
    if "orders" in call.params:
        return [
            {"order": order_id, "refill": await _inline(call, _refill_one, order_id)}
            for order_id in _id_list(call.params["orders"])
        ]
    order_id = _single_id(call.params, "order", texts.INCORRECT_ORDER)
    # The single-order answer carries the refill id as a string, as the standard shows it.
    return {"refill": str(await _refill_one(call, order_id))}


async def refill_status(call: Call) -> Any:
    if "refills" in call.params:
        ids = _id_list(call.params["refills"])
        found = await orders.visible_refills(call.session, call.account, _existing(ids))
        return [
            {
                "refill": refill_id,
                "status": (
                    answers.refill_status(found[refill_id])
                    if refill_id in found
                    else answers.error(texts.REFILL_NOT_FOUND)
                ),
            }
            for refill_id in ids
        ]
    refill_id = _single_id(call.params, "refill", texts.REFILL_NOT_FOUND)
    found = await orders.visible_refills(call.session, call.account, [refill_id])
    if refill_id not in found:
        raise Refused(texts.REFILL_NOT_FOUND)
    return {"status": answers.refill_status(found[refill_id])}


async def cancel(call: Call) -> list[answers.Json]:
    """Always the list shape, also for a single `order`: per-order answers, inline errors."""
    given = call.params.get("orders") or call.params.get("order")
    if given is None:
        raise Refused(texts.INCORRECT_REQUEST)
    return [
        {"order": order_id, "cancel": await _inline(call, _cancel_one, order_id)}
        for order_id in _id_list(given)
    ]


async def balance(call: Call) -> answers.Json:
    found = await balance_reads.coalesced(call.runtime).get([call.account.id])
    return answers.balance(found[call.account.id], call.currency)


ACTIONS: dict[str, Action] = {
    "services": services,
    "add": add,
    "status": status,
    "refill": refill,
    "refill_status": refill_status,
    "cancel": cancel,
    "balance": balance,
}


async def _refill_one(call: Call, order_id: int) -> int:
    if not 1 <= order_id <= BIGINT_MAX:
        raise Refused(texts.INCORRECT_ORDER)
    return (await orders.request_refill(call.session, call.account, order_id)).id


async def _cancel_one(call: Call, order_id: int) -> int:
    if not 1 <= order_id <= BIGINT_MAX:
        raise Refused(texts.INCORRECT_ORDER)
    await orders.request_cancel(call.session, call.account, order_id)
    return 1


async def _inline(
    call: Call, attempt: Callable[[Call, int], Awaitable[int]], order_id: int
) -> int | answers.Json:
    """One item of a list: its own savepoint, so a refusal undoes only what it began."""
    try:
        async with call.session.begin_nested():
            return await attempt(call, order_id)
    except Refused as refused:
        return answers.error(refused.detail)


def _id_list(value: str) -> list[int]:
    """`1,2,3`: at most MAX_IDS ids, in the order given, each once. Blank items (a trailing
    comma) are skipped; anything else that is not an id makes the request incorrect."""
    items = [item.strip() for item in value.split(",")]
    items = [item for item in items if item]
    if not items or len(items) > MAX_IDS or not all(_ID.fullmatch(item) for item in items):
        raise Refused(texts.INCORRECT_REQUEST)
    return list(dict.fromkeys(int(item) for item in items))


def _single_id(params: Mapping[str, str], name: str, unknown: str) -> int:
    if name not in params:
        raise Refused(texts.INCORRECT_REQUEST)
    value = params[name].strip()
    if not _ID.fullmatch(value) or not 1 <= int(value) <= BIGINT_MAX:
        raise Refused(unknown)
    return int(value)


def _existing(ids: list[int]) -> list[int]:
    """The ids that could name a row; the rest are unknown without asking the database."""
    return [i for i in ids if 1 <= i <= BIGINT_MAX]
