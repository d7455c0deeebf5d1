"""A wallet's statement, page after page: each line's balance is what the wallet held just
after that entry, read from the balance back, whichever page it is on."""

from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncSession

from panel.accounts import service as accounts
from panel.ledger import service as ledger
from panel.models import AccountKind

AMOUNTS = st.lists(
    st.decimals(min_value=Decimal("0.000001"), max_value=Decimal(500), places=6),
    min_size=1,
    max_size=25,
)


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(amounts=AMOUNTS, spent=st.lists(st.booleans(), max_size=25), page=st.integers(1, 6))
async def test_every_line_carries_the_balance_it_left(
    session: AsyncSession, amounts: list[Decimal], spent: list[bool], page: int
) -> None:
    account = await accounts.create(session, kind=AccountKind.reseller, name="Statement")
    held, expected = Decimal(0), []
    for number, amount in enumerate(amounts):
        # A debit of half of what is held, where the draw says so and there is anything.
        if number < len(spent) and spent[number] and held > 0:
            taken = (held / 2).quantize(Decimal("0.000001"))
            if taken > 0:
                await ledger.adjust(session, account.id, -taken, "spent", None)
                held -= taken
                expected.append((-taken, held))
        await ledger.top_up(session, account.id, amount, "paid in", None)
        held += amount
        expected.append((amount, held))

    lines, before = [], None
    while True:
        found = await ledger.statement(session, account.id, before=before, limit=page)
        assert len(found) <= page
        lines.extend(found)
        if len(found) < page:
            break
        before = found[-1].entry_id
    assert [(line.amount, line.balance_after) for line in reversed(lines)] == expected
    assert [line.entry_id for line in lines] == sorted(
        (line.entry_id for line in lines), reverse=True
    )
