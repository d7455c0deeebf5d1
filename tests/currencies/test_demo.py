"""`pasok up` as a rupiah panel: the demo's sandbox charges in dollars at a demo rate."""

from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from panel import demo
from panel.currencies import service as currencies
from panel.ledger import service as ledger
from panel.models import Provider, ProviderService


async def test_an_idr_demo_buys_from_a_usd_sandbox_at_the_demo_rate(session: AsyncSession) -> None:
    seeded = await demo.seed(session, panel_currency="IDR")
    assert demo.sandbox_currency("IDR") == "USD"
    provider = await session.scalar(select(Provider))
    assert provider is not None
    assert provider.currency == "USD"
    assert await currencies.rate_for(session, "USD", "IDR") == Decimal("16250")
    followers = await session.scalar(
        select(ProviderService).where(ProviderService.external_id == "1")
    )
    assert followers is not None
    assert (followers.rate, followers.cost) == (Decimal("0.9"), Decimal("14625"))
    # 100 dollars topped up, 20 of them passed on to the agency.
    assert await ledger.balance(session, seeded["reseller"]["id"]) == Decimal("1300000")


async def test_a_demo_in_a_currency_without_a_demo_rate_buys_in_its_own(
    session: AsyncSession,
) -> None:
    await demo.seed(session, panel_currency="CHF")
    provider = await session.scalar(select(Provider))
    assert provider is not None
    assert provider.currency == "CHF"
    assert demo.sandbox_currency("CHF") == "CHF"
