"""Gateways and the methods they offer, as the operator (for resellers) and each reseller (for
its own agencies) set them up. Who may pay through which: a reseller through the operator's
gateways, an agency through its reseller's."""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from panel import action_log
from panel.errors import Invalid, NotFound
from panel.models import (
    Account,
    AccountKind,
    FeePayer,
    GatewayKind,
    MethodKind,
    PaymentGateway,
    PaymentMethod,
)
from panel.payments import tripay
from panel.payments.gateways import Adapter

# The kinds each gateway may offer: e-wallets are paid both ways (OVO through Tripay, or a
# transfer to the receiver's DANA account by hand).
BY_HAND = (MethodKind.transfer, MethodKind.ewallet)
THROUGH_GATEWAY = (
    MethodKind.qris,
    MethodKind.virtual_account,
    MethodKind.retail,
    MethodKind.ewallet,
)


# What the action log keeps of a gateway and a method: never a key.
GATEWAY_FIELDS = ("name", "kind", "currency", "production", "enabled")
METHOD_FIELDS = (
    "code",
    "name",
    "kind",
    "min_amount",
    "max_amount",
    "fee_flat",
    "fee_percent",
    "fee_paid_by",
    "instructions",
    "enabled",
)


async def _log(
    session: AsyncSession,
    actor_id: int | None,
    gateway: PaymentGateway,
    action: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    note: str = "",
) -> None:
    """The panel's own gateways are the operator's to change, so their changes are operator
    actions; a reseller's gateways for its agencies are its own business. No actor is the
    panel setting itself up (`pasok up`'s demo)."""
    if gateway.owner_id is None and actor_id is not None:
        await action_log.record(
            session,
            actor_id,
            action,
            "payment_gateway",
            gateway.id,
            before=before,
            after=after,
            note=note,
        )


def receiver_of(payer: Account) -> int | None:
    """Whose gateways a payer pays into: the operator's (None) for a reseller, its reseller's
    for an agency."""
    if payer.kind is AccountKind.reseller:
        return None
    if payer.kind is AccountKind.agency and payer.parent_id is not None:
        return payer.parent_id
    raise Invalid("only resellers and agencies pay deposits")


def gateway_owner(account: Account) -> int:
    """The owner id of an account's own gateways: only a reseller takes money (its agencies')
    through gateways of its own. To an agency they do not exist (404), as a reseller's tier
    does not."""
    if account.kind is not AccountKind.reseller:
        raise NotFound("payment gateways are a reseller's, for its agencies' deposits")
    return account.id


def _owned_by(owner_id: int | None) -> ColumnElement[bool]:
    column = PaymentGateway.owner_id
    return column.is_(None) if owner_id is None else column == owner_id


@dataclass(frozen=True)
class GatewayKeys:
    merchant_code: str = ""
    api_key: str = ""
    private_key: str = ""


async def add_gateway(
    session: AsyncSession,
    actor_id: int | None,
    owner_id: int | None,
    kind: GatewayKind,
    name: str,
    keys: GatewayKeys,
    currency: str,
    *,
    production: bool = False,
) -> PaymentGateway:
    if not name.strip():
        raise Invalid("a gateway needs a name")
    if kind is GatewayKind.tripay:
        if currency != tripay.CURRENCY:
            raise Invalid(f"Tripay collects {tripay.CURRENCY} only; this panel counts {currency}")
        if not (keys.merchant_code and keys.api_key and keys.private_key):
            raise Invalid("Tripay needs its merchant code, API key and private key")
    gateway = PaymentGateway(
        owner_id=owner_id,
        kind=kind,
        name=name.strip()[:100],
        currency=currency,
        merchant_code=keys.merchant_code,
        api_key=keys.api_key,
        private_key=keys.private_key,
        production=production,
        enabled=True,
    )
    session.add(gateway)
    await session.flush()
    after = action_log.snapshot(gateway, GATEWAY_FIELDS)
    await _log(session, actor_id, gateway, "payment_gateway.create", None, after)
    return gateway


async def change_gateway(
    session: AsyncSession,
    actor_id: int | None,
    gateway: PaymentGateway,
    *,
    name: str | None = None,
    keys: GatewayKeys | None = None,
    production: bool | None = None,
    enabled: bool | None = None,
) -> PaymentGateway:
    """Change what is given (None keeps it); a key left empty in `keys` keeps its value, so
    a secret never has to be sent again to change another."""
    before = action_log.snapshot(gateway, GATEWAY_FIELDS)
    if name is not None:
        if not name.strip():
            raise Invalid("a gateway needs a name")
        gateway.name = name.strip()[:100]
    if keys is not None:
        gateway.merchant_code = keys.merchant_code or gateway.merchant_code
        gateway.api_key = keys.api_key or gateway.api_key
        gateway.private_key = keys.private_key or gateway.private_key
    if production is not None:
        gateway.production = production
    if enabled is not None:
        gateway.enabled = enabled
    after = action_log.snapshot(gateway, GATEWAY_FIELDS)
    # Which keys were replaced is said, never the keys themselves.
    replaced = [] if keys is None else [k for k, v in vars(keys).items() if v]
    note = f"keys replaced: {', '.join(replaced)}" if replaced else ""
    await _log(session, actor_id, gateway, "payment_gateway.update", before, after, note)
    return gateway


async def gateway_of(
    session: AsyncSession, owner_id: int | None, gateway_id: int
) -> PaymentGateway:
    """One of the owner's gateways; anyone else's does not exist."""
    gateway = await session.get(PaymentGateway, gateway_id)
    if gateway is None or gateway.owner_id != owner_id:
        raise NotFound(f"payment gateway {gateway_id} does not exist")
    return gateway


async def gateways_of(session: AsyncSession, owner_id: int | None) -> Sequence[PaymentGateway]:
    found = await session.scalars(
        select(PaymentGateway).where(_owned_by(owner_id)).order_by(PaymentGateway.id)
    )
    return found.all()


@dataclass(frozen=True)
class MethodTerms:
    """What the owner sets on a method; a gateway's channel list fills in its fee and limits."""

    code: str
    name: str
    kind: MethodKind
    min_amount: Decimal
    max_amount: Decimal
    fee_flat: Decimal = Decimal(0)
    fee_percent: Decimal = Decimal(0)
    fee_paid_by: FeePayer = FeePayer.buyer
    instructions: str = ""
    enabled: bool = True


def _check(gateway: PaymentGateway, terms: MethodTerms) -> None:
    if not terms.code.strip() or not terms.name.strip():
        raise Invalid("a method needs a code and a name")
    if not Decimal(0) < terms.min_amount <= terms.max_amount:
        raise Invalid("the minimum must be above zero and not above the maximum")
    if terms.fee_flat < 0 or not Decimal(0) <= terms.fee_percent < 100:
        raise Invalid("a fee is a flat amount of zero or more and a percent below 100")
    by_hand = gateway.kind is GatewayKind.manual
    if terms.kind not in (BY_HAND if by_hand else THROUGH_GATEWAY):
        raise Invalid(f"a {gateway.kind.value} gateway cannot offer {terms.kind.value}")
    if by_hand and not terms.instructions.strip():
        raise Invalid("a transfer by hand needs the account to pay into, in its instructions")


async def put_method(
    session: AsyncSession, actor_id: int | None, gateway: PaymentGateway, terms: MethodTerms
) -> PaymentMethod:
    """Add a method to a gateway, or change the one with the same code."""
    method, before = await _put(session, gateway, terms)
    after = action_log.snapshot(method, METHOD_FIELDS)
    action = "payment_method.create" if before is None else "payment_method.update"
    await _log(session, actor_id, gateway, action, before, after, note=f"method {method.id}")
    return method


async def _put(
    session: AsyncSession, gateway: PaymentGateway, terms: MethodTerms
) -> tuple[PaymentMethod, dict[str, Any] | None]:
    _check(gateway, terms)
    method = await session.scalar(
        select(PaymentMethod).where(
            PaymentMethod.gateway_id == gateway.id, PaymentMethod.code == terms.code.strip()
        )
    )
    before = None if method is None else action_log.snapshot(method, METHOD_FIELDS)
    if method is None:
        method = PaymentMethod(gateway_id=gateway.id, code=terms.code.strip())
        session.add(method)
    method.name = terms.name.strip()[:100]
    method.kind = terms.kind
    method.min_amount, method.max_amount = terms.min_amount, terms.max_amount
    method.fee_flat, method.fee_percent = terms.fee_flat, terms.fee_percent
    method.fee_paid_by = terms.fee_paid_by
    method.instructions = terms.instructions.strip()
    method.enabled = terms.enabled
    await session.flush()
    return method, before


async def import_channels(
    session: AsyncSession,
    actor_id: int | None,
    gateway: PaymentGateway,
    adapter: Adapter,
    fee_paid_by: FeePayer,
) -> list[PaymentMethod]:
    """Offer the gateway's active channels with the fees and limits it sets (QRIS takes small
    amounts, virtual accounts larger ones); a method already set keeps who pays its fee."""
    existing = {m.code: m for m in await methods_of(session, gateway)}
    made = []
    for channel in await adapter.channels():
        if not channel.active or channel.min_amount <= 0:
            continue
        known = existing.get(channel.code)
        terms = MethodTerms(
            code=channel.code,
            name=channel.name,
            kind=channel.kind,
            min_amount=channel.min_amount,
            max_amount=max(channel.max_amount, channel.min_amount),
            fee_flat=channel.fee_flat,
            fee_percent=channel.fee_percent,
            fee_paid_by=known.fee_paid_by if known else fee_paid_by,
            enabled=known.enabled if known else True,
        )
        made.append((await _put(session, gateway, terms))[0])
    # One entry for the import: the methods as they now stand, by code.
    after = {m.code: action_log.snapshot(m, METHOD_FIELDS) for m in made}
    await _log(session, actor_id, gateway, "payment_gateway.import", None, after)
    return made


async def methods_of(session: AsyncSession, gateway: PaymentGateway) -> Sequence[PaymentMethod]:
    found = await session.scalars(
        select(PaymentMethod)
        .where(PaymentMethod.gateway_id == gateway.id)
        .order_by(PaymentMethod.id)
    )
    return found.all()


async def methods_for(
    session: AsyncSession, payer: Account
) -> list[tuple[PaymentMethod, PaymentGateway]]:
    """The enabled methods a payer may pay a deposit through, QRIS first."""
    rows = await session.execute(
        select(PaymentMethod, PaymentGateway)
        .join(PaymentGateway, PaymentGateway.id == PaymentMethod.gateway_id)
        .where(
            _owned_by(receiver_of(payer)),
            PaymentGateway.enabled.is_(True),
            PaymentMethod.enabled.is_(True),
        )
        .order_by(PaymentMethod.kind != MethodKind.qris, PaymentMethod.min_amount, PaymentMethod.id)
    )
    return [(method, gateway) for method, gateway in rows]
