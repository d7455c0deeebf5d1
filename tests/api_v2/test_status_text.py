"""The status answer's numbers are written by PostgreSQL (`orders.status_reads`): its text of a
charge is exactly `money.text`'s, for every kind of amount a charge can be."""

from decimal import Decimal

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from panel import money

AMOUNTS = [
    "0",
    "0.000001",
    "0.1",
    "1.2",
    "1.234567",
    "10",
    "100.5",
    "990",
    "1000000",
    "12345678901234.123456",
    "99999999999999.999999",
]


async def test_postgresql_writes_a_charge_as_money_text_does(session: AsyncSession) -> None:
    rows = await session.execute(
        text(
            "SELECT a, trim_scale(CAST(a AS numeric(20, 6)))::text"
            " FROM unnest(CAST(:amounts AS text[])) AS a"
        ),
        {"amounts": AMOUNTS},
    )
    written = {amount: shown for amount, shown in rows}
    assert written == {a: money.text(Decimal(a).quantize(money.PLACES)) for a in AMOUNTS}
