"""Taking orders in: an order is drafted on its own (read, validated, priced), and drafts are
written together, many in one transaction, whichever surface took them.

Writing together is what lets a busy buyer's orders go fast: its wallet is locked once for all
of its orders that arrive while the previous write runs, not once per order.
"""

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from panel.errors import InsufficientFunds, NotFound, PanelError
from panel.growth import vouchers
from panel.growth.vouchers import Discount
from panel.ledger import accounts as ledger_accounts
from panel.ledger.service import Leg, Posting, post_many
from panel.models import Account, AccountKind, JournalKind, OrderStatus
from panel.models.order import OPEN_SQL
from panel.orders import texts, validation
from panel.orders.texts import Refused
from panel.orders.validation import Draft
from panel.pricing.service import Charge, Quote


@dataclass(frozen=True)
class Intent:
    """An order ready to be written: who buys what, and who pays what for it."""

    buyer_id: int
    reseller_id: int
    service_id: int
    draft: Draft
    charges: Sequence[Charge]  # the buyer's first, then up the chain
    request_id: str | None
    one_per_link: bool
    category: str = ""
    voucher: str | None = None  # the code of the voucher it asks for

    @property
    def charge(self) -> Decimal:
        return self.charges[0].amount

    def discounted(self, discount: Decimal) -> "Intent":
        """The intent with `discount` off its buyer's charge; the rate stays the list rate."""
        buyer, *up = self.charges
        return replace(self, charges=[replace(buyer, amount=buyer.amount - discount), *up])


def draft(
    buyer: Account, quote: Quote, fields: Mapping[str, str], request_id: str | None
) -> Intent:
    """Read `fields` as an order of the quoted service by `buyer`, or raise its refusal."""
    service = quote.service
    read = validation.read(service, fields)
    per_package = service.type in validation.PER_ITEM_TYPES
    return Intent(
        buyer_id=buyer.id,
        reseller_id=buyer.parent_id
        if buyer.kind is AccountKind.agency and buyer.parent_id is not None
        else buyer.id,
        service_id=service.id,
        draft=read,
        charges=quote.charges(read.quantity, per_package=per_package),
        request_id=request_id,
        one_per_link=service.one_order_per_link,
        category=service.category,
        voucher=vouchers.code_of(fields),
    )


@dataclass(frozen=True)
class Written:
    """What became of one intent: a new order, the earlier order of its request id (a safe
    retry), or a refusal that wrote nothing."""

    order_id: int | None = None
    repeat: bool = False
    refusal: PanelError | None = None

    def order(self) -> int:
        """The order's id, or the refusal raised."""
        if self.refusal is not None:
            raise self.refusal
        assert self.order_id is not None
        return self.order_id


async def write(session: AsyncSession, intents: Sequence[Intent]) -> list[Written]:
    """Write what can be written of `intents` in the session's transaction, as if they came
    one after another: each accepted, refused, or answered with the order its request id made.
    Raises InsufficientFunds when a wallet was spent meanwhile: the caller must roll back."""
    # Three statements however many intents: read the buyers' balances and what the intents
    # might repeat or collide with, insert the orders with their charges, and post the
    # payments; two more when some name a voucher (growth.vouchers), one for their discounts.
    links = sorted({_link_key(intent) for intent in intents if intent.one_per_link})
    if links:
        # Held to the end of the transaction, and taken before what follows reads the orders:
        # two orders on one link cannot both pass.
        await session.execute(_LOCK_LINKS, {"keys": links})
    asked = {n: _asked(intent) for n, intent in enumerate(intents) if intent.voucher}
    claims = await vouchers.claims(session, list(asked.values()), datetime.now(UTC))
    # Read without a lock, so that a busy buyer's wallet is locked only by the posting and the
    # commit, not for the whole write. The posting moves a wallet only if it still holds
    # enough; if another transaction spent it meanwhile, the batcher writes each order alone,
    # and each alone is refused only if the money is really not there.
    wallets, clearing, earlier, busy = await _seen(session, intents, _issuers(asked))

    left = {owner: balance for owner, (_, balance) in wallets.items()}
    outcomes: list[Written | None] = []
    accepted: dict[int, Intent] = {}  # by position in `intents`, at the price it pays
    discounts: dict[int, Discount] = {}
    # Within the batch too: a request id seen earlier in it, a one-per-link link taken.
    requested: dict[tuple[int, str], int] = {}
    linked: set[str] = set()
    for number, intent in enumerate(intents):
        request = (intent.buyer_id, intent.request_id) if intent.request_id else None
        if number in earlier:
            outcomes.append(Written(earlier[number], repeat=True))
            continue
        if request is not None and request in requested:
            outcomes.append(None)  # the order of the first intent with this request id
            continue
        if number in busy or (intent.one_per_link and _link_key(intent) in linked):
            outcomes.append(Written(refusal=Refused(texts.LINK_BUSY)))
            continue
        discount = claims.offer(asked[number]) if number in asked else None
        if isinstance(discount, Refused):
            outcomes.append(Written(refusal=discount))
            continue
        paying = intent.discounted(discount.amount) if discount else intent
        if paying.charge > 0 and paying.charge > left[intent.buyer_id]:
            outcomes.append(Written(refusal=InsufficientFunds(texts.NOT_ENOUGH_FUNDS)))
            continue
        if discount and discount.funded_by and discount.funded > left[discount.funded_by]:
            outcomes.append(Written(refusal=Refused(texts.VOUCHER_UNAVAILABLE)))
            continue
        if paying.charge > 0:
            left[intent.buyer_id] -= paying.charge
        if discount:
            if discount.funded_by:
                left[discount.funded_by] -= discount.funded
            claims.take(asked[number], discount)
            discounts[number] = discount
        if request is not None:
            requested[request] = number
        if intent.one_per_link:
            linked.add(_link_key(intent))
        accepted[number] = paying
        outcomes.append(None)

    order_ids = dict(zip(accepted, await _insert(session, list(accepted.values())), strict=True))
    payments = []
    for number, paying in accepted.items():
        legs = [Leg(wallets[paying.buyer_id][0], -paying.charge)] if paying.charge > 0 else []
        held = paying.charge
        if (discount := discounts.get(number)) and discount.funded_by:
            legs.append(Leg(wallets[discount.funded_by][0], -discount.funded))
            held += discount.funded
        if held > 0:
            legs.append(Leg(clearing, held))
            order_id = order_ids[number]
            payments.append(
                Posting(JournalKind.order, f"order {order_id}", legs, paying.buyer_id, order_id)
            )
    if payments:
        await post_many(session, payments)
    if discounts:
        await _record_discounts(session, discounts, order_ids, accepted)
    done = []
    for number, outcome in enumerate(outcomes):
        if outcome is None and number in order_ids:
            outcome = Written(order_ids[number])
        elif outcome is None:
            intent = intents[number]
            assert intent.request_id is not None
            first = requested[(intent.buyer_id, intent.request_id)]
            outcome = Written(order_ids[first], repeat=True)
        done.append(outcome)
    return done


def _asked(intent: Intent) -> vouchers.Asked:
    assert intent.voucher is not None
    return vouchers.Asked(
        code=intent.voucher,
        buyer_id=intent.buyer_id,
        # A reseller buys with the operator's vouchers, an agency with its reseller's.
        issuer_id=None if intent.reseller_id == intent.buyer_id else intent.reseller_id,
        service_id=intent.service_id,
        category=intent.category,
        price=intent.charge,
    )


def _issuers(asked: Mapping[int, vouchers.Asked]) -> set[int]:
    """The accounts that may pay a discount: a reseller whose agencies name a voucher."""
    return {a.issuer_id for a in asked.values() if a.issuer_id is not None}


async def _record_discounts(
    session: AsyncSession,
    discounts: Mapping[int, Discount],
    order_ids: Mapping[int, int],
    accepted: Mapping[int, Intent],
) -> None:
    await session.execute(
        _DISCOUNTS,
        {
            "orders": [order_ids[n] for n in discounts],
            "vouchers": [d.voucher_id for d in discounts.values()],
            "accounts": [accepted[n].buyer_id for n in discounts],
            "discounts": [d.amount for d in discounts.values()],
            "funded": [d.funded for d in discounts.values()],
        },
    )


def _link_key(intent: Intent) -> str:
    return f"link:{intent.buyer_id}:{intent.draft.link}"


async def _seen(
    session: AsyncSession, intents: Sequence[Intent], issuers: set[int]
) -> tuple[dict[int, tuple[int, Decimal]], int, dict[int, int], set[int]]:
    """What the write decides on: the wallet (id, balance) of each paying buyer and of each
    reseller that may pay a discount, and the clearing account, where payments wait until
    their orders settle; and by position in `intents`, the order an intent's request id
    already made, and the intents whose one-per-link link has an open order."""
    owners = sorted({intent.buyer_id for intent in intents if intent.charge > 0} | issuers)
    checked = [n for n, intent in enumerate(intents) if intent.request_id or intent.one_per_link]
    rows = await session.execute(
        _SEEN,
        {
            "owners": owners,
            "clearing": ledger_accounts.CLEARING,
            "positions": checked,
            "buyers": [intents[n].buyer_id for n in checked],
            "requests": [intents[n].request_id for n in checked],
            "links": [intents[n].draft.link if intents[n].one_per_link else None for n in checked],
        },
    )
    wallets: dict[int, tuple[int, Decimal]] = {}
    clearing = 0
    earlier: dict[int, int] = {}
    busy: set[int] = set()
    for what, number, row_id, balance, link_busy in rows:
        if what == "wallet":
            wallets[number] = (row_id, balance)
        elif what == "clearing":
            clearing = row_id
        elif row_id is not None:
            earlier[number] = row_id
        elif link_busy:
            busy.add(number)
    for owner in owners:
        if owner not in wallets:
            raise NotFound(f"account {owner} has no wallet")
    if owners and not clearing:
        raise LookupError("ledger account 'clearing' is missing: run `pasok migrate`")
    return wallets, clearing, earlier, busy


async def _insert(session: AsyncSession, intents: Sequence[Intent]) -> list[int]:
    """Insert the orders and their charges; their ids, in the order given."""
    if not intents:
        return []
    charged = [(n, charge) for n, intent in enumerate(intents) for charge in intent.charges]
    rows = await session.execute(
        _INSERT,
        {
            "accounts": [intent.buyer_id for intent in intents],
            "resellers": [intent.reseller_id for intent in intents],
            "services": [intent.service_id for intent in intents],
            "links": [intent.draft.link for intent in intents],
            "quantities": [intent.draft.quantity for intent in intents],
            "params": [json.dumps(intent.draft.params) for intent in intents],
            "requests": [intent.request_id for intent in intents],
            "rates": [intent.charges[0].rate for intent in intents],
            "charges": [intent.charge for intent in intents],
            "status": OrderStatus.pending.value,
            "charge_orders": [n for n, _ in charged],
            "charge_accounts": [charge.account_id for _, charge in charged],
            "charge_rates": [charge.rate for _, charge in charged],
            "charge_amounts": [charge.amount for _, charge in charged],
        },
    )
    return [order_id for (order_id,) in rows]


# Advisory locks in one order everywhere, so two transactions cannot wait on each other.
_LOCK_LINKS = text("""
SELECT pg_advisory_xact_lock(hashtextextended(key, 0))
FROM unnest(CAST(:keys AS text[])) AS key ORDER BY key
""")

# One answer in three parts: a row per paying buyer's wallet (owner, id, balance), the
# clearing account's id, and a row per checked intent (position, the order its request id
# made, whether its link has an open order, found by order_open_link_idx).
_SEEN = text(f"""
SELECT 'wallet', owner_id, CAST(id AS bigint), balance, false
FROM ledger_account
WHERE owner_id = ANY(CAST(:owners AS integer[])) AND balance IS NOT NULL
UNION ALL
SELECT 'clearing', NULL, CAST(id AS bigint), NULL, false
FROM ledger_account WHERE code = :clearing
UNION ALL
SELECT 'intent', i.position,
       (SELECT o.id FROM "order" o WHERE o.account_id = i.buyer AND o.request_id = i.request),
       NULL,
       EXISTS (SELECT FROM "order" o
               WHERE o.account_id = i.buyer AND o.link = i.link AND o.{OPEN_SQL})
FROM unnest(CAST(:positions AS integer[]), CAST(:buyers AS integer[]),
            CAST(:requests AS text[]), CAST(:links AS text[])) AS i(position, buyer, request, link)
""")

# Order ids are drawn in the order given (WITH ORDINALITY), so each charge finds its order and
# the answer comes back in the caller's order without a second query.
_INSERT = text("""
WITH new AS MATERIALIZED (
    SELECT nextval('order_id_seq') AS id, i.*
    FROM unnest(CAST(:accounts AS integer[]), CAST(:resellers AS integer[]),
                CAST(:services AS integer[]), CAST(:links AS text[]),
                CAST(:quantities AS integer[]), CAST(:params AS text[]),
                CAST(:requests AS text[]), CAST(:rates AS numeric[]),
                CAST(:charges AS numeric[]))
         WITH ORDINALITY AS i(account_id, reseller_id, service_id, link, quantity, params,
                              request_id, rate, charge, n)
),
orders AS (
    INSERT INTO "order" (id, account_id, reseller_id, service_id, link, quantity, params,
                         request_id, rate, charge, status, route_index, submit_attempts)
    SELECT id, account_id, reseller_id, service_id, link, quantity, CAST(params AS jsonb),
           request_id, rate, charge, :status, 0, 0
    FROM new
),
charges AS (
    INSERT INTO order_charge (order_id, account_id, rate, amount)
    SELECT new.id, c.account_id, c.rate, c.amount
    FROM unnest(CAST(:charge_orders AS integer[]), CAST(:charge_accounts AS integer[]),
                CAST(:charge_rates AS numeric[]), CAST(:charge_amounts AS numeric[]))
         AS c(n, account_id, rate, amount)
    JOIN new ON new.n = c.n + 1
)
SELECT id FROM new ORDER BY n
""")

_DISCOUNTS = text("""
INSERT INTO voucher_use (order_id, voucher_id, account_id, discount, funded)
SELECT * FROM unnest(CAST(:orders AS bigint[]), CAST(:vouchers AS integer[]),
                     CAST(:accounts AS integer[]), CAST(:discounts AS numeric[]),
                     CAST(:funded AS numeric[]))
""")
