"""An IDR panel buying from a USD provider (the sandbox over HTTP): costs converted once at
the rate in force, prices and charges exact to the rupiah, settlement booked from what each
order recorded, exchange differences on `fx`, and providers answering in the wrong currency
refused or flagged."""

from decimal import Decimal
from typing import Any

import pytest

from panel.currencies.service import convert
from panel.ledger.audit import audit
from panel.money import charge_for, refund_for
from panel.plumbing import metrics
from panel.plumbing.problems import MEDIA_TYPE
from tests.currencies.conftest import Idr
from tests.fixtures.pipeline import RunJobs
from workers import order_jobs

D = Decimal
USD_RATE = D("0.50")  # per 1000, what the sandbox charges for service 1
LINK = "https://instagram.com/rupiah"


async def _provider(idr: Idr, currency: str = "USD") -> dict[str, Any]:
    created: dict[str, Any] = await idr.admin(
        "POST",
        "/providers",
        {"name": "Dollar panel", "api_url": idr.sandbox.url, "api_key": "k", "currency": currency},
    )
    return created


async def _shop(idr: Idr) -> dict[str, Any]:
    """Rate 16,250; the USD provider synced; Followers routed to its service 1 (0.50 USD per
    1000), Likes to its service 2; one reseller in a tier at +10% with a floor of Rp 2,000 per
    1000, holding Rp 1,000,000."""
    idr.sandbox.put_service("1", name="Instagram Followers", rate=str(USD_RATE), min=10, max=10_000)
    await idr.admin("POST", "/exchange-rates", {"currency": "USD", "rate": "16250"})
    provider = await _provider(idr)
    await idr.admin("POST", f"/providers/{provider['id']}/sync")
    upstream = {
        row["external_id"]: row
        for row in await idr.admin("GET", f"/providers/{provider['id']}/services")
    }
    services = {}
    for name, external_id in (("Followers", "1"), ("Likes", "2")):
        service = await idr.admin(
            "POST", "/services", {"name": name, "min_quantity": 10, "max_quantity": 10_000}
        )
        await idr.admin(
            "PUT",
            f"/services/{service['id']}/routes",
            {"provider_service_ids": [upstream[external_id]["id"]]},
        )
        services[name] = service["id"]
    tier = await idr.admin("POST", "/tiers", {"name": "Gold"})
    await idr.admin(
        "POST",
        "/price-rules",
        {"tier_id": tier["id"], "markup_percent": "10", "floor_margin": "2000"},
    )
    reseller = await idr.admin(
        "POST", "/accounts", {"kind": "reseller", "name": "Toko", "tier_id": tier["id"]}
    )
    key = (await idr.admin("POST", f"/accounts/{reseller['id']}/keys", {"label": "s"}))["key"]
    await idr.admin(
        "POST", f"/accounts/{reseller['id']}/top-ups", {"amount": "1000000", "reason": "bank"}
    )
    return {
        "provider": provider,
        "upstream": upstream,
        "services": services,
        "reseller": reseller["id"],
        "key": key,
    }


async def _rates(idr: Idr, key: str) -> dict[int, str]:
    listed = await idr.api(key, action="services")
    return {int(row["service"]): row["rate"] for row in listed}


async def _legs(idr: Idr, order_id: int) -> dict[str, Decimal]:
    rows = await idr.rows(
        "SELECT a.code, e.amount FROM entry e JOIN journal j ON j.id = e.journal_id "
        "JOIN ledger_account a ON a.id = e.ledger_account_id "
        "WHERE j.order_id = :order AND j.kind = 'settlement'",
        order=order_id,
    )
    return {row["code"]: row["amount"] for row in rows}


async def _audit_clean(idr: Idr) -> None:
    async with idr.runtime.transaction() as session:
        assert await audit(session) == []


async def test_usd_provider_in_an_idr_panel_is_priced_charged_and_refunded_exactly(
    idr: Idr, run_jobs: RunJobs
) -> None:
    shop = await _shop(idr)
    followers = shop["upstream"]["1"]
    # The rate stays in dollars; the cost is in rupiah, converted once.
    assert (followers["rate"], followers["cost"], followers["exchange_rate"]) == (
        "0.5",
        "8125",
        "16250",
    )
    # 8,125 + 10% = 8,937.50 is below the floor of 8,125 + 2,000: the floor holds.
    assert (await _rates(idr, shop["key"]))[shop["services"]["Followers"]] == "10125"

    idr.sandbox.set_behaviour("1", partial_rate=1.0)
    answer = await idr.api(
        shop["key"], action="add", service=shop["services"]["Followers"], link=LINK, quantity=1000
    )
    order_id = answer["order"]
    assert await idr.api(shop["key"], action="balance") == {
        "balance": "989875",
        "currency": "IDR",
    }
    await run_jobs()
    idr.sandbox.advance(3600)
    await order_jobs.poll_orders(idr.runtime)

    [order] = await idr.rows('SELECT * FROM "order" WHERE id = :id', id=order_id)
    assert order["status"] == "partial"
    assert (
        order["charge"],
        order["provider_currency"],
        order["cost_rate"],
        order["exchange_rate"],
        order["converted_cost_rate"],
    ) == (D("10125"), "USD", D("0.5"), D("16250"), D("8125"))
    remains = order["remains"]
    assert 0 < remains < 1000
    refund = refund_for(D("10125"), remains, 1000)
    provider_cost = convert(charge_for(USD_RATE, 1000 - remains), D("16250"))
    assert await _legs(idr, order_id) == {
        "clearing": D("-10125"),
        f"wallet:{shop['reseller']}": refund,
        f"provider:{shop['provider']['id']}": provider_cost,
        "revenue": D("10125") - refund - provider_cost,
    }
    balance = await idr.api(shop["key"], action="balance")
    assert D(balance["balance"]) == D("989875") + refund
    await _audit_clean(idr)

    report = await idr.admin("GET", "/reports/margins?by=provider")
    [line] = report["lines"]
    assert report["currency"] == "IDR"
    assert D(line["cost"]) == provider_cost
    assert D(line["fx"]) == 0
    assert {code: D(amount) for code, amount in line["provider_costs"].items()} == {
        "USD": charge_for(USD_RATE, 1000 - remains)
    }


async def test_a_rate_change_reprices_and_an_earlier_order_settles_at_its_recorded_rate(
    idr: Idr, run_jobs: RunJobs
) -> None:
    shop = await _shop(idr)
    followers, likes = shop["services"]["Followers"], shop["services"]["Likes"]
    before = await _rates(idr, shop["key"])
    answer = await idr.api(shop["key"], action="add", service=followers, link=LINK, quantity=1000)
    order_id = answer["order"]
    await run_jobs()  # sent upstream at 16,250

    moved = await idr.admin("POST", "/exchange-rates", {"currency": "USD", "rate": "16500"})
    assert moved["repriced"] == len(shop["upstream"])
    after = await _rates(idr, shop["key"])
    # Followers: 0.50 x 16,500 = 8,250, floor 2,000: 10,250. Likes: 0.12 x 16,500 = 1,980,
    # floor: 3,980. Every service routed to the provider moved, without a sync.
    assert (before[followers], after[followers]) == ("10125", "10250")
    assert (before[likes], after[likes]) == ("3950", "3980")

    idr.sandbox.advance(3600)
    await order_jobs.poll_orders(idr.runtime)
    [order] = await idr.rows('SELECT * FROM "order" WHERE id = :id', id=order_id)
    assert (order["status"], order["exchange_rate"]) == ("completed", D("16250"))
    # The provider charges 0.50 USD, 8,250 rupiah now; the order was sold against 8,125: the
    # 125 lost to the rate goes to `fx`, not out of the margin.
    assert await _legs(idr, order_id) == {
        "clearing": D("-10125"),
        f"provider:{shop['provider']['id']}": D("8250"),
        "fx": D("-125"),
        "revenue": D("2000"),
    }
    await _audit_clean(idr)
    report = await idr.admin("GET", "/reports/margins?by=provider")
    assert (report["total"]["margin"], report["total"]["fx"]) == ("2000", "-125")
    assert report["total"]["revenue"] == "10125"


async def test_a_provider_in_the_wrong_currency_is_refused_and_writes_nothing(idr: Idr) -> None:
    response = await idr.call(
        "POST",
        "/providers",
        {"name": "Rupiah?", "api_url": idr.sandbox.url, "api_key": "k", "currency": "IDR"},
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == MEDIA_TYPE
    assert "USD" in response.json()["detail"]
    assert await idr.scalar("SELECT count(*) FROM provider") == 0


async def test_a_provider_answering_in_another_currency_at_sync_is_flagged_not_repriced(
    idr: Idr,
) -> None:
    shop = await _shop(idr)
    provider_id = shop["provider"]["id"]
    idr.sandbox.set_currency("EUR")
    idr.sandbox.put_service("1", name="Instagram Followers", rate="0.80", min=10, max=10_000)

    report = await idr.admin("POST", f"/providers/{provider_id}/sync")
    assert report["currency_mismatch"] == "EUR"
    assert report["repriced"] == []
    [provider] = [p for p in await idr.admin("GET", "/providers") if p["id"] == provider_id]
    assert (provider["currency"], provider["reported_currency"]) == ("USD", "EUR")
    [followers] = [
        row
        for row in await idr.admin("GET", f"/providers/{provider_id}/services")
        if row["external_id"] == "1"
    ]
    assert (followers["rate"], followers["cost"]) == ("0.5", "8125")
    assert (await _rates(idr, shop["key"]))[shop["services"]["Followers"]] == "10125"
    assert metrics.PROVIDER_CURRENCY_MISMATCH.labels(str(provider_id))._value.get() == 1

    # Back in its own currency: the flag clears and the new rate comes in.
    idr.sandbox.set_currency("USD")
    report = await idr.admin("POST", f"/providers/{provider_id}/sync")
    assert report["currency_mismatch"] is None
    assert [(c["external_id"], c["new"]) for c in report["repriced"]] == [("1", "0.8")]
    assert (await _rates(idr, shop["key"]))[shop["services"]["Followers"]] == "15000"
    assert metrics.PROVIDER_CURRENCY_MISMATCH.labels(str(provider_id))._value.get() == 0


async def test_a_provider_in_a_currency_without_a_rate_takes_no_orders(idr: Idr) -> None:
    provider = await _provider(idr)
    await idr.admin("POST", f"/providers/{provider['id']}/sync")
    [followers, *_] = await idr.admin("GET", f"/providers/{provider['id']}/services")
    assert (followers["cost"], followers["exchange_rate"]) == (None, None)
    service = await idr.admin("POST", "/services", {"name": "F", "max_quantity": 100})
    await idr.admin(
        "PUT", f"/services/{service['id']}/routes", {"provider_service_ids": [followers["id"]]}
    )
    reseller = await idr.admin("POST", "/accounts", {"kind": "reseller", "name": "R"})
    key = (await idr.admin("POST", f"/accounts/{reseller['id']}/keys", {"label": "s"}))["key"]
    assert await _rates(idr, key) == {}
    [flagged] = await idr.admin("GET", "/exchange-rates")
    assert (flagged["currency"], flagged["rate"], flagged["stale"]) == ("USD", None, True)


async def test_rates_keep_their_history_and_go_stale(idr: Idr) -> None:
    await idr.admin("POST", "/exchange-rates", {"currency": "USD", "rate": "16250"})
    await idr.admin("POST", "/exchange-rates", {"currency": "USD", "rate": "16300.5"})
    await idr.admin("POST", "/exchange-rates", {"currency": "JPY", "rate": "0.000061"})
    history = await idr.admin("GET", "/exchange-rates/USD")
    assert [row["rate"] for row in history] == ["16300.5", "16250"]
    assert {row["set_by_id"] for row in history} == {idr.operator_id}
    assert {row["source"] for row in history} == {"manual"}
    shown = {row["currency"]: row for row in await idr.admin("GET", "/exchange-rates")}
    assert (shown["USD"]["rate"], shown["USD"]["stale"]) == ("16300.5", False)
    assert shown["JPY"]["rate"] == "0.000061"

    idr.runtime.settings.currencies.rate_max_age_s = 1e-9
    try:
        shown = {row["currency"]: row for row in await idr.admin("GET", "/exchange-rates")}
    finally:
        idr.runtime.settings.currencies.rate_max_age_s = 86_400.0
    assert shown["USD"]["stale"] is True
    assert metrics.EXCHANGE_RATE_STALE.labels("USD")._value.get() == 1


@pytest.mark.parametrize(
    "body",
    [
        {"currency": "USD", "rate": "0"},
        {"currency": "USD", "rate": "-16250"},
        {"currency": "USD", "rate": "NaN"},
        {"currency": "USD", "rate": "Infinity"},
        {"currency": "USD", "rate": "1e3"},
        {"currency": "USD", "rate": "１６２５０"},  # full-width digits
        {"currency": "USD", "rate": "16250.12345678901"},
        {"currency": "USD", "rate": "12345678901"},
        {"currency": "USD", "rate": "sixteen"},
        {"currency": "USD", "rate": ""},
        {"currency": "USD", "rate": 16250},
        {"currency": "USD"},
        {"currency": "XYZ", "rate": "16250"},
        {"currency": "usd", "rate": "16250"},
        {"currency": "IDR", "rate": "1"},
        {"currency": "USD", "rate": "16250", "extra": True},
    ],
)
async def test_bad_rates_are_refused_and_write_nothing(idr: Idr, body: dict[str, Any]) -> None:
    await idr.admin("POST", "/exchange-rates", {"currency": "USD", "rate": "16250"})
    provider = await _provider(idr)
    await idr.admin("POST", f"/providers/{provider['id']}/sync")
    before = await idr.rows("SELECT id, cost, exchange_rate FROM provider_service ORDER BY id")

    response = await idr.call("POST", "/exchange-rates", body)
    assert 400 <= response.status_code < 500, response.text
    assert response.headers["content-type"] == MEDIA_TYPE
    assert await idr.scalar("SELECT count(*) FROM exchange_rate") == 1
    assert await idr.rows("SELECT id, cost, exchange_rate FROM provider_service ORDER BY id") == (
        before
    )


async def test_an_unknown_currency_is_refused_for_a_provider_and_in_history(idr: Idr) -> None:
    response = await idr.call(
        "POST",
        "/providers",
        {"name": "X", "api_url": idr.sandbox.url, "api_key": "k", "currency": "XYZ"},
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == MEDIA_TYPE
    assert await idr.scalar("SELECT count(*) FROM provider") == 0
    response = await idr.call("GET", "/exchange-rates/XYZ")
    assert response.status_code == 422
