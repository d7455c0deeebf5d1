"""Money arithmetic (charge, refund, display) and what `post` refuses to write."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from panel.accounts import service as accounts
from panel.errors import Invalid
from panel.ledger import accounts as ledger_accounts
from panel.ledger import service as ledger
from panel.ledger.service import Leg, post
from panel.models import AccountKind, Entry, Journal, JournalKind
from panel.money import PLACES, charge_for, refund_for, text

# --- charge_for: rate per 1000 units, rounded half-up to 6 places -----------------------------


@pytest.mark.parametrize(
    ("rate", "quantity", "charge"),
    [
        (Decimal("1.5"), 1000, Decimal("1.5")),
        (Decimal("0.27819"), 1000, Decimal("0.27819")),
        (Decimal("2.4"), 250, Decimal("0.6")),
        (Decimal("0.001"), 1, Decimal("0.000001")),
        # Exactly half a unit of the 6th place rounds up, where banker's rounding would not.
        (Decimal("0.0005"), 1, Decimal("0.000001")),
        (Decimal("0.0025"), 1, Decimal("0.000003")),
        (Decimal("0.0045"), 1, Decimal("0.000005")),
        # Below half rounds down.
        (Decimal("0.000499"), 1, Decimal("0")),
        (Decimal("0.0024999"), 1, Decimal("0.000002")),
        (Decimal("123.456789"), 7, Decimal("0.864198")),  # 0.864197523 -> .864198
        (Decimal("0"), 5000, Decimal("0")),
    ],
)
def test_charge_rounds_half_up_to_six_places(rate: Decimal, quantity: int, charge: Decimal) -> None:
    result = charge_for(rate, quantity)
    assert result == charge
    assert result.as_tuple().exponent == -6


@given(
    rate=st.decimals(min_value=0, max_value=Decimal("100000"), places=6),
    quantity=st.integers(min_value=1, max_value=10**9),
)
def test_charge_is_within_half_a_micro_unit_of_the_exact_price(
    rate: Decimal, quantity: int
) -> None:
    exact = rate * quantity / 1000
    charge = charge_for(rate, quantity)
    assert charge.as_tuple().exponent == -6
    assert -PLACES / 2 < charge - exact <= PLACES / 2


# --- refund_for: share of the charge for what was not delivered, rounded down ------------------


@pytest.mark.parametrize(
    ("charge", "remains", "quantity", "refund"),
    [
        (Decimal("1"), 1, 3, Decimal("0.333333")),
        (Decimal("2"), 2, 3, Decimal("1.333333")),  # 1.3333333... never rounds up
        (Decimal("1"), 2, 3, Decimal("0.666666")),  # half-up would give .666667
        (Decimal("0.000002"), 1, 3, Decimal("0")),
        (Decimal("10"), 1000, 1000, Decimal("10")),  # everything undelivered: all of it back
        (Decimal("10"), 0, 1000, Decimal("0")),
        (Decimal("10"), 5000, 1000, Decimal("10")),  # remains above quantity is capped
        (Decimal("10"), -5, 1000, Decimal("0")),  # negative remains from a provider: nothing
        (Decimal("10"), 5, 0, Decimal("0")),  # no quantity: nothing to share
    ],
)
def test_refund_rounds_down(charge: Decimal, remains: int, quantity: int, refund: Decimal) -> None:
    assert refund_for(charge, remains, quantity) == refund


@st.composite
def partial_refunds(draw: st.DrawFn) -> tuple[Decimal, int, list[int]]:
    """A charge, its quantity, and the undelivered units split over several partial refunds."""
    charge = draw(st.decimals(min_value=PLACES, max_value=Decimal("1000000"), places=6))
    quantity = draw(st.integers(min_value=1, max_value=10**7))
    remains = draw(st.integers(min_value=0, max_value=quantity))
    cuts = sorted(draw(st.lists(st.integers(0, remains), min_size=0, max_size=8)))
    bounds = [0, *cuts, remains]
    return charge, quantity, [b - a for a, b in zip(bounds, bounds[1:], strict=False)]


@given(partial_refunds())
@settings(max_examples=500)
def test_partial_refunds_never_exceed_the_charge(case: tuple[Decimal, int, list[int]]) -> None:
    charge, quantity, parts = case
    refunds = [refund_for(charge, part, quantity) for part in parts]
    assert all(refund >= 0 for refund in refunds)
    assert all(refund.as_tuple().exponent == -6 for refund in refunds)
    total = sum(refunds, Decimal(0))
    # Rounding each part down can only lose micro-units, never create them.
    assert total <= refund_for(charge, sum(parts), quantity) <= charge
    # ...and loses less than one micro-unit per part.
    assert charge * sum(parts) / quantity - total < PLACES * len(parts)


@given(
    charge=st.decimals(min_value=0, max_value=Decimal("100000000"), places=6),
    quantity=st.integers(min_value=1, max_value=10**9),
)
def test_refund_of_everything_is_the_whole_charge(charge: Decimal, quantity: int) -> None:
    assert refund_for(charge, quantity, quantity) == charge


# --- text: what clients see ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "shown"),
    [
        (Decimal("0.27819"), "0.27819"),
        (Decimal("0.278190"), "0.27819"),
        (Decimal("100"), "100"),
        (Decimal("100.000000"), "100"),
        (Decimal("1E+2"), "100"),
        (Decimal("1E+3"), "1000"),
        (Decimal("0"), "0"),
        (Decimal("0E-6"), "0"),
        (Decimal("-0"), "0"),
        (Decimal("0.000001"), "0.000001"),
        (Decimal("1E-6"), "0.000001"),
        (Decimal("12.5"), "12.5"),
        (Decimal("-3.250000"), "-3.25"),
        (Decimal("99999999999999.999999"), "99999999999999.999999"),
    ],
)
def test_text_is_fixed_point(amount: Decimal, shown: str) -> None:
    assert text(amount) == shown


@given(st.decimals(min_value=Decimal("-1e14"), max_value=Decimal("1e14"), places=6))
def test_text_round_trips_without_exponent(amount: Decimal) -> None:
    shown = text(amount)
    assert "e" not in shown.lower()
    assert Decimal(shown) == amount
    # API v2 clients parse the string with float().
    assert float(shown) == float(amount)
    if "." in shown:
        assert not shown.endswith("0")


# --- post: refuses malformed journals and writes nothing --------------------------------------


async def _counts(session: AsyncSession) -> tuple[int, int]:
    journals = await session.scalar(select(func.count()).select_from(Journal))
    entries = await session.scalar(select(func.count()).select_from(Entry))
    return int(journals or 0), int(entries or 0)


@pytest.mark.parametrize(
    ("reason", "amounts", "message"),
    [
        ("unbalanced", [Decimal("-5"), Decimal("4.999999")], "sum to zero"),
        ("zero leg", [Decimal("-5"), Decimal("5"), Decimal("0")], "non-zero"),
        ("seven places", [Decimal("-0.0000001"), Decimal("0.0000001")], "6 decimals"),
        ("seven places, balanced", [Decimal("-1.1234567"), Decimal("1.1234567")], "6 decimals"),
        ("single leg", [Decimal("5")], "two entries"),
        ("no legs", [], "two entries"),
        ("", [Decimal("-5"), Decimal("5")], "reason"),
        ("  \t\n", [Decimal("-5"), Decimal("5")], "reason"),
    ],
)
async def test_post_refuses_and_writes_nothing(
    session: AsyncSession, reason: str, amounts: list[Decimal], message: str
) -> None:
    reseller = await accounts.create(session, kind=AccountKind.reseller, name="R")
    await ledger.top_up(session, reseller.id, Decimal("10"), "bank transfer", None)
    wallet = (await ledger_accounts.wallet_of(session, reseller.id)).id
    clearing = await ledger_accounts.system(session, ledger_accounts.REVENUE)
    before = await _counts(session)

    # The wallet pays the first leg, revenue takes the rest.
    legs = [Leg(wallet if i == 0 else clearing, amount) for i, amount in enumerate(amounts)]
    with pytest.raises(Invalid, match=message):
        await post(session, kind=JournalKind.order, reason=reason, legs=legs)

    assert await _counts(session) == before
    await session.commit()  # nothing half-written is waiting to be flushed either
    assert await _counts(session) == before
    assert await ledger.balance(session, reseller.id) == Decimal("10")


async def test_post_refuses_a_wallet_past_what_numeric_20_6_holds(session: AsyncSession) -> None:
    largest = Decimal("99999999999999.999999")
    reseller = await accounts.create(session, kind=AccountKind.reseller, name="R")
    await ledger.top_up(session, reseller.id, largest, "bank transfer", None)
    before = await _counts(session)

    with pytest.raises(Invalid, match="exceed"):
        await ledger.top_up(session, reseller.id, PLACES, "one more", None)

    assert await _counts(session) == before
    assert await ledger.balance(session, reseller.id) == largest


async def test_balance_read_in_the_same_session_after_posting(session: AsyncSession) -> None:
    """A handler that posts and then answers with the new balance reads it in the same session."""
    reseller = await accounts.create(session, kind=AccountKind.reseller, name="R")
    assert await ledger.balance(session, reseller.id) == 0
    await ledger.top_up(session, reseller.id, Decimal("10"), "bank transfer", None)
    assert await ledger.balance(session, reseller.id) == Decimal("10")
    await ledger.adjust(session, reseller.id, Decimal("-2.5"), "correction", None)
    assert await ledger.balance(session, reseller.id) == Decimal("7.5")


async def test_balance_is_fresh_while_the_wallet_row_is_held(session: AsyncSession) -> None:
    """A caller that keeps the wallet row it loaded (from `wallet_of`) and then posts and reads
    the balance in the same session must see the balance the post left, not the one it loaded.
    The admin top-up answer reads the balance this way right after posting."""
    reseller = await accounts.create(session, kind=AccountKind.reseller, name="R")
    wallet = await ledger_accounts.wallet_of(session, reseller.id)
    await ledger.top_up(session, reseller.id, Decimal("10"), "bank transfer", None)
    assert await ledger.balance(session, reseller.id) == Decimal("10")
    assert wallet.balance == Decimal("10")
